import { ValidationError } from "./errors.js";
import { periodSchema } from "./model.js";

export interface BillingPeriod {
	/** YYYY-MM */
	readonly period: string;
	/** First day of the period, YYYY-MM-DD. */
	readonly periodStart: string;
	/** Last day of the period, YYYY-MM-DD. */
	readonly periodEnd: string;
	/** The date the run treats as today: invoices are issued on it, dunning and reports count from it. */
	readonly asOf: string;
}

/** Execution names derive from the period so Step Functions itself refuses a second run of it. */
export function executionNameFor(period: string): string {
	return `billing-${period}`;
}

export function parsePeriod(value: unknown): string {
	const result = periodSchema.safeParse(value);
	if (!result.success) {
		throw new ValidationError(`invalid billing period ${JSON.stringify(value)}: period must be in YYYY-MM form, e.g. 2026-10`);
	}
	return result.data;
}

export function parseIsoDate(value: string, what = "date"): string {
	if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
		throw new ValidationError(`invalid ${what} ${JSON.stringify(value)}: expected YYYY-MM-DD`);
	}
	const roundTrip = new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10);
	if (roundTrip !== value) throw new ValidationError(`invalid ${what} ${JSON.stringify(value)}: no such day`);
	return value;
}

export function previousPeriod(now: Date): string {
	const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
	return d.toISOString().slice(0, 7);
}

export function addDays(isoDate: string, days: number): string {
	const d = new Date(`${isoDate}T00:00:00Z`);
	d.setUTCDate(d.getUTCDate() + days);
	return d.toISOString().slice(0, 10);
}

export function daysBetween(fromIsoDate: string, toIsoDate: string): number {
	return Math.round((Date.parse(`${toIsoDate}T00:00:00Z`) - Date.parse(`${fromIsoDate}T00:00:00Z`)) / 86_400_000);
}

export function resolveBillingPeriod(requested: { period?: unknown; asOf?: unknown }, startedAt: Date): BillingPeriod {
	const period = requested.period === undefined ? previousPeriod(startedAt) : parsePeriod(requested.period);
	const [year, month] = period.split("-").map(Number) as [number, number];
	const periodStart = `${period}-01`;
	const periodEnd = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
	const firstDayAfter = addDays(periodEnd, 1);
	const asOf =
		requested.asOf === undefined
			? maxDate(firstDayAfter, startedAt.toISOString().slice(0, 10))
			: parseIsoDate(String(requested.asOf), "asOf");
	if (asOf < firstDayAfter) {
		throw new ValidationError(`asOf ${asOf} is inside period ${period}: a period is billed after it ends (${firstDayAfter} or later)`);
	}
	return { period, periodStart, periodEnd, asOf };
}

function maxDate(a: string, b: string): string {
	return a > b ? a : b;
}

/** A change dated into a closed period, booked on the first open day instead. */
export interface Rebooked {
	/** The day it was dated. */
	readonly requestedOn: string;
	/** The first open day, where its ledger entries went. */
	readonly bookedOn: string;
}

/** Where a back-dated change went, e.g. "INV-1 written off on 2026-12-01 (asked for 2026-11-20; November 2026 is closed)". */
export function rebookedNote(done: string, rebooked: Rebooked): string {
	const month = new Date(`${rebooked.requestedOn.slice(0, 7)}-01T00:00:00Z`).toLocaleString("en-US", {
		month: "long",
		year: "numeric",
		timeZone: "UTC",
	});
	return `${done} on ${rebooked.bookedOn} (asked for ${rebooked.requestedOn}; ${month} is closed)`;
}
