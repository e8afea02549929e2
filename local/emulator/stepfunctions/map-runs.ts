import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.js";

/**
 * Map runs of the embedded engine's Distributed Maps, as ListMapRuns and DescribeMapRun
 * report them on AWS: one map run per time a Distributed Map state starts, its child
 * executions (one per batch) and the items they carry, pending, running, succeeded,
 * failed or aborted. The local handlers of the rewritten Map (local-handlers.ts) report
 * what they know through a MapRunObserver; the server (server.ts) adds when each child
 * starts, from the execution's MapIterationStarted events, and closes what an execution
 * left running when it stops. Kept in memory: a restarted server lists none for earlier
 * executions.
 */

/** What the local handlers of one execution's Distributed Maps report. */
export interface MapRunObserver {
	/**
	 * The items were read and batched: per child execution, how many items it carries, and the
	 * MaxConcurrencyPath's value when the map names one. Returns the map run's ARN.
	 */
	started(mapName: string, itemsPerChild: readonly number[], maxConcurrency?: number): string;
	/** Child execution `index` finished. */
	childFinished(mapName: string, index: number, ok: boolean): void;
	/** The tolerated failure threshold was applied: the map run succeeded or failed. */
	closed(mapName: string, ok: boolean): void;
}

const current = new AsyncLocalStorage<MapRunObserver>();

/** Runs `start` with `observer` as the observer the execution scope created inside it reports to. */
export function withMapRunObserver<T>(observer: MapRunObserver, start: () => T): T {
	return current.run(observer, start);
}

/** The observer of the execution being started (read when its scope is created), if any. */
export function currentMapRunObserver(): MapRunObserver | undefined {
	return current.getStore();
}

export type MapRunStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";
type ChildStatus = "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";

/** DescribeMapRun's itemCounts and executionCounts. */
export interface MapRunCounts {
	readonly pending: number;
	readonly running: number;
	readonly succeeded: number;
	readonly failed: number;
	readonly timedOut: number;
	readonly aborted: number;
	readonly total: number;
	readonly resultsWritten: number;
	readonly failuresNotRedrivable: number;
	readonly pendingRedrive: number;
}

export interface MapRun {
	readonly mapRunArn: string;
	readonly executionArn: string;
	/** The map run's own state machine: `<state machine ARN>/<label>`. */
	readonly stateMachineArn: string;
	readonly stateName: string;
	/** Epoch milliseconds. */
	readonly startDate: number;
	stopDate?: number;
	status: MapRunStatus;
	readonly maxConcurrency: number;
	readonly toleratedFailurePercentage: number;
	readonly toleratedFailureCount: number;
	readonly children: { readonly items: number; status: ChildStatus }[];
}

/** The Map state named `name` anywhere in the definition (top level, a Parallel's branch, a Map's processor). */
function findState(machine: JsonValue | undefined, name: string): JsonObject | undefined {
	const states = isJsonObject(machine) ? machine.States : undefined;
	if (!isJsonObject(states)) return undefined;
	const own = states[name];
	if (isJsonObject(own)) return own;
	for (const state of Object.values(states)) {
		if (!isJsonObject(state)) continue;
		const nested = [...(Array.isArray(state.Branches) ? state.Branches : []), state.ItemProcessor ?? state.Iterator];
		for (const machineOf of nested) {
			const found = findState(machineOf, name);
			if (found) return found;
		}
	}
	return undefined;
}

const numberOr = (value: JsonValue | undefined, fallback: number) => (typeof value === "number" ? value : fallback);

function counts(children: MapRun["children"], weight: (child: MapRun["children"][number]) => number): MapRunCounts {
	const by = (status: ChildStatus) => children.reduce((n, c) => n + (c.status === status ? weight(c) : 0), 0);
	return {
		pending: by("PENDING"),
		running: by("RUNNING"),
		succeeded: by("SUCCEEDED"),
		failed: by("FAILED"),
		timedOut: 0,
		aborted: by("ABORTED"),
		total: children.reduce((n, c) => n + weight(c), 0),
		resultsWritten: 0,
		failuresNotRedrivable: 0,
		pendingRedrive: 0,
	};
}

