import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../shared/core/errors.js";
import { formatMoney } from "../../../shared/core/money.js";
import { parseCamt053, parseDecimalAmount } from "../../../shared/payments/providers/bank.js";
import { isUnusable, type StatementEntry, type StatementLine } from "../../../shared/payments/providers/statement.js";

/** The entries of a statement every one of which must be readable. */
function usable(lines: StatementLine[]): StatementEntry[] {
	return lines.map((line) => {
		if (isUnusable(line)) throw new Error(`${line.entry}: ${line.unusable}`);
		return line;
	});
}

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

describe("camt.053 bank statements", () => {
	const fixture = readFileSync(new URL("../../fixtures/camt053-statement.xml", import.meta.url), "utf8");
	const statement = (numbers: Record<string, string>, xml = fixture) =>
		xml.replace(/\{\{(C\d)\}\}/g, (_, key: string) => numbers[key] ?? key);
	const xml = statement({ C1: "INV-2026-000101", C2: "INV-2026-000102", C3: "INV-2026-000103", C4: "INV-2026-000104" });

	it("reads every entry with its direction, amount in minor units, booking date, reference and payer", () => {
		const transactions = usable(parseCamt053(xml));
		expect(
			transactions.map(({ entry, credit, amount, currency, bookingDate, reference, debtorName }) => ({
				entry,
				credit,
				amount,
				currency,
				bookingDate,
				reference,
				debtorName,
			})),
		).toEqual([
			{
				entry: "Stmt 1 Ntry 1",
				credit: true,
				amount: 12050,
				currency: "EUR",
				bookingDate: "2026-11-05",
				reference: "INV-2026-000101",
				debtorName: "Camt C1 GmbH",
			},
			{
				entry: "Stmt 1 Ntry 2",
				credit: true,
				amount: 4200,
				currency: "EUR",
				bookingDate: "2026-11-06",
				reference: "Thank you for the lovely demo",
				debtorName: "Unknown Sender Ltd",
			},
			{
				entry: "Stmt 1 Ntry 3",
				credit: false,
				amount: 1500,
				currency: "EUR",
				bookingDate: "2026-11-06",
				reference: "Account maintenance fee November",
				debtorName: undefined,
			},
			{
				entry: "Stmt 1 Ntry 4 TxDtls 1",
				credit: true,
				amount: 9900,
				currency: "EUR",
				bookingDate: "2026-11-07",
				reference: "Rechnung INV-2026-000102 Kundennr. ACC-C2",
				debtorName: "Camt C2 GmbH",
			},
			{
				entry: "Stmt 1 Ntry 4 TxDtls 2",
				credit: true,
				amount: 4500,
				currency: "EUR",
				bookingDate: "2026-11-07",
				reference: "INV-2026-000103",
				debtorName: "Camt C3 GmbH",
			},
			{
				entry: "Stmt 2 Ntry 1",
				credit: true,
				amount: 12000,
				currency: "JPY",
				bookingDate: "2026-11-07",
				reference: "Payment for INV-2026-000104",
				debtorName: "Camt C4 KK",
			},
		]);
	});

	it("marks pending entries as not booked and reversed ones as reversals, so neither is recorded as money received", () => {
		const first = "<Sts><Cd>BOOK</Cd></Sts>";
		const pending = xml.replace(first, "<Sts><Cd>PDNG</Cd></Sts>");
		expect(usable(parseCamt053(pending))[0]?.notBooked).toBe("entry status PDNG, not booked");
		const reversed = xml.replace(first, `${first}<RvslInd>true</RvslInd>`);
		expect(usable(parseCamt053(reversed))[0]).toMatchObject({
			kind: "reversal",
			why: "a reversal entry (RvslInd), not a payment received",
		});
		expect(usable(parseCamt053(xml)).every((t) => t.notBooked === undefined)).toBe(true);
	});

	it("identifies each payment by the bank's reference, or by a hash that is the same on every read", () => {
		const ids = usable(parseCamt053(xml)).map((t) => t.paymentId);
		expect(ids).toEqual([
			"bank-2026110500001234",
			expect.stringMatching(/^bank-[0-9a-f]{24}$/),
			"bank-2026110600000015",
			"bank-2026110700009999-1",
			"bank-2026110700009999-2",
			"bank-JP-20261107-000042",
		]);
		expect(usable(parseCamt053(xml)).map((t) => t.paymentId)).toEqual(ids);
	});

	it("refuses only a file that is not a camt.053 statement at all, saying what is wrong", () => {
		for (const [broken, message] of [
			[xml.slice(0, xml.length / 2), /not well-formed XML/],
			["not xml at all", /not well-formed XML|not a camt.053/],
			['<?xml version="1.0"?><Document><BkToCstmrDbtCdtNtfctn/></Document>', /not a camt.053 statement/],
			[
				'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrStmt/></Document>',
				/not a camt.053 statement \(the file is a camt.054 message\)/,
			],
		] as const) {
			expect(() => parseCamt053(broken), message.source).toThrow(ValidationError);
			expect(() => parseCamt053(broken), message.source).toThrow(message);
		}
	});

	it("skips an entry that cannot be read, saying why, and reads the others", () => {
		for (const [broken, entry, message] of [
			[xml.replace('<Amt Ccy="EUR">42.00</Amt>', "<Amt>42.00</Amt>"), "Stmt 1 Ntry 2", /Stmt 1 Ntry 2: Amt with a Ccy attribute/],
			[xml.replace('<Amt Ccy="EUR">42.00</Amt>', '<Amt Ccy="EUR">42.005</Amt>'), "Stmt 1 Ntry 2", /more than 2 decimals for EUR/],
			[xml.replace('<Amt Ccy="JPY">12000</Amt>', '<Amt Ccy="JPY">12000.5</Amt>'), "Stmt 2 Ntry 1", /more than 0 decimals for JPY/],
			[xml.replace('<Amt Ccy="EUR">42.00</Amt>', '<Amt Ccy="XXX">42.00</Amt>'), "Stmt 1 Ntry 2", /Ccy attribute/],
			[
				xml.replace("<CdtDbtInd>DBIT</CdtDbtInd>", "<CdtDbtInd>D</CdtDbtInd>"),
				"Stmt 1 Ntry 3",
				/Stmt 1 Ntry 3: CdtDbtInd must be CRDT or DBIT/,
			],
			[xml.replace("<BookgDt><Dt>2026-11-05</Dt></BookgDt>", "").replace(/<ValDt>.*?<\/ValDt>/s, ""), "Stmt 1 Ntry 1", /BookgDt\/Dt/],
		] as const) {
			const lines = parseCamt053(broken);
			const skipped = lines.filter(isUnusable);
			expect(
				skipped.map((s) => s.entry),
				message.source,
			).toEqual([entry]);
			expect(skipped[0]?.unusable).toMatch(message);
			expect(lines.filter((l) => !isUnusable(l)).length, message.source).toBe(5);
		}
	});

	it("takes a batch entry whose TxDtls do not add up as one payment of the entry's own amount", () => {
		const lines = usable(parseCamt053(xml.replace('<Amt Ccy="EUR">144.00</Amt>', '<Amt Ccy="EUR">145.00</Amt>')));
		expect(lines.filter((l) => l.entry.startsWith("Stmt 1 Ntry 4")).map((l) => [l.entry, l.amount, l.currency, l.reference])).toEqual([
			["Stmt 1 Ntry 4", 14500, "EUR", "Rechnung INV-2026-000102 Kundennr. ACC-C2 INV-2026-000103"],
		]);
	});
});
