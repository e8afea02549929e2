import { describe, expect, it } from "vitest";
import { type EngineEvent, type HistoryEvent, HistoryRecorder } from "../../local/emulator/stepfunctions/history.js";

/**
 * HistoryRecorder fed engine events directly, in orders the embedded engine can deliver
 * them, so the history's `previousEventId` links can be checked as AWS records them: every
 * event of a Map iteration chains back through its own MapIterationStarted to the Map's
 * entry, never through another iteration's events.
 */

const MAP = "Invoice Accounts";
/** The adapter's wrapper around each iteration of a Distributed Map (a Parallel with one branch). */
const WRAPPER = "Invoice Accounts [local: iteration]";
const TASK = "Generate Invoices";
const FAIL = "Invoice Batch Failed";
const RECORD_FAILED = "Invoice Accounts [local: record failed item]";

type StateType = "Map" | "Parallel" | "Task" | "Pass" | "Fail";
type Batch = { batch: number };

function recorder(containers: Record<string, string>): HistoryRecorder {
	return new HistoryRecorder({
		taskResources: {},
		containers: new Map(Object.entries(containers)),
		roleArn: "arn:aws:iam::000000000000:role/sfn",
		region: "us-east-1",
	});
}

const ev = (event: Record<string, unknown>): EngineEvent => event as unknown as EngineEvent;
const executionStarted = (t: number) => ev({ type: "ExecutionStarted", timestamp: t, input: {} });
const executionSucceeded = (t: number) => ev({ type: "ExecutionSucceeded", timestamp: t, output: {} });
const state = (
	type: "StateEntered" | "StateExited" | "StateFailed" | "StateCaught",
	t: number,
	name: string,
	stateType: StateType,
	index?: number,
) => {
	const data: Batch | { items: number[] } = index === undefined ? { items: [0, 1] } : { batch: index };
	return ev({
		type,
		timestamp: t,
		state: { name, type: stateType, input: data, ...(type === "StateExited" ? { output: data } : {}) },
		...(index !== undefined ? { index } : {}),
		...(type === "StateFailed" ? { Error: "InvoiceGenerationError", Cause: "boom" } : {}),
		...(type === "StateCaught" ? { catch: { catcher: {} } } : {}),
	});
};
const iteration = (type: "MapIterationStarted" | "MapIterationSucceeded" | "MapIterationFailed", t: number, index: number) =>
	ev({ type, timestamp: t, index, parentState: { name: MAP, type: "Map", input: {} } });
const branch = (type: "ParallelBranchStarted" | "ParallelBranchFailed" | "ParallelBranchSucceeded", t: number) =>
	ev({ type, timestamp: t, parentState: { name: WRAPPER, type: "Parallel", input: {} } });

/** The time the executions here start at. */
const T0 = 1_700_000_000_000;

/** Records the events the engine delivers in one macrotask, then flushes them as the server does. */
function feed(history: HistoryRecorder, events: readonly EngineEvent[]): void {
	for (const e of events) history.record(e);
	history.flush();
}

/** The Map iteration a recorded state event belongs to (its input or output names the batch), if any. */
function batchOf(event: HistoryEvent): number | undefined {
	const details = (event.stateEnteredEventDetails ?? event.stateExitedEventDetails) as
		| { input?: string; output?: string; name: string }
		| undefined;
	if (!details) return undefined;
	const data = JSON.parse(details.input ?? details.output ?? "null") as Partial<Batch> | null;
	return data?.batch;
}

/**
 * Follows `previousEventId` from `event` back to the Map's entry and checks the way: every
 * state event before the iteration's start is of the same batch, the first Map iteration
 * event met is that iteration's MapIterationStarted, and the chain reaches MapStateEntered.
 */
