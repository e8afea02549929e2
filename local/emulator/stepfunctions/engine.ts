import "./polyfill.js";
import { randomUUID } from "node:crypto";
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from "aws-local-stepfunctions";
import type { AdaptedDefinition, TaskResource } from "./adapter.js";
import { causeString, type HistoryEvent, HistoryRecorder, type TerminalStatus } from "./history.js";
import { isJsonObject, type JsonObject, type JsonValue, toJsonValue } from "./json.js";
import type { LocalTaskHandler } from "./local-states.js";

/** Runs a Lambda function: `invoke(functionArn, payload)` resolves with its JSON result or rejects with its error (whose `name` is the error type). */
export type InvokeFunction = (functionArn: string, payload: unknown) => Promise<unknown>;

/** A state machine ready to run on aws-local-stepfunctions. */
export interface LocalStateMachine {
	readonly adapted: AdaptedDefinition;
	readonly engine: StateMachine;
	/** Per state name, the pause of each retrier in milliseconds (the engine's retryIntervalOverrides). */
	readonly retryIntervalOverrides: Readonly<Record<string, number[]>>;
	/** State name → the Map or Parallel state it runs in. */
	readonly containers: ReadonlyMap<string, string>;
}

export interface CompileOptions {
	/** Longest pause between retries, in milliseconds (default 100): the embedded mode does not wait out AWS back-offs. */
	readonly maxRetryIntervalMs?: number;
}

export interface ExecutionIdentity {
	readonly executionArn: string;
	readonly name: string;
	readonly stateMachineArn: string;
	readonly stateMachineName: string;
	readonly roleArn: string;
	readonly region: string;
}

export interface StartLocalExecutionOptions {
	readonly machine: LocalStateMachine;
	readonly input: JsonValue;
	readonly identity: ExecutionIdentity;
	readonly invoke: InvokeFunction;
	readonly startDate?: Date;
	/** Called for every history event as it is recorded. */
	readonly onHistoryEvent?: (event: HistoryEvent) => void;
}

export interface ExecutionOutcome {
	readonly status: TerminalStatus;
	readonly stopDate: Date;
	readonly output?: string;
	readonly error?: string;
	readonly cause?: string;
}

export interface LocalExecution {
	readonly startDate: Date;
	/** AWS-shaped history, growing while the execution runs. */
	readonly history: readonly HistoryEvent[];
	/** Settles (never rejects) when the execution has stopped and its history is complete. */
	readonly done: Promise<ExecutionOutcome>;
	/** Aborts the execution (StopExecution); the running Task finishes in the background, nothing after it runs. */
	stop(error?: string, cause?: string): void;
}

const DEFAULT_MAX_RETRY_INTERVAL_MS = 100;

function collectRetryOverrides(machine: JsonValue, maxMs: number, out: Record<string, number[]>): void {
	if (!isJsonObject(machine) || !isJsonObject(machine.States)) return;
	for (const [name, state] of Object.entries(machine.States)) {
		if (!isJsonObject(state)) continue;
		if (Array.isArray(state.Retry)) {
			out[name] = state.Retry.map((r) => {
				const seconds = isJsonObject(r) && typeof r.IntervalSeconds === "number" ? r.IntervalSeconds : 1;
				return Math.max(0, Math.min(maxMs, seconds * 1000));
			});
		}
		if (Array.isArray(state.Branches)) for (const branch of state.Branches) collectRetryOverrides(branch, maxMs, out);
		const processor = state.ItemProcessor ?? state.Iterator;
		if (processor !== undefined) collectRetryOverrides(processor, maxMs, out);
	}
}

/** State name → the Map or Parallel state it runs in, for every nested state of the definition. */
export function stateContainers(machine: JsonValue, owner?: string, out = new Map<string, string>()): Map<string, string> {
	if (!isJsonObject(machine) || !isJsonObject(machine.States)) return out;
	for (const [name, state] of Object.entries(machine.States)) {
		if (owner !== undefined) out.set(name, owner);
		if (!isJsonObject(state)) continue;
		if (Array.isArray(state.Branches)) for (const branch of state.Branches) stateContainers(branch, name, out);
		const processor = state.ItemProcessor ?? state.Iterator;
		if (processor !== undefined) stateContainers(processor, name, out);
	}
	return out;
}

/** Validates the adapted definition with the engine's own validator and prepares the run options. */
export function compileStateMachine(adapted: AdaptedDefinition, options: CompileOptions = {}): LocalStateMachine {
	const engine = new StateMachine(adapted.definition, { validationOptions: { checkArn: true, checkPaths: true } });
	const retryIntervalOverrides: Record<string, number[]> = {};
	collectRetryOverrides(
		adapted.definition as unknown as JsonValue,
		options.maxRetryIntervalMs ?? DEFAULT_MAX_RETRY_INTERVAL_MS,
		retryIntervalOverrides,
	);
	return { adapted, engine, retryIntervalOverrides, containers: stateContainers(adapted.definition as unknown as JsonValue) };
}

/**
 * The error a Lambda task fails with on AWS: the function's error type as the error name
 * (what Retry and Catch match) and, as the cause, the JSON the Node.js runtime reports
 * (`{"errorType","errorMessage","trace"}`).
 */
