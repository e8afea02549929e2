import type { StateMachine } from "aws-local-stepfunctions";
import type { TaskResource } from "./adapter.js";

/** One event of aws-local-stepfunctions' `eventLogs`. */
export type EngineEvent = ReturnType<StateMachine["run"]>["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

/**
 * A history event as GetExecutionHistory returns it on the wire (JSON 1.0): `timestamp`
 * in epoch seconds, plus one `...EventDetails` object named after the type.
 */
export interface HistoryEvent {
	readonly timestamp: number;
	readonly type: string;
	readonly id: number;
	readonly previousEventId: number;
	readonly [details: string]: unknown;
}

export interface HistoryRecorderOptions {
	readonly taskResources: Readonly<Record<string, TaskResource>>;
	/** State name → name of the Map or Parallel state it runs in (absent at the top level). */
	readonly containers?: ReadonlyMap<string, string>;
	readonly roleArn: string;
	readonly region: string;
	/** Called for every event as it is recorded. */
	readonly onEvent?: (event: HistoryEvent) => void;
}

export type TerminalStatus = "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";

const TERMINAL_TYPES = new Set(["ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"]);

/** The thread of the execution's own events and its top-level states. */
const ROOT_THREAD = "";

/** The Map of an iteration's thread (`<map>#<index>`). */
function mapOfThread(thread: string): string {
	return thread.slice(0, thread.lastIndexOf("#"));
}

function json(value: unknown): string {
	return JSON.stringify(value === undefined ? null : value);
}

export function causeString(cause: unknown): string {
	if (cause === undefined || cause === null) return "";
	return typeof cause === "string" ? cause : JSON.stringify(cause);
}

/**
 * Turns the engine's event log into the events AWS records for the same execution:
 * `<Type>StateEntered`/`<Type>StateExited` with name, input and output; for Lambda Task
 * states LambdaFunctionScheduled/Started/Succeeded/Failed/TimedOut (for
 * `arn:aws:states:::lambda:invoke` and the adapter's local states TaskScheduled/Started/
 * Succeeded/Failed), Map iterations, Parallel start/end, and the execution's own events.
 * The engine does not report a Task's exact payload or raw result, so the Lambda events
 * carry the function ARN and, on failure, the error and cause only.
 *
 * As on AWS, `previousEventId` is the event that led to this one, not simply the one
 * recorded before it: the events of concurrent Map iterations interleave, and each chains
 * back through its own iteration to MapIterationStarted and the Map's entry. So a
 * LambdaFunctionFailed (which names no state) can be traced to the state it failed in.
 */
export class HistoryRecorder {
	readonly events: HistoryEvent[] = [];
	private readonly pending: EngineEvent[] = [];
	private flushScheduled = false;
	/** States (by name and Map iteration index) whose failure a Catch handled: their exit is no success. */
	private readonly caught = new Set<string>();
	/** Per thread (the top level, or one Map iteration: `<map>#<index>`), the id of its last event. */
	private readonly lastOfThread = new Map<string, number>();
	/** Per Map state, the thread its own events are on (its iterations chain back to it). */
	private readonly mapThreads = new Map<string, string>();
	/** Map iteration threads whose MapIterationStarted has been converted (for the Map's current attempt). */
	private readonly startedIterations = new Set<string>();
	/** Events of iterations not started yet, in order: converted right after their MapIterationStarted. */
	private readonly waiting: { readonly thread: string; readonly event: EngineEvent }[] = [];
	/** The thread of the engine event being converted. */
	private thread = ROOT_THREAD;

	constructor(private readonly options: HistoryRecorderOptions) {}

	get terminated(): boolean {
		const last = this.events.at(-1);
		return last !== undefined && TERMINAL_TYPES.has(last.type);
	}

	/** Appends an AWS-shaped event (ids are consecutive from 1) to the current thread. */
	push(type: string, timestampMs: number, details: Record<string, unknown> = {}): HistoryEvent {
		const id = this.events.length + 1;
		const previousEventId = this.lastOfThread.get(this.thread) ?? id - 1;
		this.lastOfThread.set(this.thread, id);
		const event: HistoryEvent = { timestamp: timestampMs / 1000, type, id, previousEventId, ...details };
		this.events.push(event);
		this.options.onEvent?.(event);
		return event;
	}

	/** Records the terminal event when the engine did not (an abort from outside, a lost event). */
	terminate(status: TerminalStatus, timestampMs: number, details: { output?: string; error?: string; cause?: string }): void {
		this.flush();
		this.convertWaiting();
		if (this.terminated) return;
		this.thread = ROOT_THREAD;
		switch (status) {
			case "SUCCEEDED":
				this.push("ExecutionSucceeded", timestampMs, {
					executionSucceededEventDetails: { output: details.output ?? "null", outputDetails: { truncated: false } },
				});
				break;
			case "FAILED":
				this.push("ExecutionFailed", timestampMs, { executionFailedEventDetails: errorDetails(details) });
				break;
			case "ABORTED":
				this.push("ExecutionAborted", timestampMs, { executionAbortedEventDetails: errorDetails(details) });
				break;
			case "TIMED_OUT":
				this.push("ExecutionTimedOut", timestampMs, { executionTimedOutEventDetails: errorDetails(details) });
				break;
		}
	}

	/**
	 * Queues an engine event. The engine forwards the events of Map iterations and Parallel
	 * branches a few microtasks late, so events are converted in batches on the next
	 * macrotask, in timestamp order, with a Map's or Parallel's own exit moved after every
	 * late event of its iterations or branches. An event of a Map iteration whose
	 * MapIterationStarted has not been converted yet waits for it (see `convert`).
	 */
	record(event: EngineEvent): void {
		this.pending.push(event);
		if (!this.flushScheduled) {
			this.flushScheduled = true;
			setImmediate(() => this.flush());
		}
	}

	/** Converts every queued engine event now. */
	flush(): void {
		this.flushScheduled = false;
		if (this.pending.length === 0) return;
		const batch = this.pending.splice(0).sort((a, b) => a.timestamp - b.timestamp);
		for (let i = 0; i < batch.length; i++) {
			const event = batch[i];
			const exit =
				event &&
				(event.type === "StateExited" || event.type === "StateFailed") &&
				(event.state.type === "Map" || event.state.type === "Parallel")
					? event
					: undefined;
			if (!exit) continue;
			const late: EngineEvent[] = [];
			const rest: EngineEvent[] = [];
			for (const other of batch.slice(i + 1)) (this.belongsTo(other, exit.state.name, exit.index) ? late : rest).push(other);
			if (late.length > 0) {
				batch.splice(i, batch.length - i, ...late, exit, ...rest);
				i += late.length;
			}
		}
		for (const event of batch) this.convert(event);
	}

	/**
	 * Whether `event` runs inside the Map or Parallel `container`. A container inside a Map
	 * iteration (`index`) runs in every iteration: a state event of another iteration (the
	 * engine tags it with its own index) is not its own, even though the names match.
	 */
	private belongsTo(event: EngineEvent, container: string, index: number | undefined): boolean {
		if ("state" in event && index !== undefined && event.index !== undefined && event.index !== index) return false;
		let name: string | undefined;
		if ("parentState" in event) {
			if (event.parentState.name === container) return true;
			name = event.parentState.name;
		} else if ("state" in event) {
			name = event.state.name;
		}
		for (let guard = 0; name !== undefined && guard < 100; guard++) {
			name = this.options.containers?.get(name);
			if (name === container) return true;
		}
		return false;
	}

	/** The outermost Map a state runs in (the engine tags a nested state's events with that Map's iteration index). */
	private outermostMap(name: string): string | undefined {
		let map: string | undefined;
		let current: string | undefined = name;
		for (let guard = 0; current !== undefined && guard < 100; guard++) {
			current = this.options.containers?.get(current);
			if (current !== undefined && this.mapThreads.has(current)) map = current;
		}
		return map;
	}

	private threadOf(event: EngineEvent): string {
		if (event.type === "MapIterationStarted" || event.type === "MapIterationSucceeded" || event.type === "MapIterationFailed") {
			return `${event.parentState.name}#${event.index}`;
		}
		if ("state" in event && event.index !== undefined) {
			const map = this.outermostMap(event.state.name);
			if (map !== undefined) return `${map}#${event.index}`;
		}
		return ROOT_THREAD;
	}

	/**
	 * Converts one engine event. On AWS every event of a Map iteration follows its
	 * MapIterationStarted; an event of an iteration not started yet (for this attempt of the
	 * Map) waits and is converted right after it, so it chains back through its own iteration.
	 * (A Map inside another Map's iterations shares its iteration threads between the outer
	 * iterations, so only iterations of an outermost Map wait.)
	 */
	private convert(event: EngineEvent): void {
		if (this.terminated) return;
		const thread = this.threadOf(event);
		if (
			thread !== ROOT_THREAD &&
			event.type !== "MapIterationStarted" &&
			!this.startedIterations.has(thread) &&
			this.outermostMap(mapOfThread(thread)) === undefined
		) {
			this.waiting.push({ thread, event });
			return;
		}
		this.convertNow(event, thread);
	}

	/**
	 * Converts the events still waiting for their MapIterationStarted (the execution ends
	 * without it), in order, each iteration chained to its Map's last event: none is lost.
	 */
	private convertWaiting(): void {
		for (const { thread, event } of this.waiting.splice(0)) {
			if (!this.startedIterations.has(thread)) this.startIteration(thread, mapOfThread(thread));
			this.convertNow(event, thread);
		}
	}

	/** An iteration (again, on a retry of the Map) starts from the Map's own last event. */
	private startIteration(thread: string, map: string): void {
		const mapLast = this.lastOfThread.get(this.mapThreads.get(map) ?? ROOT_THREAD);
		if (mapLast !== undefined) this.lastOfThread.set(thread, mapLast);
		else this.lastOfThread.delete(thread);
		this.startedIterations.add(thread);
	}

	/** The Map runs its iterations (again): each waits for its new MapIterationStarted. */
	private restartIterations(map: string): void {
		for (const thread of this.startedIterations) {
			if (mapOfThread(thread) === map) this.startedIterations.delete(thread);
		}
	}

	private convertNow(event: EngineEvent, thread: string): void {
		if (this.terminated) return;
		const t = event.timestamp;
		this.thread = thread;
		switch (event.type) {
			case "ExecutionStarted":
				this.push("ExecutionStarted", t, {
					executionStartedEventDetails: { input: json(event.input), inputDetails: { truncated: false }, roleArn: this.options.roleArn },
				});
				break;
			case "ExecutionSucceeded":
				this.terminate("SUCCEEDED", t, { output: json(event.output) });
				break;
			case "ExecutionFailed":
				this.terminate("FAILED", t, { error: event.Error, cause: causeString(event.Cause) });
				break;
			case "ExecutionAborted":
				// The caller records the abort with its error and cause (StopExecution, shutdown).
				break;
			case "ExecutionTimeout":
				this.terminate("TIMED_OUT", t, {
					error: "States.Timeout",
					cause: "The execution ran longer than the state machine's TimeoutSeconds",
				});
				break;
			case "StateEntered": {
				const { name, type, input } = event.state;
				this.push(`${type}StateEntered`, t, { stateEnteredEventDetails: { name, input: json(input), inputDetails: { truncated: false } } });
				if (type === "Map") {
					this.mapThreads.set(name, this.thread);
					this.restartIterations(name);
				}
				if (type === "Parallel") this.push("ParallelStateStarted", t);
				if (type === "Task") this.taskStarted(name, t);
				break;
			}
			case "StateRetried":
				if (event.state.type === "Task") this.taskStarted(event.state.name, t);
				if (event.state.type === "Map") this.restartIterations(event.state.name);
				break;
			case "StateCaught":
				this.caught.add(`${event.state.name}#${event.index ?? ""}`);
				break;
			case "StateExited": {
				const { name, type, output } = event.state;
				const key = `${name}#${event.index ?? ""}`;
				const succeeded = !this.caught.delete(key);
				if (succeeded && type === "Task") this.taskSucceeded(name, t);
				if (succeeded && type === "Map") this.push("MapStateSucceeded", t);
				if (succeeded && type === "Parallel") this.push("ParallelStateSucceeded", t);
				this.push(`${type}StateExited`, t, {
					stateExitedEventDetails: { name, output: json(output), outputDetails: { truncated: false } },
				});
				break;
			}
			case "StateFailed": {
				const { name, type } = event.state;
				if (type === "Task") this.taskFailed(name, t, event.Error, causeString(event.Cause));
				if (type === "Map") this.push("MapStateFailed", t);
				if (type === "Parallel") this.push("ParallelStateFailed", t);
				break;
			}
			case "MapIterationStarted": {
				this.startIteration(thread, event.parentState.name);
				this.push("MapIterationStarted", t, { mapIterationStartedEventDetails: { name: event.parentState.name, index: event.index } });
				const own = this.waiting.filter((w) => w.thread === thread);
				if (own.length > 0) {
					this.waiting.splice(0, this.waiting.length, ...this.waiting.filter((w) => w.thread !== thread));
					for (const waited of own) this.convertNow(waited.event, thread);
				}
				break;
			}
			case "MapIterationSucceeded":
				this.push("MapIterationSucceeded", t, { mapIterationSucceededEventDetails: { name: event.parentState.name, index: event.index } });
				break;
			case "MapIterationFailed":
				this.push("MapIterationFailed", t, { mapIterationFailedEventDetails: { name: event.parentState.name, index: event.index } });
				break;
			default:
				// ParallelBranch* have no AWS counterpart: the Parallel state's own events tell the story.
				break;
		}
	}

	private resource(name: string): { lambda: boolean; resourceType: string; resource: string } {
		const task = this.options.taskResources[name];
		if (!task) return { lambda: false, resourceType: "local", resource: "embedded-engine" };
		if (task.kind === "lambda") return { lambda: true, resourceType: "lambda", resource: task.resource };
		return { lambda: false, resourceType: "lambda", resource: "invoke" };
	}

	private taskStarted(name: string, t: number): void {
		const { lambda, resourceType, resource } = this.resource(name);
		if (lambda) {
			this.push("LambdaFunctionScheduled", t, { lambdaFunctionScheduledEventDetails: { resource } });
			this.push("LambdaFunctionStarted", t);
		} else {
			this.push("TaskScheduled", t, { taskScheduledEventDetails: { resourceType, resource, region: this.options.region } });
			this.push("TaskStarted", t, { taskStartedEventDetails: { resourceType, resource } });
		}
	}

	private taskSucceeded(name: string, t: number): void {
		const { lambda, resourceType, resource } = this.resource(name);
		if (lambda) this.push("LambdaFunctionSucceeded", t, { lambdaFunctionSucceededEventDetails: {} });
		else this.push("TaskSucceeded", t, { taskSucceededEventDetails: { resourceType, resource } });
	}

	private taskFailed(name: string, t: number, error: string, cause: string): void {
		const { lambda, resourceType, resource } = this.resource(name);
		const timedOut = error === "States.Timeout";
		if (lambda) {
			const type = timedOut ? "LambdaFunctionTimedOut" : "LambdaFunctionFailed";
			const key = timedOut ? "lambdaFunctionTimedOutEventDetails" : "lambdaFunctionFailedEventDetails";
			this.push(type, t, { [key]: { error, cause } });
		} else {
			const type = timedOut ? "TaskTimedOut" : "TaskFailed";
			const key = timedOut ? "taskTimedOutEventDetails" : "taskFailedEventDetails";
			this.push(type, t, { [key]: { resourceType, resource, error, cause } });
		}
	}
}

function errorDetails(details: { error?: string; cause?: string }): Record<string, string> {
	return {
		...(details.error !== undefined ? { error: details.error } : {}),
		...(details.cause !== undefined ? { cause: details.cause } : {}),
	};
}
