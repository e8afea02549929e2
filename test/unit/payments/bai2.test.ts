import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../shared/core/errors.js";
import { parseBai2 } from "../../../shared/payments/providers/bai2.js";
import { detectStatementFormat } from "../../../shared/payments/providers/bank.js";
import { isUnusable, type StatementLine } from "../../../shared/payments/providers/statement.js";

const sample = (name: string) => readFileSync(new URL(`../../fixtures/bank/bai2/${name}`, import.meta.url), "utf8");
const summary = (lines: StatementLine[]) =>
	lines.map((l) => (isUnusable(l) ? [l.entry, l.unusable] : [l.entry, l.kind, l.amount, l.currency, l.bookingDate, l.reference]));

describe("BAI2 files (moov-io/bai2's published samples)", () => {
	it("reads the specification's example: funds types S, V, 1 and D, 88 continuations, amounts in minor units, USD by default", () => {
		const lines = parseBai2(sample("moov-sample2.txt"));
		expect(summary(lines)).toEqual([
			["line 5 (16)", "payment", 450000, "USD", "2004-06-20", ""],
			["line 10 (16)", "payment", 500000, "USD", "2004-06-20", "LOCK BOX NO.68751"],
			["line 16 (16)", "payment", 20000000, "USD", "2004-06-20", "YRC065321 PROCEEDS OF LETTER OF CREDIT FROM THE ARAMCO OIL CO"],
			["line 18 (16)", "payment", 10000000, "USD", "2004-06-20", ""],
		]);
		expect(lines[2]).toMatchObject({ valueDate: "2004-06-22", bankReference: "SP4738", credit: true });
	});

	it("tells credits (1xx-3xx) from debits (4xx-6xx) by type code, in the group's currency, with the value date", () => {
		const lines = parseBai2(sample("moov-sample1.txt"));
		const debit = "a debit (type code 409), money out, not a payment received";
		expect(lines.map((l) => (isUnusable(l) ? l.unusable : [l.entry, l.kind, l.amount, l.currency, l.bookingDate, l.valueDate]))).toEqual([
			["line 5 (16)", "debit", 2500, "CAD", "2006-03-17", "2006-03-16"],
			["line 6 (16)", "debit", 90000, "CAD", "2006-03-17", "2006-03-16"],
			["line 7 (16)", "debit", 500, "CAD", "2006-03-17", "2006-03-16"],
			["line 8 (16)", "payment", 203500, "CAD", "2006-03-17", "2006-03-16"],
			["line 9 (16)", "payment", 2500, "CAD", "2006-03-17", "2006-03-16"],
			["line 10 (16)", "payment", 2500, "CAD", "2006-03-17", "2006-03-16"],
			["line 11 (16)", "debit", 20000, "CAD", "2006-03-17", "2006-03-16"],
			["line 12 (16)", "debit", 90000, "CAD", "2006-03-17", "2006-03-16"],
			["line 13 (16)", "debit", 2000, "CAD", "2006-03-17", "2006-03-16"],
			["line 14 (16)", "debit", 2500, "CAD", "2006-03-17", "2006-03-16"],
			["line 15 (16)", "debit", 1000, "CAD", "2006-03-17", "2006-03-16"],
			["line 19 (16)", "payment", 11500, "CAD", "2006-03-17", "2006-03-17"],
			["line 20 (16)", "payment", 100000, "CAD", "2006-03-17", "2006-03-17"],
			["line 21 (16)", "debit", 100000, "CAD", "2006-03-17", "2006-03-17"],
			["line 22 (16)", "debit", 9000, "CAD", "2006-03-17", "2006-03-17"],
			["line 23 (16)", "debit", 2000, "CAD", "2006-03-17", "2006-03-17"],
			["line 24 (16)", "debit", 500, "CAD", "2006-03-17", "2006-03-17"],
		]);
		expect(lines[0]).toMatchObject({ reference: "RETURNED CHEQUE", why: debit });
	});

	it("reads records ended by a newline instead of '/', text with commas and slashes, and its 88 continuations", () => {
		const lines = parseBai2(sample("moov-sample4-continuations-newline-delimited.txt"));
		expect(lines.map((l) => (isUnusable(l) ? l.unusable : [l.entry, l.kind, l.amount, l.currency]))).toEqual([
			["line 6 (16)", "debit", 60000, "USD"],
			["line 10 (16)", "payment", 143500, "USD"],
			["line 18 (16)", "debit", 928650, "USD"],
			["line 24 (16)", "debit", 200000, "USD"],
			["line 31 (16)", "debit", 55555, "USD"],
			["line 38 (16)", "payment", 1912, "USD"],
			["line 44 (16)", "debit", 50500, "USD"],
			["line 50 (16)", "payment", 1125, "USD"],
			["line 56 (16)", "payment", 60000, "USD"],
			["line 62 (16)", "payment", 931, "USD"],
			["line 68 (16)", "payment", 50050, "USD"],
			["line 75 (16)", "payment", 527, "USD"],
			["line 78 (16)", "debit", 10100, "USD"],
			["line 85 (16)", "payment", 337686, "USD"],
			["line 92 (16)", "payment", 5000, "USD"],
			["line 96 (16)", "debit", 44250, "USD"],
			["line 102 (16)", "debit", 30000000, "USD"],
		]);
		expect(lines[1]).toMatchObject({
			bankReference: "SB2322600000404",
			reference: expect.stringMatching(
				/^GSQ4FBGFDGWGKY ACH Credit Reject,From: TEST INC, Remittance Info: "ACH- Test - Addenda Record", .* REMI: ACH- Test - Addenda Record EREF: GSQ4FBGFDGWGKY/,
			),
		});
	});

	it("skips a detail that cannot be used with its reason, marks charges, and refuses a file without a 01 header", () => {
		const file = [
			"01,0004,12345,060321,0829,001,80,1,2/",
			"02,12345,0004,1,060317,,JPY,/",
			"03,10200123456,,040,+000000000000,,,045,+000000000000,,/",
			"16,195,12000,0,,INV-2026-000104,WIRE/",
			"16,698,1500,Z,,,MONTHLY FEE/",
			"16,555,5000,Z,,,DEPOSITED ITEM RETURNED/",
			"16,010,100,Z,,,/",
			"16,195,12.50,Z,,,/",
			"49,+18600,6/",
			"98,+18600,1,8/",
			"99,+18600,1,10/",
		].join("\n");
		expect(summary(parseBai2(file))).toEqual([
			["line 4 (16)", "payment", 12000, "JPY", "2006-03-17", "INV-2026-000104 WIRE"],
			["line 5 (16)", "charge", 1500, "JPY", "2006-03-17", "MONTHLY FEE"],
			["line 6 (16)", "reversal", 5000, "JPY", "2006-03-17", "DEPOSITED ITEM RETURNED"],
			["line 7 (16)", "line 7 (16): type code 010 is a balance or status code, not a transaction"],
			["line 8 (16)", 'line 8 (16): amount "12.50" is not a number of minor units'],
		]);
		expect(() => parseBai2("02,1,2,1,060317,,USD/\n")).toThrow(ValidationError);
	});

	it("tells each format from its content", () => {
		expect(detectStatementFormat(sample("moov-sample2.txt"))).toBe("bai2");
		expect(detectStatementFormat(readFileSync(new URL("../../fixtures/bank/mt940/jejik-abnamro.sta", import.meta.url), "utf8"))).toBe(
			"mt940",
		);
		expect(
			detectStatementFormat(`\uFEFF${readFileSync(new URL("../../fixtures/bank/camt053/genkgo-camt053.v8.xml", import.meta.url), "utf8")}`),
		).toBe("camt.053");
		expect(detectStatementFormat("date,amount,currency,reference\n2026-11-03,49.00,USD,x\n")).toBe("csv");
	});
});
