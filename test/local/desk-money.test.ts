import { describe, expect, it } from "vitest";
import { formatMoney, minorToMajor, parseAmount } from "../../desk/src/components/money.js";

/** The desk's money (desk/src/components/money.ts): minor units shown with the currency's decimals, typed amounts turned into minor units without floats. */
describe("the desk's amounts", () => {
	it("shows minor units with the currency's own decimals", () => {
		expect(minorToMajor(123456, "EUR")).toBe("1234.56");
		expect(minorToMajor(5, "EUR")).toBe("0.05");
		expect(minorToMajor(-1500, "USD")).toBe("-15.00");
		expect(minorToMajor(5000, "JPY")).toBe("5000");
		expect(minorToMajor(1234, "KWD")).toBe("1.234");
		expect(formatMoney(30250, "EUR")).toMatch(/302\.50/);
		expect(formatMoney(9007199254740991, "EUR")).toMatch(/90,?071,?992,?547,?409\.91/);
	});

	it("turns typed major units into minor units by their digits, refusing what the currency cannot hold", () => {
		expect(parseAmount("302.50", "EUR")).toEqual({ minor: 30250 });
		expect(parseAmount(" 0.1 ", "EUR")).toEqual({ minor: 10 });
		// 0.29 * 100 is 28.999999999999996 as a float.
		expect(parseAmount("0.29", "EUR")).toEqual({ minor: 29 });
		expect(parseAmount("5000", "JPY")).toEqual({ minor: 5000 });
		expect(parseAmount("1.5", "JPY")).toEqual({ error: "JPY has no decimals" });
		expect(parseAmount("1.234", "EUR")).toEqual({ error: "EUR has at most 2 decimals" });
		expect(parseAmount("0.00", "EUR")).toEqual({ error: "More than zero" });
		expect(parseAmount("1,000.00", "EUR").error).toMatch(/^An amount in EUR, such as 250\.00/);
		expect(parseAmount("-5", "EUR").error).toBeDefined();
		expect(parseAmount("90071992547409.93", "EUR")).toEqual({ error: "Too large an amount" });
	});
});
