import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { type AslFlow, type AslState, allStates } from "./flow.js";
import { closeState, enteredState, eventTime, type HistoryState, parseJson } from "./states.js";

/**
 * One execution as the console shows it: per state of the definition, its status and
 * runs, read from the execution history. The local engine's helper states
 * (`Invoice Accounts [local: iteration]`, one per child execution) are folded into their
 * Map as one map run with counts, as AWS shows a Distributed Map; an execution that was
 * aborted (StopExecution, or the embedded stack stopped) shows its unfinished states as
 * aborted, never as running.
 */

export type StateStatus = "SUCCEEDED" | "FAILED" | "CAUGHT" | "RUNNING" | "ABORTED" | "NOT_REACHED";

export const STATUS_WORDS: Readonly<Record<StateStatus, string>> = {
	SUCCEEDED: "Succeeded",
	FAILED: "Failed",
	CAUGHT: "Caught error",
	RUNNING: "In progress",
	ABORTED: "Aborted",
	NOT_REACHED: "Not reached",
};

export interface StateRun extends HistoryState<StateStatus> {
	/** Task attempts (1 + retries). */
	attempts: number;
	/** The Map iteration (child execution) it ran in. */
	readonly iteration?: number;
}

export interface Counts {
	total: number;
	succeeded: number;
	failed: number;
	running: number;
	aborted: number;
}

/** A Distributed Map's run: its child executions (batches) and the items they carried. */
export interface MapRunView {
	readonly children: Counts;
	readonly items: Counts;
	/** Child executions that failed, with the error that ended them. */
	readonly failures: readonly { readonly index: number; readonly items: number; readonly error?: string; readonly cause?: string }[];
	/** How many runs of the local engine's helper states were folded into it. */
	readonly helperRuns: number;
}

export interface StateView {
	readonly name: string;
	readonly type: string;
	readonly status: StateStatus;
	readonly parent?: string;
	/** Runs by status. */
	readonly counts: Readonly<Partial<Record<StateStatus, number>>>;
	readonly runCount: number;
	/** The runs worth reading (every one that did not succeed, first; then retried ones; a few that did), at most MAX_RUNS_SHOWN. */
	readonly runs: readonly StateRun[];
	readonly mapRun?: MapRunView;
	/** A Fail state's error and cause from the definition. */
	readonly error?: string;
	readonly cause?: string;
}

export interface ExecutionView {
	readonly states: Readonly<Record<string, StateView>>;
}

const MAX_RUNS_SHOWN = 20;
const SUCCEEDED_RUNS_SHOWN = 3;

interface OpenRun extends StateRun {
	open: boolean;
	/** A Map or Parallel that failed (their events carry no error details). */
	failedWithoutDetails?: boolean;
}

const HELPER = /^(.+) \[local: ([a-z ]+)\](?: \d+)?$/;

function errorDetails(event: HistoryEvent): { error?: string; cause?: string } | undefined {
	return (
		event.lambdaFunctionFailedEventDetails ??
		event.lambdaFunctionTimedOutEventDetails ??
		event.taskFailedEventDetails ??
		event.taskTimedOutEventDetails ??
		event.lambdaFunctionScheduleFailedEventDetails ??
		event.lambdaFunctionStartFailedEventDetails ??
		event.taskStartFailedEventDetails ??
		event.taskSubmitFailedEventDetails ??
		event.mapRunFailedEventDetails ??
		undefined
	);
}

const TERMINAL: Readonly<Record<string, string>> = {
	ExecutionSucceeded: "SUCCEEDED",
	ExecutionFailed: "FAILED",
	ExecutionAborted: "ABORTED",
	ExecutionTimedOut: "TIMED_OUT",
};

/**
 * Every state run of the history. Events are attributed through `previousEventId` (each
 * event names the one that led to it, so the interleaved events of concurrent Map
 * iterations stay apart); a history without that chain falls back to the order of events.
 */
