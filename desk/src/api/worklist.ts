import { queryOptions } from "@tanstack/react-query";
import { apiGet, apiPath, apiSend } from "./client.js";

/** The desk operation that resolves an item, with its input as the operation takes it. */
export interface ResolvingAction {
	readonly operation: string;
	readonly input: Readonly<Record<string, unknown>>;
}

export interface WorkItem {
	readonly id: string;
	readonly kind: string;
	readonly accountId?: string;
	readonly invoiceNumber?: string;
	/** As `stripe:pi_1`. */
	readonly paymentId?: string;
	readonly amount?: number;
	readonly currency?: string;
	readonly ageDays: number;
	readonly detail: string;
	readonly assignee?: string;
	/** The CLI command that resolves it. */
	readonly resolve: string;
	readonly action?: ResolvingAction;
}

export interface WorklistFilters {
	readonly kind?: string | undefined;
	readonly assignee?: string | undefined;
}

export const worklistQuery = (filters: WorklistFilters) =>
	queryOptions({
		queryKey: ["worklist", filters],
		queryFn: ({ signal }) => apiGet<{ items: WorkItem[]; total: number }>("worklist", { query: { ...filters }, signal }),
	});

export const assignItem = (input: { id: string; to: string }) =>
	apiSend<unknown>("POST", apiPath`worklist/${input.id}/assign`, { to: input.to });
