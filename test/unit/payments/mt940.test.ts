import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../shared/core/errors.js";
import { parseMt940 } from "../../../shared/payments/providers/mt940.js";
import { isUnusable, type StatementLine } from "../../../shared/payments/providers/statement.js";

const sample = (name: string) => readFileSync(new URL(`../../fixtures/bank/mt940/${name}`, import.meta.url), "utf8");
const summary = (lines: StatementLine[]) =>
	lines.map((l) => (isUnusable(l) ? [l.entry, l.unusable] : [l.entry, l.kind, l.amount, l.currency, l.bookingDate, l.valueDate]));

describe("MT940 statements (published samples)", () => {
	it("reads German SEPA :86: subfields, CR/DR marks with the funds code, returns, and two statements in one file", () => {
		const lines = parseMt940(sample("betterplace-sepa_snippet.sta"));
		expect(summary(lines)).toEqual([
			["Stmt 1 :61: 1 (line 5)", "payment", 5099005, "EUR", "2007-09-04", "2007-09-07"],
			["Stmt 1 :61: 2 (line 10)", "payment", 15455193, "EUR", "2007-09-04", "2007-09-07"],
			["Stmt 1 :61: 3 (line 15)", "payment", 15455193, "EUR", "2007-09-04", "2007-09-07"],
			["Stmt 1 :61: 4 (line 19)", "debit", 150000, "EUR", "2007-09-04", "2007-09-04"],
			["Stmt 2 :61: 1 (line 29)", "reversal", 8, "EUR", "2007-09-04", "2007-09-04"],
			["Stmt 2 :61: 2 (line 32)", "reversal", 33533, "EUR", "2007-09-04", "2007-09-04"],
			["Stmt 2 :61: 3 (line 35)", "reversal", 1500000, "EUR", "2007-09-04", "2007-09-04"],
			["Stmt 2 :61: 4 (line 38)", "payment", 1500005, "EUR", "2007-09-04", "2007-09-04"],
			["Stmt 2 :61: 5 (line 45)", "payment", 12500488, "EUR", "2007-09-04", "2007-09-04"],
			["Stmt 2 :61: 6 (line 50)", "reversal", 91531155, "EUR", "2007-09-04", "2007-09-04"],
			["Stmt 2 :61: 7 (line 53)", "debit", 357256903, "EUR", "2007-09-04", "2007-09-04"],
		]);
		expect(lines[0]).toMatchObject({
			reference: "Verw CTSc-01 BC-PPP TFNr 22 004 EndToEndId TFNR 22 004 00001",
			bankReference: "0724710333343453",
			debtorName: "KARL KAUFMANN",
			credit: true,
		});
		expect(lines[3]).toMatchObject({ reference: expect.stringMatching(/^TFNr 01022 MSGID CTSc-01 EBBMTLG:SEPA-Ueberweisungsauftrag/) });
		expect(lines[5]).toMatchObject({ why: "a returned transfer or direct debit (GVC 159 RETOURE), not a payment received" });
		expect(lines[7]).toMatchObject({ debtorName: "Richter Renate 70 Zeichen Beginn Fuellzeichen xxxxxxxx" });
	});

	it("reads Dutch /TRTP/ /REMI/ /EREF/ fields, leaving out NOTPROVIDED", () => {
		expect(parseMt940(sample("zilverline-abn_structured_sepa_overboeking.txt"))).toEqual([
			{
				entry: "Stmt 1 :61: 1 (line 8)",
				paymentId: expect.stringMatching(/^bank-[0-9a-f]{24}$/),
				kind: "payment",
				credit: true,
				amount: 1050,
				currency: "EUR",
				bookingDate: "2015-01-20",
				valueDate: "2015-01-20",
				reference: "897789005",
				debtorName: "CAFE MON AMI",
			},
		]);
		const rabobank = parseMt940(sample("jejik-rabobank-iban.sta"));
		expect(summary(rabobank)).toEqual([
			["Stmt 1 :61: 1 (line 6)", "debit", 2500, "EUR", "2013-01-01", "2013-01-01"],
			["Stmt 1 :61: 2 (line 10)", "debit", 1000, "EUR", "2013-01-02", "2013-01-02"],
			["Stmt 2 :61: 1 (line 18)", "debit", 2500, "EUR", "2013-01-08", "2013-01-08"],
			["Stmt 2 :61: 2 (line 22)", "debit", 1000, "EUR", "2013-01-09", "2013-01-09"],
		]);
		expect(rabobank[1]).toMatchObject({ reference: "Reference 201301234 P001234567", debtorName: "JOHN DOE" });
		expect(rabobank[0]).toMatchObject({ reference: "01-01-2013 12:00 0030000987654321 EREF NL70ABNA0987654321" });
	});

	it("reads free-text :86:, :60M:/:62M: and the bank's header lines; entry dates take the value date's year", () => {
		const lines = parseMt940(sample("jejik-abnamro.sta"));
		expect(summary(lines)).toEqual([
			["Stmt 1 :61: 1 (line 8)", "debit", 900, "EUR", "2011-05-24", "2011-05-24"],
			["Stmt 1 :61: 2 (line 12)", "debit", 1159, "EUR", "2011-05-23", "2011-05-21"],
			["Stmt 1 :61: 3 (line 14)", "debit", 1163, "EUR", "2011-05-23", "2011-05-23"],
			["Stmt 1 :61: 4 (line 16)", "debit", 1180, "EUR", "2011-05-23", "2011-05-22"],
			["Stmt 1 :61: 5 (line 18)", "debit", 1345, "EUR", "2011-05-23", "2011-05-21"],
			["Stmt 1 :61: 6 (line 20)", "debit", 1549, "EUR", "2011-05-23", "2011-05-21"],
			["Stmt 1 :61: 7 (line 23)", "debit", 10700, "EUR", "2011-05-23", "2011-05-21"],
			["Stmt 1 :61: 8 (line 25)", "debit", 14148, "EUR", "2011-05-23", "2011-05-22"],
			["Stmt 2 :61: 1 (line 36)", "debit", 949, "EUR", "2011-05-24", "2011-05-24"],
			["Stmt 2 :61: 2 (line 38)", "debit", 1500, "EUR", "2011-05-24", "2011-05-24"],
		]);
		expect(lines[0]).toMatchObject({
			reference: expect.stringMatching(/^GIRO {3}428428 KPN - DIGITENNE .* BETREFT FACTUUR D\.D\. 20-05-2011 INCL\. 1,44 BTW$/),
			why: "a debit (mark D), money out, not a payment received",
		});
	});

	it("marks RC/RD reversals and NCHG charges, reads a SWIFT envelope, and skips an unreadable line with its reason", () => {
		// The zilverline credit, wrapped in a SWIFT envelope and given a reversal, a charge, a bad line and a year end.
		const credit = sample("zilverline-abn_structured_sepa_overboeking.txt");
		const body = credit
			.replace(/^ABNANL2A\n940\nABNANL2A\n/, "{1:F01ABNANL2AXXXX0000000000}{2:O940ABNANL2AXXXXN}{4:\n")
			.replace(
				":62F:",
				":61:1501200120RD10,5N654NONREF\n:61:1501200120D2,5NCHGNONREF\n:86:KOSTEN\n:61:150120X1,00N654NONREF\n:61:1412310102C1,N654NONREF//B1\n:62F:",
			)
			.replace(/-\n?$/, "-}\n");
		const lines = parseMt940(body);
		expect(summary(lines)).toEqual([
			["Stmt 1 :61: 1 (line 6)", "payment", 1050, "EUR", "2015-01-20", "2015-01-20"],
			["Stmt 1 :61: 2 (line 9)", "reversal", 1050, "EUR", "2015-01-20", "2015-01-20"],
			["Stmt 1 :61: 3 (line 10)", "charge", 250, "EUR", "2015-01-20", "2015-01-20"],
			["Stmt 1 :61: 4 (line 12)", 'Stmt 1 :61: 4 (line 12): :61: "150120X1,00N654NONREF" is not date, D/C mark, amount, type'],
			["Stmt 1 :61: 5 (line 13)", "payment", 100, "EUR", "2015-01-02", "2014-12-31"],
		]);
		expect(lines[1]).toMatchObject({ credit: true, why: "a reversal of an earlier debit (mark RD), not a payment received" });
		expect(lines[2]).toMatchObject({ why: "a bank charge (transaction type NCHG), not a payment received", reference: "KOSTEN" });
		expect(lines[4]).toMatchObject({ bankReference: "B1" });
	});

	it("identifies the same entry the same way on every read, and two identical entries apart", () => {
		const body = sample("zilverline-abn_structured_sepa_overboeking.txt");
		const twice = body.replace(":62F:", `${/:61:[\s\S]*?(?=:62F:)/.exec(body)?.[0]}:62F:`);
		const ids = parseMt940(twice).map((l) => ("paymentId" in l ? l.paymentId : ""));
		expect(new Set(ids).size).toBe(2);
		expect(parseMt940(twice).map((l) => ("paymentId" in l ? l.paymentId : ""))).toEqual(ids);
		expect(ids[0]).toBe((parseMt940(body)[0] as { paymentId: string }).paymentId);
	});

	it("refuses a file without a :20: statement", () => {
		expect(() => parseMt940(":25:123\n:61:1501200120C1,N654NONREF\n")).toThrow(ValidationError);
	});
});
