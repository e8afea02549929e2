import type { Aging } from "./aging.js";

/**
 * The billing report's figures: computed by reporting/reports.ts, rendered by
 * documents/report-html.ts and published as JSON as they are. Amounts in minor units, per currency.
 */

/** One currency's movements in a month, minor units; amounts are positive, `netChangeInReceivables` is signed. */
export interface Flows {
	readonly invoicesIssued: number;
	readonly invoicedAmount: number;
	readonly creditMemos: number;
	readonly paymentsReceived: number;
	readonly paymentsApplied: number;
	readonly refunds: number;
	readonly writeOffs: number;
	readonly netChangeInReceivables: number;
}

export interface MonthFlows {
	readonly period: string;
	readonly byCurrency: Record<string, Flows>;
}

export interface AccountAging {
	readonly accountId: string;
	readonly currency: string;
	readonly aging: Aging;
	readonly total: number;
	readonly overdue: number;
	readonly maxDaysOverdue: number;
}

export interface BillingReport {
	/** YYYY-MM or YYYY-Qn. */
	readonly label: string;
	readonly kind: "monthly" | "quarterly";
	readonly asOf: string;
	/** One entry per month of the report, in order: the quarterly report's month-by-month columns. */
	readonly months: readonly MonthFlows[];
	readonly totals: Record<string, Flows>;
	readonly agingByCurrency: Record<string, Aging>;
	readonly agingByAccount: readonly AccountAging[];
	/** Days sales outstanding per currency: receivables ÷ invoiced in the report's months × its days, one decimal; null when nothing was invoiced. */
	readonly daysSalesOutstanding: Record<string, number | null>;
	readonly topOverdueAccounts: readonly AccountAging[];
	/** The month's books (monthly report of the cycle): whether the trial balance ties out, and its files' keys. */
	readonly books?: { readonly ties: boolean; readonly files: Readonly<Record<string, string>> };
}