export function lambdaError(err: unknown): Error {
	const errorType =
		err instanceof Error ? err.name : typeof (err as { name?: unknown })?.name === "string" ? (err as { name: string }).name : "Error";
	const errorMessage = err instanceof Error ? err.message : typeof err === "string" ? err : JSON.stringify(err);
	const trace = err instanceof Error && err.stack ? err.stack.split("\n") : [];
	// A fresh Error without `cause`: the engine reports `error.cause ?? error.message` as the cause.
	const error = new Error(JSON.stringify({ errorType, errorMessage, trace }));
	error.name = errorType || "Error";
	return error;
}

function namedStatesError(name: string, message: string): Error {
	const error = new Error(message);
	error.name = name;
	return error;
}

async function callLambda(invoke: InvokeFunction, functionArn: string, payload: JsonValue): Promise<JsonValue> {
	let result: unknown;
	try {
		result = await invoke(functionArn, payload);
	} catch (err) {
		throw lambdaError(err);
	}
	return toJsonValue(result);
}

function taskHandler(task: TaskResource, invoke: InvokeFunction, stopped: () => boolean): LocalTaskHandler {
	// The engine runs the first state of a Map iteration or Parallel branch even when the
	// execution was aborted before it started: never call a function for a stopped execution.
	const guard = () => {
		if (stopped()) throw namedStatesError("States.Runtime", "the execution was stopped");
	};
	if (task.kind === "lambda") {
		return async (input) => {
			guard();
			return callLambda(invoke, task.resource, input);
		};
	}
	return async (input) => {
		guard();
		const params: JsonObject = isJsonObject(input) ? input : {};
		const functionName = params.FunctionName;
		if (typeof functionName !== "string")
			throw lambdaError(Object.assign(new Error("FunctionName must be a string"), { name: "States.Runtime" }));
		if (params.InvocationType !== undefined && params.InvocationType !== "RequestResponse") {
			throw lambdaError(Object.assign(new Error("only InvocationType RequestResponse runs embedded"), { name: "States.Runtime" }));
		}
		const payload = await callLambda(invoke, functionName, params.Payload ?? {});
		return {
			ExecutedVersion: "$LATEST",
			Payload: payload,
			SdkHttpMetadata: { HttpStatusCode: 200 },
			SdkResponseMetadata: { RequestId: randomUUID() },
			StatusCode: 200,
		};
	};
}

/** Starts one execution in the background. */
export function startLocalExecution(options: StartLocalExecutionOptions): LocalExecution {
	const { machine, identity, invoke } = options;
	const startDate = options.startDate ?? new Date();
	const recorder = new HistoryRecorder({
		taskResources: machine.adapted.taskResources,
		containers: machine.containers,
		roleArn: identity.roleArn,
		region: identity.region,
		...(options.onHistoryEvent ? { onEvent: options.onHistoryEvent } : {}),
	});
	const scope = machine.adapted.createExecutionScope();
	const taskResourceLocalHandlers: Record<string, LocalTaskHandler> = {};
	let stopRequest: { error?: string; cause?: string } | undefined;
	for (const [name, task] of Object.entries(machine.adapted.taskResources)) {
		taskResourceLocalHandlers[name] = taskHandler(task, invoke, () => stopRequest !== undefined);
	}
	Object.assign(taskResourceLocalHandlers, scope.taskHandlers);

	const run = machine.engine.run(options.input as never, {
		overrides: {
			taskResourceLocalHandlers: taskResourceLocalHandlers as never,
			retryIntervalOverrides: { ...machine.retryIntervalOverrides },
		},
		context: {
			Execution: { Id: identity.executionArn, Name: identity.name, RoleArn: identity.roleArn, StartTime: startDate.toISOString() },
			StateMachine: { Id: identity.stateMachineArn, Name: identity.stateMachineName },
			...scope.context,
		},
	});

	const logs = (async () => {
		for await (const event of run.eventLogs) recorder.record(event);
	})();

	const done = (async (): Promise<ExecutionOutcome> => {
		let outcome: Omit<ExecutionOutcome, "stopDate">;
		try {
			const result = await run.result;
			outcome = { status: "SUCCEEDED", output: JSON.stringify(result ?? null) };
		} catch (err) {
			if (err instanceof ExecutionAbortedError) {
				outcome = {
					status: "ABORTED",
					...(stopRequest?.error !== undefined ? { error: stopRequest.error } : {}),
					...(stopRequest?.cause !== undefined ? { cause: stopRequest.cause } : {}),
				};
			} else if (err instanceof ExecutionTimeoutError) {
				outcome = {
					status: "TIMED_OUT",
					error: "States.Timeout",
					cause: "The execution ran longer than the state machine's TimeoutSeconds",
				};
			} else if (err instanceof ExecutionError && err.cause instanceof Error) {
				const failure = err.cause as Error & { cause?: unknown };
				outcome = { status: "FAILED", error: failure.name, cause: causeString(failure.cause ?? failure.message) };
			} else {
				const failure = err instanceof Error ? err : new Error(String(err));
				outcome = { status: "FAILED", error: failure.name, cause: failure.message };
			}
		}
		// The engine closes its log with the terminal event; nested Map/Parallel events
		// arrive a few microtasks later at most.
		await Promise.race([logs, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
		recorder.terminate(outcome.status, Date.now(), outcome);
		const last = recorder.events.at(-1);
		return { ...outcome, stopDate: new Date(last ? last.timestamp * 1000 : Date.now()) };
	})();

	return {
		startDate,
		history: recorder.events,
		done,
		stop(error?: string, cause?: string) {
			if (stopRequest) return;
			stopRequest = { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) };
			run.abort();
		},
	};
}
