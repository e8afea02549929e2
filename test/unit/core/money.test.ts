import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../shared/core/errors.js";
import {
	divideRoundHalfUp,
	extendLine,
	formatMajorUnits,
	formatMoney,
	money,
	parseMajorUnits,
	parsePercentPpm,
	parseQuantity,
	quantityMicros,
	sum,
	taxPerLineHalfUp,
} from "../../../shared/core/money.js";

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
		expect(taxPerLineHalfUp(1000, 82_500)).toBe(83); // 8.25%: 82.5 -> 83
		expect(taxPerLineHalfUp(1001, 82_500)).toBe(83); // 82.58
		expect(taxPerLineHalfUp(999, 82_500)).toBe(82); // 82.41
		expect(taxPerLineHalfUp(650, 100_000)).toBe(65);
		expect(taxPerLineHalfUp(10_000, 88_750)).toBe(888); // 8.875%: 887.5 -> 888
		expect(taxPerLineHalfUp(9_999, 88_750)).toBe(887); // 887.41
		expect(divideRoundHalfUp(-5n, 2n)).toBe(-3n);
		expect(extendLine(12, "333.5")).toBe(4002);
	});

	it("half-up rounding never is more than half a unit off the exact value", () => {
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), (amount, ppm) => {
				const tax = taxPerLineHalfUp(amount, ppm);
				const exactTimesMillion = BigInt(amount) * BigInt(ppm);
				const diff = BigInt(tax) * 1_000_000n - exactTimesMillion;
				return diff <= 500_000n && diff > -500_000n && Number.isInteger(tax);
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

describe("amounts written for files", () => {
	it("formats minor units as the plain major-unit decimal, and reads back the same amount", () => {
		expect(formatMajorUnits(123_450, "USD")).toBe("1234.50");
		expect(formatMajorUnits(-7, "USD")).toBe("-0.07");
		expect(formatMajorUnits(1250, "KWD")).toBe("1.250");
		expect(formatMajorUnits(-7, "JPY")).toBe("-7");
		fc.assert(
			fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), fc.constantFrom("USD", "JPY", "KWD"), (amount, currency) => {
				return parseMajorUnits(formatMajorUnits(amount, currency), currency) === amount;
			}),
		);
	});
});

describe("quantities and percents as written", () => {
	it("reads quantities with up to 6 decimals exactly, and extends a line half-up", () => {
		expect(parseQuantity("3")).toBe(3);
		expect(parseQuantity("2.50")).toBe("2.5");
		expect(parseQuantity("0.000125")).toBe("0.000125");
		expect(parseQuantity("007.000")).toBe(7);
		expect(extendLine(1999, "2.5")).toBe(4998); // 49.975 -> 49.98
		expect(extendLine(1, "0.5")).toBe(1);
		expect(extendLine(1, "0.499999")).toBe(0);
		expect(quantityMicros("1.000001")).toBe(1_000_001n);
	});

	it("refuses signs, exponents, more than 6 decimals and anything else", () => {
		for (const bad of ["-1", "1e3", "1.0000001", "", "1,5", "abc", ".5", "1."]) {
			expect(() => parseQuantity(bad), bad).toThrow(ValidationError);
		}
		expect(() => parseQuantity("1.0000001")).toThrow(/more than 6 decimals/);
	});

	it("reads a percent with up to 4 decimals as parts per million", () => {
		expect(parsePercentPpm("8.875")).toBe(88_750);
		expect(parsePercentPpm("20")).toBe(200_000);
		expect(parsePercentPpm("0.0001")).toBe(1);
		for (const bad of ["8.87501", "-1", "101", "8,875", "1e2"]) expect(() => parsePercentPpm(bad), bad).toThrow(ValidationError);
	});
});