export function stateRuns(events: readonly HistoryEvent[]): { runs: StateRun[]; executionStatus: string } {
	const runs: OpenRun[] = [];
	const runOfEvent = new Map<number, OpenRun>();
	const iterationOfEvent = new Map<number, number>();
	let executionStatus = "RUNNING";
	const close = (run: OpenRun, status: StateStatus, at: string) => {
		run.open = false;
		closeState(run, status, at);
	};
	for (const event of events) {
		const id = event.id ?? 0;
		const previous = event.previousEventId ?? id - 1;
		const type = event.type ?? "";
		const at = eventTime(event);
		const iteration = iterationOfEvent.get(previous);
		if (iteration !== undefined) iterationOfEvent.set(id, iteration);
		const before = runOfEvent.get(previous);
		if (TERMINAL[type]) {
			executionStatus = TERMINAL[type] as string;
			continue;
		}
		if (type === "MapIterationStarted") {
			iterationOfEvent.set(id, event.mapIterationStartedEventDetails?.index ?? 0);
			continue;
		}
		const entered = enteredState(event);
		if (entered) {
			// A state whose error was caught without an exit event of its own (as AWS records it).
			if (before?.open && (before.error !== undefined || before.failedWithoutDetails)) close(before, "CAUGHT", at);
			const run: OpenRun = { ...entered, attempts: 0, open: true, ...(iteration !== undefined ? { iteration } : {}) };
			if (run.type === "Fail") close(run, "FAILED", at);
			runs.push(run);
			runOfEvent.set(id, run);
			continue;
		}
		// Anything else belongs to the run of the event that led to it (or, without that chain, the last one open).
		const run =
			before && (before.open || !type.endsWith("StateExited"))
				? before
				: runs.findLast((r) => r.open && (!type.endsWith("StateExited") || r.name === event.stateExitedEventDetails?.name));
		if (!run) continue;
		runOfEvent.set(id, run);
		if (type.endsWith("StateExited")) {
			if (!run.open) continue;
			close(run, run.error !== undefined || run.failedWithoutDetails ? "CAUGHT" : "SUCCEEDED", at);
			run.output = parseJson(event.stateExitedEventDetails?.output);
		} else if (type === "LambdaFunctionScheduled" || type === "TaskScheduled") {
			run.attempts += 1;
			delete run.error;
			delete run.cause;
		} else if (type === "MapStateFailed" || type === "ParallelStateFailed") {
			run.failedWithoutDetails = true;
		} else {
			const details = errorDetails(event);
			if (details) {
				if (details.error !== undefined) run.error = details.error;
				if (details.cause !== undefined) run.cause = details.cause;
			}
		}
	}
	for (const run of runs) {
		if (!run.open) continue;
		if (run.error !== undefined || run.failedWithoutDetails) run.status = "FAILED";
		else run.status = executionStatus === "RUNNING" ? "RUNNING" : "ABORTED";
	}
	return {
		runs: runs.map(({ open: _open, failedWithoutDetails: _failed, ...run }) => run),
		executionStatus,
	};
}

function emptyCounts(): Counts {
	return { total: 0, succeeded: 0, failed: 0, running: 0, aborted: 0 };
}

function count(counts: Counts, status: StateStatus, n: number): void {
	counts.total += n;
	if (status === "SUCCEEDED") counts.succeeded += n;
	else if (status === "RUNNING") counts.running += n;
	else if (status === "ABORTED") counts.aborted += n;
	else counts.failed += n;
}

function itemsOf(input: unknown): number {
	const value = (input as { value?: { Items?: unknown } } | undefined)?.value;
	return Array.isArray(value?.Items) ? value.Items.length : 1;
}

function indexOf(input: unknown): number | undefined {
	const index = (input as { index?: unknown } | undefined)?.index;
	return typeof index === "number" ? index : undefined;
}

interface HelperRuns {
	prepare: StateRun[];
	iterations: StateRun[];
	recorded: StateRun[];
	recordedFailed: StateRun[];
	check: StateRun[];
}

