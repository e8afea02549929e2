import { queryOptions } from "@tanstack/react-query";
import { apiGet, apiPath } from "./client.js";

export interface Execution {
	readonly name: string;
	readonly status: string;
	readonly startDate: string;
	readonly stopDate?: string;
}

export interface StateRun {
	readonly name: string;
	readonly status: string;
	readonly enteredAt?: string;
	readonly exitedAt?: string;
	readonly input?: unknown;
	readonly output?: unknown;
	readonly error?: string;
	readonly cause?: string;
}

export interface ExecutionDetail {
	readonly name: string;
	readonly status: string;
	readonly states: readonly StateRun[];
	/** The console's drawing of the run (local/emulator/console-graph.ts), with its own styles. */
	readonly graphSvg?: string;
}

export const executionsQuery = queryOptions({
	queryKey: ["executions"],
	queryFn: ({ signal }) => apiGet<{ items: Execution[] }>("executions", { signal }),
});

export const executionQuery = (name: string) =>
	queryOptions({
		queryKey: ["execution", name],
		queryFn: ({ signal }) => apiGet<ExecutionDetail>(apiPath`executions/${name}`, { signal }),
	});
