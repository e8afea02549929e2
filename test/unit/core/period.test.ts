import { describe, expect, it } from "vitest";
import { addDays, daysBetween, executionNameFor, previousPeriod, rebookedNote, resolveBillingPeriod } from "../../../shared/core/period.js";

describe("billing period", () => {
	it("defaults to the previous calendar month, across a year end", () => {
		expect(previousPeriod(new Date("2026-11-22T10:00:00Z"))).toBe("2026-10");
		expect(previousPeriod(new Date("2027-01-01T02:00:00Z"))).toBe("2026-12");
		expect(resolveBillingPeriod({}, new Date("2026-03-01T02:00:00Z"))).toEqual({
			period: "2026-02",
			periodStart: "2026-02-01",
			periodEnd: "2026-02-28",
			asOf: "2026-03-01",
		});
	});

	it("refuses a period not in YYYY-MM form", () => {
		for (const bad of ["2026-13", "2026-1", "26-10", "2026/10", "", "october", 202610]) {
			expect(() => resolveBillingPeriod({ period: bad }, new Date())).toThrow(/YYYY-MM/);
		}
	});

	it("refuses an as-of date inside the period or not a real day", () => {
		expect(() => resolveBillingPeriod({ period: "2026-10", asOf: "2026-10-15" }, new Date())).toThrow(/inside period/);
		expect(() => resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-31" }, new Date())).toThrow(/no such day/);
		expect(resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-05" }, new Date("2026-11-01")).asOf).toBe("2026-11-05");
	});

	it("derives one execution name per period", () => {
		expect(executionNameFor("2026-10")).toBe("billing-2026-10");
	});

	it("counts days across month ends", () => {
		expect(addDays("2026-11-01", 30)).toBe("2026-12-01");
		expect(daysBetween("2026-12-01", "2027-01-05")).toBe(35);
	});

	it("says where a change dated into a closed month was booked", () => {
		expect(rebookedNote("INV-1 written off", { requestedOn: "2026-10-15", bookedOn: "2026-11-01" })).toBe(
			"INV-1 written off on 2026-11-01 (asked for 2026-10-15; October 2026 is closed)",
		);
	});
});