function expectChainsThroughOwnIteration(history: readonly HistoryEvent[], event: HistoryEvent, batch: number): void {
	const byId = new Map(history.map((e) => [e.id, e]));
	const path: string[] = [];
	let current: HistoryEvent | undefined = event;
	let startedSeen = false;
	for (let guard = 0; current && guard < history.length; guard++) {
		path.push(`${current.id} ${current.type}${batchOf(current) !== undefined ? ` batch ${batchOf(current)}` : ""}`);
		if (current.type === "MapStateEntered") break;
		if (!startedSeen) {
			const own = batchOf(current);
			if (own !== undefined) expect(own, `${event.id} ${event.type} chains through ${path.join(" <- ")}`).toBe(batch);
			if (current.type.startsWith("MapIteration")) {
				expect(current.type, `${event.id} ${event.type} chains through ${path.join(" <- ")}`).toBe("MapIterationStarted");
				expect((current.mapIterationStartedEventDetails as { index: number }).index, path.join(" <- ")).toBe(batch);
				startedSeen = true;
			}
		}
		current = byId.get(current.previousEventId);
	}
	expect(startedSeen, `${event.id} ${event.type} chains through ${path.join(" <- ")}`).toBe(true);
	expect(current?.type, path.join(" <- ")).toBe("MapStateEntered");
}

function expectEveryIterationChainsBack(history: readonly HistoryEvent[], batches: number[]): void {
	for (const batch of batches) {
		const own = history.filter((e) => batchOf(e) === batch);
		expect(own.length, `events of batch ${batch}`).toBeGreaterThan(0);
		for (const event of own) expectChainsThroughOwnIteration(history, event, batch);
		const started = history.find(
			(e) => e.type === "MapIterationStarted" && (e.mapIterationStartedEventDetails as { index: number }).index === batch,
		);
		expect(started, `MapIterationStarted of batch ${batch}`).toBeDefined();
		for (const event of own)
			expect(event.id, `${event.type} of batch ${batch} after its MapIterationStarted`).toBeGreaterThan(started?.id ?? 0);
	}
}

const summary = (history: readonly HistoryEvent[]) =>
	history.map((e) => `${e.id}<-${e.previousEventId} ${e.type}${batchOf(e) !== undefined ? ` batch ${batchOf(e)}` : ""}`);

