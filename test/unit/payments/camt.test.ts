import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../shared/core/errors.js";
import { parseCamt053 } from "../../../shared/payments/providers/camt.js";
import { parseDecimalAmount } from "../../../shared/payments/providers/statement.js";

const sample = (name: string) => readFileSync(new URL(`../../fixtures/bank/camt053/genkgo-camt053.${name}.xml`, import.meta.url), "utf8");

describe("camt.053 versions 2 to 8 (genkgo/camt's published samples)", () => {
	it("reads each version's EUR 8.85 credit by the entry's own amount, with its date, references and payer", () => {
		for (const [version, bankReference] of [
			["v2.minimal", undefined],
			["v3", "XXXXXXXXXXXXXXXXXXXXXXEUR"],
			["v4", "AAAASESS-FP-CN_98765/01"],
			["v8", "AAAASESS-FP-CN_98765/01"],
		] as const) {
			expect(parseCamt053(sample(version)), version).toEqual([
				{
					entry: "Ntry 1",
					paymentId: bankReference ? `bank-${bankReference}` : expect.stringMatching(/^bank-[0-9a-f]{24}$/),
					kind: "payment",
					credit: true,
					amount: 885,
					currency: "EUR",
					bookingDate: "2014-12-31",
					valueDate: "2015-01-02",
					reference: "4654654654654654",
					...(bankReference ? { bankReference } : {}),
					debtorName: "NAME NAME",
				},
			]);
		}
	});

	it("reads 105.750 EUR by value as 10575 minor units, and still refuses a digit beyond the decimals that is not zero", () => {
		expect(parseDecimalAmount("105.750", "EUR")).toBe(10575);
		expect(parseDecimalAmount("8.850", "EUR")).toBe(885);
		expect(parseDecimalAmount("12000.000", "JPY")).toBe(12000);
		expect(() => parseDecimalAmount("105.751", "EUR")).toThrow(ValidationError);
		expect(() => parseDecimalAmount("105.751", "EUR")).toThrow("amount 105.751 has more than 2 decimals for EUR");
		// v3's only transaction detail says 105.750 EUR; what moved is the entry's 8.85.
		expect(sample("v3")).toContain('<Amt Ccy="EUR">105.750</Amt>');
		const [v3] = parseCamt053(sample("v3"));
		expect(v3).toMatchObject({ amount: 885, currency: "EUR" });
		const [whole] = parseCamt053(sample("v3").replace('<Amt Ccy="EUR">8.85</Amt>', '<Amt Ccy="EUR">105.750</Amt>'));
		expect(whole).toMatchObject({ amount: 10575, currency: "EUR", kind: "payment" });
	});

	it("does not refuse an entry whose transaction detail carries 0 in another currency (v4, v8)", () => {
		for (const version of ["v4", "v8"]) {
			expect(sample(version)).toContain('<Amt Ccy="SEK">0</Amt>');
			expect(parseCamt053(sample(version))).toMatchObject([{ entry: "Ntry 1", kind: "payment", amount: 885, currency: "EUR" }]);
		}
	});

	it("recognises reversals and bank charges by RvslInd and the bank transaction code, and says so per entry", () => {
		const v8 = sample("v8");
		const family = "<Cd>RCDT</Cd>\n                            <SubFmlyCd>BOOK</SubFmlyCd>";
		expect(v8).toContain(family);
		const cases = [
			[v8.replace("<Sts>", "<RvslInd>true</RvslInd><Sts>"), "reversal", /RvslInd/],
			[v8.replace(family, "<Cd>RCDT</Cd><SubFmlyCd>RRTN</SubFmlyCd>"), "reversal", /BkTxCd PMNT\/RCDT\/RRTN/],
			[v8.replace(family, "<Cd>CCRD</Cd><SubFmlyCd>CHRG</SubFmlyCd>"), "charge", /a bank charge \(BkTxCd PMNT\/CCRD\/CHRG\)/],
			[v8.replace(family, "<Cd>MDOP</Cd><SubFmlyCd>FEES</SubFmlyCd>"), "charge", /BkTxCd PMNT\/MDOP\/FEES/],
			[v8.replace("</BkTxCd>", "<Prtry><Cd>NCHG+808</Cd><Issr>DK</Issr></Prtry></BkTxCd>"), "charge", /NCHG\+808/],
			[v8.replace(/<CdtDbtInd>CRDT<\/CdtDbtInd>/g, "<CdtDbtInd>DBIT</CdtDbtInd>"), "debit", /a debit \(CdtDbtInd DBIT\)/],
		] as const;
		for (const [xml, kind, why] of cases) {
			const [entry] = parseCamt053(xml);
			expect(entry, why.source).toMatchObject({ kind, amount: 885, currency: "EUR" });
			expect(entry && "why" in entry ? entry.why : "", why.source).toMatch(why);
		}
	});
});
