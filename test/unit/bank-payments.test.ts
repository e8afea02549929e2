import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDecimalAmount } from "../../shared/bank-payments.js";
import { ValidationError } from "../../shared/errors.js";
import { formatMoney } from "../../shared/money.js";

describe("decimal amounts from bank exports and operators", () => {
	it("reads major units into minor units for 2-, 0- and 3-decimal currencies", () => {
		expect(parseDecimalAmount("1,234.50", "USD")).toBe(123450);
		expect(parseDecimalAmount("0.07", "EUR")).toBe(7);
		expect(parseDecimalAmount("12", "USD")).toBe(1200);
		expect(parseDecimalAmount("-12.3", "USD")).toBe(-1230);
		expect(parseDecimalAmount("12000", "JPY")).toBe(12000);
		expect(parseDecimalAmount("1.250", "KWD")).toBe(1250);
	});

	it("refuses more decimals than the currency has, and anything that is not a number", () => {
		for (const [text, currency] of [
			["1.005", "USD"],
			["1.5", "JPY"],
			["1.2345", "KWD"],
			["abc", "USD"],
			["1e3", "USD"],
			["", "USD"],
			["1,23.00", "USD"],
			["99999999999999999999", "USD"],
		] as const) {
			expect(() => parseDecimalAmount(text, currency), text).toThrow(ValidationError);
		}
	});

	it("reads back every amount it formats", () => {
		fc.assert(
			fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constantFrom("USD", "JPY", "KWD"), (amount, currency) => {
				const text = formatMoney({ amount, currency }).replace(`${currency} `, "");
				return parseDecimalAmount(text, currency) === amount;
			}),
		);
	});
});
