import { ValidationError } from "../core/errors.js";
import type { BillingReport } from "../core/report-model.js";

/** What a report covers, read from what a person types: no table or bucket needed, so the CLI checks it as it parses its options. */

export interface ReportPeriod {
	readonly kind: BillingReport["kind"];
	/** YYYY-MM or YYYY-Qn. */
	readonly label: string;
	readonly months: readonly { readonly period: string; readonly periodStart: string; readonly periodEnd: string }[];
}

function monthSpan(period: string) {
	const [year, month] = period.split("-").map(Number) as [number, number];
	return { period, periodStart: `${period}-01`, periodEnd: new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10) };
}

export function quarterOf(period: string): string {
	return `${period.slice(0, 4)}-Q${Math.ceil(Number(period.slice(5, 7)) / 3)}`;
}

export function isQuarterEnd(period: string): boolean {
	return Number(period.slice(5, 7)) % 3 === 0;
}

/** `YYYY-MM` (a month) or `YYYY-Qn` (its three months). */
export function parseReportPeriod(value: string): ReportPeriod {
	if (/^\d{4}-(0[1-9]|1[0-2])$/.test(value)) return { kind: "monthly", label: value, months: [monthSpan(value)] };
	const q = /^(\d{4})-Q([1-4])$/.exec(value);
	if (!q) throw new ValidationError(`invalid report period ${JSON.stringify(value)}: expected YYYY-MM or YYYY-Qn, e.g. 2026-10 or 2026-Q4`);
	const first = (Number(q[2]) - 1) * 3 + 1;
	const months = [0, 1, 2].map((i) => monthSpan(`${q[1]}-${String(first + i).padStart(2, "0")}`));
	return { kind: "quarterly", label: value, months };
}