function mapRunOf(helpers: HelperRuns): MapRunView {
	const children = emptyCounts();
	const items = emptyCounts();
	const failures: { index: number; items: number; error?: string; cause?: string }[] = [];
	const recordedFailed = new Map<number, StateRun>();
	for (const run of helpers.recordedFailed) {
		const index = indexOf(run.input);
		if (index !== undefined) recordedFailed.set(index, run);
	}
	const recorded = new Set(helpers.recorded.map((r) => indexOf(r.input)));
	for (const iteration of helpers.iterations) {
		const index = indexOf(iteration.input) ?? iteration.iteration ?? 0;
		const n = itemsOf(iteration.input);
		const failed = recordedFailed.get(index);
		let status: StateStatus = iteration.status;
		if (recorded.has(index)) status = "SUCCEEDED";
		else if (failed || iteration.status === "CAUGHT") status = "FAILED";
		else if (iteration.status === "SUCCEEDED") status = iteration.status;
		count(children, status, 1);
		count(items, status, n);
		if (status === "FAILED") {
			const error = (failed?.input as { error?: { Error?: unknown; Cause?: unknown } } | undefined)?.error;
			failures.push({
				index,
				items: n,
				...(typeof error?.Error === "string" ? { error: error.Error } : {}),
				...(typeof error?.Cause === "string" ? { cause: error.Cause } : {}),
			});
		}
	}
	failures.sort((a, b) => a.index - b.index);
	const helperRuns = Object.values(helpers).reduce((n, list: StateRun[]) => n + list.length, 0);
	return { children, items, failures, helperRuns };
}

/**
 * A Map rewritten by the local adapter runs as `[local: read items]` → the Map → `[local:
 * check failures]`: on AWS that is one Map state, so its run starts at the first, ends at
 * the last, and takes the first error of the three.
 */
function foldMapRuns(name: string, mapRuns: StateRun[], helpers: HelperRuns, executionStatus: string): StateRun[] {
	const parts = [...helpers.prepare, ...mapRuns, ...helpers.check].sort((a, b) => a.enteredAt.localeCompare(b.enteredAt));
	const first = parts[0];
	if (!first) return [];
	const last = parts.at(-1) as StateRun;
	const failed = parts.find((p) => p.status === "FAILED" || p.status === "CAUGHT");
	const lastCheck = helpers.check.at(-1);
	let status: StateStatus;
	if (failed) status = failed.status;
	else if (lastCheck && lastCheck === last) status = last.status;
	else if (last.status === "RUNNING" || last.status === "ABORTED") status = last.status;
	else status = executionStatus === "RUNNING" ? "RUNNING" : "ABORTED";
	const run: StateRun = {
		name,
		type: "Map",
		status,
		enteredAt: first.enteredAt,
		input: first.input,
		attempts: 1,
		...(lastCheck?.exitedAt
			? { exitedAt: lastCheck.exitedAt, durationMs: Date.parse(lastCheck.exitedAt) - Date.parse(first.enteredAt) }
			: {}),
		...(lastCheck && lastCheck.output !== undefined ? { output: lastCheck.output } : {}),
		...(failed?.error !== undefined ? { error: failed.error } : {}),
		...(failed?.cause !== undefined ? { cause: failed.cause } : {}),
	};
	return [run];
}

/**
 * The runs of the states an execution went through, in the order they were entered (read by
 * stateRuns), as AWS shows them: the local engine's helper runs of a Map (named `<Map>
 * [local: ...]`) are folded into that Map's one run (foldMapRuns) and counted in its map
 * run. `isHelper(name, map)` says whether a run so named is a helper of a Map: by default
 * any, as the local adapter names only its helper states so. The console's view and
 * `billing executions show` both read an execution through this.
 */
