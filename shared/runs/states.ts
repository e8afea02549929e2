import type { HistoryEvent } from "@aws-sdk/client-sfn";

/**
 * A state's run as read from a Step Functions execution history, and how its entry and
 * exit are read. The reader that decides which run an exit or error belongs to and what
 * status it ends with is view.ts (stateRuns, historyStates), for the console's view
 * and `billing executions show` (cli/operations.ts) alike, so `Status` is its.
 */
export interface HistoryState<Status extends string> {
	readonly name: string;
	readonly type: string;
	status: Status;
	readonly enteredAt: string;
	exitedAt?: string;
	durationMs?: number;
	readonly input?: unknown;
	output?: unknown;
	error?: string;
	cause?: string;
}

/** A state's input or output as recorded: JSON, or the text itself when it is not JSON. */
export function parseJson(value: string | undefined): unknown {
	if (value === undefined) return undefined;
	try {
		return JSON.parse(value) as unknown;
	} catch {
		return value;
	}
}

export function eventTime(event: HistoryEvent): string {
	return event.timestamp ? new Date(event.timestamp).toISOString() : "";
}

/** The run a `<Type>StateEntered` event starts, still running; undefined for any other event. */
export function enteredState(event: HistoryEvent): HistoryState<"RUNNING"> | undefined {
	const type = event.type ?? "";
	const details = event.stateEnteredEventDetails;
	if (!type.endsWith("StateEntered") || !details) return undefined;
	return {
		name: details.name ?? "",
		type: type.slice(0, -"StateEntered".length),
		status: "RUNNING",
		enteredAt: eventTime(event),
		input: parseJson(details.input),
	};
}

/** Ends a run at `at` with the status its reader gives it. */
export function closeState<Status extends string>(run: HistoryState<Status>, status: Status, at: string): void {
	run.status = status;
	run.exitedAt = at;
	run.durationMs = Date.parse(at) - Date.parse(run.enteredAt);
}
