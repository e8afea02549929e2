/**
 * What `npm run bench:cycle` reads from one execution's history (GetExecutionHistory) and
 * its definition (DescribeStateMachine): per step, its wall time, Task invocations and the
 * longest one; the state transitions, Standard and Express. Pure: events and definition in.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";

/** The local engine's helper states (`Invoice Accounts [local: read items]`): no AWS counterpart. */
const LOCAL_HELPER = /^(.+) \[local: [a-z ]+\](?: \d+)?$/;

/** Where a state of the definition runs. */
export interface StatePlace {
	/** The top-level state it belongs to (itself at the top level). */
	readonly step: string;
	/** The Map or Parallel it runs in, if any. */
	readonly container?: string;
	/** Runs in a child execution of an EXPRESS Distributed Map: its transitions are Express ones. */
	readonly express: boolean;
	readonly type: string;
	/** A Map with ProcessorConfig.Mode DISTRIBUTED. */
	readonly distributed: boolean;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** Every state of the definition (at any depth) and where it runs. */
export function statePlaces(definition: unknown): Map<string, StatePlace> {
	const places = new Map<string, StatePlace>();
	const walk = (machine: unknown, owner: { step?: string; container?: string; express: boolean }) => {
		const states = isObject(machine) ? machine.States : undefined;
		if (!isObject(states)) return;
		for (const [name, state] of Object.entries(states)) {
			if (!isObject(state)) continue;
			const processor = state.ItemProcessor ?? state.Iterator;
			const config = isObject(processor) && isObject(processor.ProcessorConfig) ? processor.ProcessorConfig : {};
			const distributed = state.Type === "Map" && config.Mode === "DISTRIBUTED";
			const step = owner.step ?? name;
			places.set(name, {
				step,
				...(owner.container !== undefined ? { container: owner.container } : {}),
				express: owner.express,
				type: String(state.Type),
				distributed,
			});
			if (state.Type === "Map")
				walk(processor, { step, container: name, express: owner.express || (distributed && config.ExecutionType === "EXPRESS") });
			if (state.Type === "Parallel" && Array.isArray(state.Branches)) {
				for (const branch of state.Branches) walk(branch, { step, container: name, express: owner.express });
			}
		}
	};
	walk(definition, { express: false });
	return places;
}

export interface StepStats {
	/** The state's name (a top-level step, or a state inside a Map's or Parallel's processor). */
	readonly name: string;
	/** For a state inside a Map or Parallel: the top-level step it belongs to. */
	readonly step?: string;
	/** First entry to last exit, in seconds (for a Distributed Map, its local helper states included). */
	readonly seconds: number;
	/** Task invocations (retries included): for a Map or Parallel, those of every state inside it. */
	readonly invocations: number;
	/** The longest single Task invocation, Started (or Scheduled) to Succeeded, Failed or TimedOut. */
	readonly longestInvocationMs: number;
	/** Times the state was entered. */
	readonly entered: number;
}

export interface HistoryStats {
	/** Top-level steps in the order they first ran, each followed by the states that ran inside it. */
	readonly steps: StepStats[];
	/** StateEntered events of the parent execution and of STANDARD children (local helper states excluded). */
	readonly standardTransitions: number;
	/** StateEntered events inside EXPRESS Distributed Maps' children. */
	readonly expressTransitions: number;
	/** The longest single Task invocation of the whole execution. */
	readonly longestInvocationMs: number;
}

const INVOCATION_START = new Set(["LambdaFunctionScheduled", "TaskScheduled"]);
const INVOCATION_STARTED = new Set(["LambdaFunctionStarted", "TaskStarted"]);
const INVOCATION_END = new Set([
	"LambdaFunctionSucceeded",
	"LambdaFunctionFailed",
	"LambdaFunctionTimedOut",
	"TaskSucceeded",
	"TaskFailed",
	"TaskTimedOut",
]);

interface Invocation {
	readonly state: string;
	start: number;
	end?: number;
}

interface Acc {
	first: number;
	last: number;
	invocations: number;
	longest: number;
	entered: number;
}

/**
 * Events are attributed through `previousEventId` (the event that led to each one; the
 * events of concurrent Map iterations interleave but each chains back through its own
 * iteration): an event belongs to the state whose StateEntered it chains back to, a Task
 * invocation runs from its Scheduled (or Started) event to the end event chained to it.
 */
export function historyStats(events: readonly HistoryEvent[], definition: unknown): HistoryStats {
	const places = statePlaces(definition);
	const time = (e: HistoryEvent) => e.timestamp?.getTime() ?? 0;
	const stateOf = new Map<number, string>();
	const invocationOf = new Map<number, Invocation>();
	const invocations: Invocation[] = [];
	const acc = new Map<string, Acc>();
	const touch = (name: string, at: number) => {
		const a = acc.get(name) ?? { first: at, last: at, invocations: 0, longest: 0, entered: 0 };
		a.first = Math.min(a.first, at);
		a.last = Math.max(a.last, at);
		acc.set(name, a);
		return a;
	};
	/** A helper state counts for its Distributed Map's time only. */
	const owner = (name: string) => LOCAL_HELPER.exec(name)?.[1];
	let standardTransitions = 0;
	let expressTransitions = 0;

	for (const event of events) {
		const id = event.id ?? 0;
		const previous = event.previousEventId ?? id - 1;
		const type = event.type ?? "";
		const at = time(event);
		if (type.endsWith("StateEntered")) {
			const name = event.stateEnteredEventDetails?.name ?? "";
			stateOf.set(id, name);
			const helperOf = owner(name);
			if (helperOf !== undefined) {
				touch(helperOf, at);
				continue;
			}
			touch(name, at).entered += 1;
			if (places.get(name)?.express) expressTransitions += 1;
			else standardTransitions += 1;
			continue;
		}
		const state = stateOf.get(previous);
		if (state !== undefined) stateOf.set(id, state);
		if (type.endsWith("StateExited")) {
			const name = event.stateExitedEventDetails?.name ?? "";
			touch(owner(name) ?? name, at);
			continue;
		}
		if (state === undefined || owner(state) !== undefined) continue;
		if (INVOCATION_START.has(type)) {
			const invocation: Invocation = { state, start: at };
			invocations.push(invocation);
			invocationOf.set(id, invocation);
			continue;
		}
		const invocation = invocationOf.get(previous);
		if (!invocation) continue;
		if (INVOCATION_STARTED.has(type)) {
			invocation.start = at;
			invocationOf.set(id, invocation);
		} else if (INVOCATION_END.has(type) && invocation.end === undefined) {
			invocation.end = at;
			touch(state, at);
		}
	}

	// Each invocation counts for its state and for every Map or Parallel it runs in.
	for (const invocation of invocations) {
		const ms = (invocation.end ?? invocation.start) - invocation.start;
		for (let name: string | undefined = invocation.state, guard = 0; name !== undefined && guard < 50; guard++) {
			const a = acc.get(name) ?? touch(name, invocation.start);
			a.invocations += 1;
			a.longest = Math.max(a.longest, ms);
			name = places.get(name)?.container;
		}
	}

	const stats = (name: string, step?: string): StepStats => {
		const a = acc.get(name) ?? { first: 0, last: 0, invocations: 0, longest: 0, entered: 0 };
		return {
			name,
			...(step !== undefined ? { step } : {}),
			seconds: (a.last - a.first) / 1000,
			invocations: a.invocations,
			longestInvocationMs: a.longest,
			entered: a.entered,
		};
	};
	const ran = [...acc.entries()].sort((a, b) => a[1].first - b[1].first).map(([name]) => name);
	const steps: StepStats[] = [];
	for (const name of ran) {
		const place = places.get(name);
		if (place && place.step !== name) continue;
		steps.push(stats(name));
		for (const inner of ran) {
			const innerPlace = places.get(inner);
			if (inner !== name && innerPlace?.step === name) steps.push(stats(inner, name));
		}
	}
	const longestInvocationMs = invocations.reduce((m, i) => Math.max(m, (i.end ?? i.start) - i.start), 0);
	return { steps, standardTransitions, expressTransitions, longestInvocationMs };
}
