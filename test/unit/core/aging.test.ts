import { describe, expect, it } from "vitest";
import { AGING_BUCKETS, agingBucket, emptyAging } from "../../../shared/core/aging.js";
import { addDays } from "../../../shared/core/period.js";

describe("aging buckets", () => {
	it("are spelled as a statement shows them, in order", () => {
		expect(AGING_BUCKETS).toEqual(["current", "1-30", "31-60", "61-90", "over 90"]);
		expect(Object.keys(emptyAging())).toEqual([...AGING_BUCKETS]);
		expect(Object.values(emptyAging())).toEqual([0, 0, 0, 0, 0]);
	});

	it("bucket an amount by days past its due date on the as-of date; due that day or later is current", () => {
		const asOf = "2026-12-31";
		const bucketOf = (daysPastDue: number) => agingBucket(addDays(asOf, -daysPastDue), asOf);
		expect([0, 1, 30, 31, 60, 61, 90, 91, -5].map(bucketOf)).toEqual([
			"current",
			"1-30",
			"1-30",
			"31-60",
			"31-60",
			"61-90",
			"61-90",
			"over 90",
			"current",
		]);
	});

	it("count calendar days across month ends and leap days", () => {
		expect(agingBucket("2028-02-28", "2028-03-29")).toBe("1-30"); // 30 days, 29 February included
		expect(agingBucket("2028-02-28", "2028-03-30")).toBe("31-60");
		expect(agingBucket("2026-10-16", "2026-10-16")).toBe("current");
		expect(agingBucket("2026-09-01", "2026-12-01")).toBe("over 90"); // 91 days
	});
});