describe("HistoryRecorder: Map iterations' previousEventId", () => {
	it("converts an iteration's state event that arrives before its MapIterationStarted right after it, chained to it", () => {
		const history = recorder({ [TASK]: MAP, Done: MAP });
		feed(history, [
			executionStarted(T0),
			state("StateEntered", T0 + 1, MAP, "Map"),
			iteration("MapIterationStarted", T0 + 2, 0),
			state("StateEntered", T0 + 3, TASK, "Task", 0),
			state("StateExited", T0 + 5, TASK, "Task", 0),
			state("StateEntered", T0 + 5, "Done", "Pass", 0),
			state("StateExited", T0 + 5, "Done", "Pass", 0),
			iteration("MapIterationSucceeded", T0 + 5, 0),
		]);
		// Iteration 1's first state comes in one flush, its MapIterationStarted only in the next.
		feed(history, [state("StateEntered", T0 + 6, TASK, "Task", 1)]);
		feed(history, [
			iteration("MapIterationStarted", T0 + 6, 1),
			state("StateExited", T0 + 8, TASK, "Task", 1),
			state("StateEntered", T0 + 8, "Done", "Pass", 1),
			state("StateExited", T0 + 8, "Done", "Pass", 1),
			iteration("MapIterationSucceeded", T0 + 8, 1),
			state("StateExited", T0 + 9, MAP, "Map"),
			executionSucceeded(T0 + 10),
		]);

		const events = history.events;
		expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
		expect(events.filter((e) => e.type === "TaskStateEntered")).toHaveLength(2);
		expect(events.filter((e) => e.type === "PassStateExited")).toHaveLength(2);
		expectEveryIterationChainsBack(events, [0, 1]);
		const started1 = events.find((e) => e.type === "MapIterationStarted" && e.id > 3);
		const entered1 = events.find((e) => e.type === "TaskStateEntered" && batchOf(e) === 1);
		expect(started1?.previousEventId, summary(events).join("\n")).toBe(2);
		expect(entered1?.id, summary(events).join("\n")).toBe((started1?.id ?? 0) + 1);
		expect(entered1?.previousEventId).toBe(started1?.id);
		expect(events.at(-1)?.type).toBe("ExecutionSucceeded");
	});

	it("keeps an iteration that starts as another iteration's branch fails out of that batch (MaxConcurrency slot freed)", () => {
		// The adapter's shape of a Distributed Map: each iteration is a one-branch Parallel.
		const history = recorder({ [WRAPPER]: MAP, [RECORD_FAILED]: MAP, [TASK]: WRAPPER, [FAIL]: WRAPPER });
		feed(history, [
			executionStarted(T0),
			state("StateEntered", T0 + 1, MAP, "Map"),
			iteration("MapIterationStarted", T0 + 2, 4),
			state("StateEntered", T0 + 2, WRAPPER, "Parallel", 4),
			branch("ParallelBranchStarted", T0 + 2),
			state("StateEntered", T0 + 2, TASK, "Task", 4),
			state("StateFailed", T0 + 3, TASK, "Task", 4),
			state("StateCaught", T0 + 3, TASK, "Task", 4),
			state("StateExited", T0 + 3, TASK, "Task", 4),
		]);
		// One macrotask: batch 4's branch ends in its Fail state and the Parallel's Catch records the
		// failure; the engine forwards the branch's own events (two levels deep) a few microtasks
		// after the Parallel's, and batch 4's slot (MaxConcurrency) goes to batch 8 at once.
		feed(history, [
			state("StateFailed", T0 + 4, WRAPPER, "Parallel", 4),
			state("StateCaught", T0 + 4, WRAPPER, "Parallel", 4),
			state("StateExited", T0 + 4, WRAPPER, "Parallel", 4),
			state("StateEntered", T0 + 4, RECORD_FAILED, "Task", 4),
			state("StateEntered", T0 + 4, FAIL, "Fail", 4),
			state("StateFailed", T0 + 4, FAIL, "Fail", 4),
			branch("ParallelBranchFailed", T0 + 4),
			state("StateExited", T0 + 4, RECORD_FAILED, "Task", 4),
			iteration("MapIterationSucceeded", T0 + 4, 4),
			iteration("MapIterationStarted", T0 + 4, 8),
			state("StateEntered", T0 + 4, WRAPPER, "Parallel", 8),
			branch("ParallelBranchStarted", T0 + 4),
			state("StateEntered", T0 + 4, TASK, "Task", 8),
		]);
		feed(history, [
			state("StateExited", T0 + 6, TASK, "Task", 8),
			branch("ParallelBranchSucceeded", T0 + 6),
			state("StateExited", T0 + 6, WRAPPER, "Parallel", 8),
			iteration("MapIterationSucceeded", T0 + 6, 8),
			state("StateExited", T0 + 7, MAP, "Map"),
			executionSucceeded(T0 + 8),
		]);

		const events = history.events;
		expectEveryIterationChainsBack(events, [4, 8]);
		const generate8 = events.find((e) => e.type === "TaskStateEntered" && batchOf(e) === 8);
		const wrapper8 = events.find((e) => e.type === "ParallelStateEntered" && batchOf(e) === 8);
		expect(wrapper8 && generate8 && wrapper8.id < generate8.id, summary(events).join("\n")).toBe(true);
		// Batch 4's late Fail state still lands before its Parallel's failure.
		const fail4 = events.find((e) => e.type === "FailStateEntered");
		const parallelFailed = events.find((e) => e.type === "ParallelStateFailed");
		expect(fail4 && parallelFailed && fail4.id < parallelFailed.id, summary(events).join("\n")).toBe(true);
		expect(events.at(-1)?.type).toBe("ExecutionSucceeded");
	});

	it("loses no event whose MapIterationStarted never comes: it is converted when the execution terminates", () => {
		const history = recorder({ [TASK]: MAP });
		feed(history, [
			executionStarted(T0),
			state("StateEntered", T0 + 1, MAP, "Map"),
			iteration("MapIterationStarted", T0 + 2, 0),
			state("StateEntered", T0 + 2, TASK, "Task", 0),
			state("StateEntered", T0 + 2, TASK, "Task", 3),
		]);
		history.terminate("ABORTED", T0 + 3, { error: "Stopped", cause: "by the operator" });

		expect(summary(history.events)).toEqual([
			"1<-0 ExecutionStarted",
			"2<-1 MapStateEntered",
			"3<-2 MapIterationStarted",
			"4<-3 TaskStateEntered batch 0",
			"5<-4 TaskScheduled",
			"6<-5 TaskStarted",
			// Batch 3's entry, still waiting for its MapIterationStarted, chains to the Map's entry.
			"7<-2 TaskStateEntered batch 3",
			"8<-7 TaskScheduled",
			"9<-8 TaskStarted",
			"10<-2 ExecutionAborted",
		]);
	});
});
