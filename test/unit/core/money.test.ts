import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { divideRoundHalfUp, extendLine, formatMoney, money, parseMajorUnits, sum, taxPerLineHalfUp } from "../../../shared/core/money.js";

describe("money", () => {
	it("formats amounts for the currency's minor units", () => {
		expect(formatMoney({ amount: 123450, currency: "USD" })).toBe("USD 1,234.50");
		expect(formatMoney({ amount: 12000, currency: "JPY" })).toBe("JPY 12,000");
		expect(formatMoney({ amount: 1250, currency: "KWD" })).toBe("KWD 1.250");
		expect(formatMoney({ amount: -5, currency: "EUR" })).toBe("-EUR 0.05");
	});

	it("refuses floats and unknown currencies", () => {
		expect(() => money(10.5, "USD")).toThrow();
		expect(() => money(10, "XYZ")).toThrow(/currency/);
		expect(money(10, "usd")).toEqual({ amount: 10, currency: "USD" });
	});

	it("refuses to add different currencies", () => {
		expect(() => sum("USD", [money(1, "USD"), money(1, "EUR")])).toThrow(/currency mismatch/);
		expect(sum("JPY", [money(1, "JPY"), money(2, "JPY")])).toEqual({ amount: 3, currency: "JPY" });
	});

	it("rounds tax per line half-up", () => {
		expect(taxPerLineHalfUp(1000, 825)).toBe(83); // 82.5 -> 83
		expect(taxPerLineHalfUp(1001, 825)).toBe(83); // 82.58
		expect(taxPerLineHalfUp(999, 825)).toBe(82); // 82.41
		expect(taxPerLineHalfUp(650, 1000)).toBe(65);
		expect(divideRoundHalfUp(-5n, 2n)).toBe(-3n);
		expect(extendLine(12, 333_500)).toBe(4002);
	});

	it("half-up rounding never is more than half a unit off the exact value", () => {
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
				const tax = taxPerLineHalfUp(amount, bps);
				const exactTimes10k = BigInt(amount) * BigInt(bps);
				const diff = BigInt(tax) * 10_000n - exactTimes10k;
				return diff <= 5_000n && diff > -5_000n && Number.isInteger(tax);
			}),
		);
	});
});

describe("prices written in major units", () => {
	it("reads them digit by digit into minor units, per the currency's decimals", () => {
		expect(parseMajorUnits("12.50", "USD")).toBe(1250);
		expect(parseMajorUnits("0.07", "USD")).toBe(7);
		expect(parseMajorUnits("19.99", "usd")).toBe(1999);
		expect(parseMajorUnits("1500", "JPY")).toBe(1500);
		expect(parseMajorUnits("1.25", "KWD")).toBe(1250);
		expect(parseMajorUnits("90071992547409.91", "USD")).toBe(9_007_199_254_740_991);
	});

	it("refuses more decimals than the currency has, signs, exponents and anything else", () => {
		expect(() => parseMajorUnits("1.005", "USD")).toThrow(/more decimals than USD has \(2\)/);
		expect(() => parseMajorUnits("10.5", "JPY")).toThrow(/more decimals than JPY has \(0\)/);
		for (const bad of ["-1.00", "1e3", "1,00", "", ".5", "5.", "12.50 USD", "90071992547409.92"]) {
			expect(() => parseMajorUnits(bad, "USD"), bad).toThrow();
		}
	});
});
