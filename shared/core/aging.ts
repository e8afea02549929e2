import { daysBetween } from "./period.js";

/**
 * Aging of open receivables: buckets by days past the due date on a given date (a
 * statement's date, a report's as-of date). Spelled as a billing team reads them on a
 * statement; the statement PDF prints them as they are.
 */
export const AGING_BUCKETS = ["current", "1-30", "31-60", "61-90", "over 90"] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

/** An amount (minor units) per bucket. */
export type Aging = Record<AgingBucket, number>;

/** Every bucket at zero. */
export function emptyAging(): Aging {
	return { current: 0, "1-30": 0, "31-60": 0, "61-90": 0, "over 90": 0 };
}

/** The bucket of an amount due on `dueDate`, as of `asOfDate` (both YYYY-MM-DD): due that day or later is current. */
export function agingBucket(dueDate: string, asOfDate: string): AgingBucket {
	const daysPastDue = daysBetween(dueDate, asOfDate);
	if (daysPastDue <= 0) return "current";
	if (daysPastDue <= 30) return "1-30";
	if (daysPastDue <= 60) return "31-60";
	if (daysPastDue <= 90) return "61-90";
	return "over 90";
}