export const itemCounts = (run: MapRun): MapRunCounts => counts(run.children, (c) => c.items);
export const executionCounts = (run: MapRun): MapRunCounts => counts(run.children, () => 1);

/** One execution's map runs, as its observer and for the server's events. */
export interface ExecutionMapRuns extends MapRunObserver {
	/** A MapIterationStarted event: the child execution is running. */
	childStarted(mapName: string, index: number): void;
	/** The execution stopped: a map run still running was aborted, and so were its unfinished children. */
	executionStopped(): void;
}

export class MapRunRegistry {
	private readonly byArn = new Map<string, MapRun>();
	private readonly byExecution = new Map<string, MapRun[]>();

	constructor(private readonly now: () => number = Date.now) {}

	forExecution(execution: { executionArn: string; stateMachineArn: string; definition: JsonValue }): ExecutionMapRuns {
		const { executionArn } = execution;
		/** Per Map state, its latest map run (a retried Map starts another). */
		const latest = new Map<string, MapRun>();
		const finish = (run: MapRun, status: MapRunStatus) => {
			if (run.status !== "RUNNING") return;
			run.status = status;
			run.stopDate = this.now();
		};
		return {
			started: (mapName, itemsPerChild, maxConcurrency) => {
				const state = findState(execution.definition, mapName) ?? {};
				const label = typeof state.Label === "string" ? state.Label : mapName;
				const previous = latest.get(mapName);
				if (previous) finish(previous, "ABORTED");
				const run: MapRun = {
					mapRunArn: `${execution.stateMachineArn.replace(":stateMachine:", ":mapRun:")}/${label}:${randomUUID()}`,
					executionArn,
					stateMachineArn: `${execution.stateMachineArn}/${label}`,
					stateName: mapName,
					startDate: this.now(),
					status: "RUNNING",
					maxConcurrency: maxConcurrency ?? numberOr(state.MaxConcurrency, 0),
					toleratedFailurePercentage: numberOr(state.ToleratedFailurePercentage, 0),
					toleratedFailureCount: numberOr(state.ToleratedFailureCount, 0),
					children: itemsPerChild.map((items) => ({ items, status: "PENDING" })),
				};
				latest.set(mapName, run);
				this.byArn.set(run.mapRunArn, run);
				this.byExecution.set(executionArn, [...(this.byExecution.get(executionArn) ?? []), run]);
				if (run.children.length === 0) finish(run, "SUCCEEDED");
				return run.mapRunArn;
			},
			childStarted: (mapName, index) => {
				const run = latest.get(mapName);
				const child = run?.status === "RUNNING" ? run.children[index] : undefined;
				// The event can arrive after a quick child has already finished.
				if (child?.status === "PENDING") child.status = "RUNNING";
			},
			childFinished: (mapName, index, ok) => {
				const run = latest.get(mapName);
				// A Task still running when its execution was stopped finishes in the background: its child stays aborted.
				const child = run?.status === "RUNNING" ? run.children[index] : undefined;
				if (child) child.status = ok ? "SUCCEEDED" : "FAILED";
			},
			closed: (mapName, ok) => {
				const run = latest.get(mapName);
				if (run) finish(run, ok ? "SUCCEEDED" : "FAILED");
			},
			executionStopped: () => {
				for (const run of latest.values()) {
					if (run.status !== "RUNNING") continue;
					for (const child of run.children) if (child.status === "PENDING" || child.status === "RUNNING") child.status = "ABORTED";
					finish(run, "ABORTED");
				}
			},
		};
	}

	/** The execution's map runs, newest first. */
	list(executionArn: string): MapRun[] {
		return [...(this.byExecution.get(executionArn) ?? [])].reverse();
	}

	get(mapRunArn: string): MapRun | undefined {
		return this.byArn.get(mapRunArn);
	}
}
