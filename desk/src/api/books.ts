import { queryOptions } from "@tanstack/react-query";
import { apiDownload, apiGet, apiPath, apiSend } from "./client.js";

export interface TrialBalanceRow {
	readonly currency: string;
	readonly code: string;
	readonly name: string;
	readonly opening: number;
	readonly debits: number;
	readonly credits: number;
	readonly closing: number;
}

/** Whether the ledger agrees with the customers' balances, per currency; `differences` says where not. */
export interface TieOut {
	readonly currency: string;
	readonly receivable: number;
	readonly customerCredit: number;
	readonly customerBalances: number;
	readonly differences: readonly string[];
}

export interface TrialBalance {
	readonly rows: readonly TrialBalanceRow[];
	readonly tieOut: readonly TieOut[];
}

export const EXPORT_FORMATS = [
	{ format: "quickbooks", label: "QuickBooks" },
	{ format: "xero", label: "Xero" },
	{ format: "csv", label: "CSV" },
] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number]["format"];

export const trialBalanceQuery = (period: string) =>
	queryOptions({
		queryKey: ["trial-balance", period],
		queryFn: ({ signal }) => apiGet<TrialBalance>(apiPath`books/${period}/trial-balance`, { signal }),
	});

export const exportBooks = (period: string, format: ExportFormat) =>
	apiDownload(apiPath`books/${period}/export`, { format }, `journal-${period}-${format}.csv`);

export const closeBooks = (period: string, body: { force: boolean; reason?: string }) =>
	apiSend<unknown>("POST", apiPath`books/${period}/close`, body);