export function historyStates(
	events: readonly HistoryEvent[],
	isHelper: (name: string, map: string) => boolean = () => true,
): { runs: StateRun[]; mapRuns: ReadonlyMap<string, MapRunView> } {
	const { runs, executionStatus } = stateRuns(events);
	const helpersOf = new Map<string, HelperRuns>();
	const mapOfHelper = new Map<StateRun, string>();
	for (const run of runs) {
		const helper = HELPER.exec(run.name);
		const map = helper?.[1];
		if (!helper || map === undefined || !isHelper(run.name, map)) continue;
		const helpers = helpersOf.get(map) ?? { prepare: [], iterations: [], recorded: [], recordedFailed: [], check: [] };
		helpersOf.set(map, helpers);
		mapOfHelper.set(run, map);
		const kind = helper[2];
		if (kind === "read items" || kind === "prepare items") helpers.prepare.push(run);
		else if (kind === "iteration") helpers.iterations.push(run);
		else if (kind === "record item") helpers.recorded.push(run);
		else if (kind === "record failed item") helpers.recordedFailed.push(run);
		else if (kind === "check failures") helpers.check.push(run);
	}
	const mapOf = (run: StateRun) => mapOfHelper.get(run) ?? (run.type === "Map" && helpersOf.has(run.name) ? run.name : undefined);
	const folded: StateRun[] = [];
	const foldedMaps = new Set<string>();
	for (const run of runs) {
		const map = mapOf(run);
		if (map === undefined) folded.push(run);
		else if (!foldedMaps.has(map)) {
			// The Map's one run takes the place of the first of its parts.
			foldedMaps.add(map);
			const ownRuns = runs.filter((r) => r.name === map && !mapOfHelper.has(r));
			folded.push(...foldMapRuns(map, ownRuns, helpersOf.get(map) as HelperRuns, executionStatus));
		}
	}
	const mapRuns = new Map([...helpersOf].map(([map, helpers]) => [map, mapRunOf(helpers)]));
	return { runs: folded, mapRuns };
}

function aggregateStatus(runs: readonly StateRun[], nested: boolean): StateStatus {
	if (runs.length === 0) return "NOT_REACHED";
	if (!nested) return (runs.at(-1) as StateRun).status;
	for (const status of ["FAILED", "RUNNING", "ABORTED", "CAUGHT"] as const) if (runs.some((r) => r.status === status)) return status;
	return "SUCCEEDED";
}

/** Every run that did not succeed, then those that succeeded after a retry, then the last few: at most MAX_RUNS_SHOWN. */
function shownRuns(runs: readonly StateRun[]): StateRun[] {
	const notSucceeded = runs.filter((r) => r.status !== "SUCCEEDED");
	const retried = runs.filter((r) => r.status === "SUCCEEDED" && r.attempts > 1);
	const rest = runs.filter((r) => r.status === "SUCCEEDED" && r.attempts <= 1).slice(-SUCCEEDED_RUNS_SHOWN);
	return [...notSucceeded, ...retried, ...rest].slice(0, MAX_RUNS_SHOWN);
}

/** Per state of the definition (at any depth), its status and runs in this execution's history. */
export function executionView(flow: AslFlow, events: readonly HistoryEvent[]): ExecutionView {
	const definitionStates = allStates(flow);
	const byName = new Map<string, AslState>(definitionStates.map((s) => [s.name, s]));
	const { runs, mapRuns } = historyStates(events, (name, map) => !byName.has(name) && byName.get(map)?.type === "Map");
	const runsOf = new Map<string, StateRun[]>();
	for (const run of runs) {
		const list = runsOf.get(run.name) ?? [];
		list.push(run);
		runsOf.set(run.name, list);
	}
	const states: Record<string, StateView> = {};
	for (const state of definitionStates) {
		const all = runsOf.get(state.name) ?? [];
		const mapRun = mapRuns.get(state.name);
		const counts: Partial<Record<StateStatus, number>> = {};
		for (const run of all) counts[run.status] = (counts[run.status] ?? 0) + 1;
		states[state.name] = {
			name: state.name,
			type: state.type,
			status: aggregateStatus(all, state.parent !== undefined),
			...(state.parent !== undefined ? { parent: state.parent } : {}),
			counts,
			runCount: all.length,
			runs: shownRuns(all),
			...(mapRun ? { mapRun } : {}),
			...(state.error !== undefined ? { error: state.error } : {}),
			...(state.cause !== undefined ? { cause: state.cause } : {}),
		};
	}
	return { states };
}
