import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { extendLine } from "../../../shared/core/money.js";
import { einvoiceFromInvoice } from "../../../shared/einvoicing/model.js";
import { RULE_SETS, RULES_DIR } from "../../../shared/einvoicing/rule-sets.js";
import { readableLocation, readCompiledRuleSet, validIban } from "../../../shared/einvoicing/validate.js";
import { allocate, percentText, vatCategory } from "../../../shared/einvoicing/vat.js";
import { BELGIAN_BUYER, FRENCH_BUYER, GERMAN_BUYER, JAPANESE_BUYER, SELLER, storedInvoice } from "./fixtures.js";

describe("the EN 16931 model of a stored invoice", () => {
	it("decides each line's VAT category by the documented rule", () => {
		expect(vatCategory(190_000, { seller: SELLER, buyer: BELGIAN_BUYER })).toBe("S");
		expect(vatCategory(0, { seller: SELLER, buyer: BELGIAN_BUYER })).toBe("AE");
		// Cross-border but the buyer has no VAT id: not reverse charge.
		const { vatId: _, ...belgianWithoutVatId } = BELGIAN_BUYER;
		expect(vatCategory(0, { seller: SELLER, buyer: belgianWithoutVatId })).toBe("Z");
		expect(vatCategory(0, { seller: SELLER, buyer: GERMAN_BUYER, taxNote: "Tax exempt customer: no tax charged." })).toBe("E");
		expect(vatCategory(0, { seller: SELLER, buyer: JAPANESE_BUYER })).toBe("O");
		expect(vatCategory(0, { seller: SELLER, buyer: GERMAN_BUYER })).toBe("Z");
		expect(vatCategory(0, { seller: SELLER, buyer: FRENCH_BUYER })).toBe("AE");
	});

	it("writes each line so quantity × price ÷ base quantity is its net amount exactly, discounts as negative quantities", () => {
		const usage = extendLine(100, "0.333");
		const invoice = storedInvoice({
			number: "INV-1",
			currency: "EUR",
			ratePpm: 190_000,
			lines: [
				["Seats", 3, 4900, 14700],
				["Prorated plan", 1, 4900, 2450],
				["Storage GB-months", "0.333", 100, usage],
				["Discount", 1, -500, -500],
			],
		});
		const lines = einvoiceFromInvoice(invoice, { seller: SELLER, buyer: GERMAN_BUYER }).lines;
		expect(lines.map(({ quantity, price, baseQuantity, netAmount }) => ({ quantity, price, baseQuantity, netAmount }))).toEqual([
			{ quantity: "3", price: 4900, baseQuantity: undefined, netAmount: 14700 },
			{ quantity: "1", price: 2450, baseQuantity: "1", netAmount: 2450 },
			{ quantity: "0.333", price: 33, baseQuantity: "0.333", netAmount: 33 },
			{ quantity: "-1", price: 500, baseQuantity: undefined, netAmount: -500 },
		]);
	});

	it("prints rates exactly and splits an amount into parts that add up to it", () => {
		expect([190_000, 88_750, 0, 55_000, 1_000_000].map(percentText)).toEqual(["19", "8.875", "0", "5.5", "100"]);
		expect(allocate(5000, [11746, 2232])).toEqual([4202, 798]);
		expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
		expect(allocate(-100, [2, 1]).reduce((a, b) => a + b, 0)).toBe(-100);
	});
});

describe("validation plumbing", () => {
	it("names the compile command when a rule set's compiled form is missing or older than its rules", () => {
		const dir = mkdtempSync(join(tmpdir(), "einvoice-rules-"));
		try {
			const input = RULE_SETS["cen-cii"].main;
			mkdirSync(dirname(join(dir, input)), { recursive: true });
			copyFileSync(join(RULES_DIR, input), join(dir, input));
			expect(() => readCompiledRuleSet("cen-cii", dir)).toThrow(/cen-cii .*missing or older.*run `node bin\/compile-einvoice-rules\.mjs`/);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it("shows the CEN and SchXslt locations with the usual prefixes", () => {
		expect(
			readableLocation(
				"/*:Invoice[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'][1]/*:AccountingCustomerParty[namespace-uri()='urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2'][1]",
			),
		).toBe("/Invoice[1]/cac:AccountingCustomerParty[1]");
		expect(
			readableLocation(
				"/Q{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote[1]/Q{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}BuyerReference[1]",
			),
		).toBe("/CreditNote[1]/cbc:BuyerReference[1]");
	});

	it("checks an IBAN's check digits exactly", () => {
		expect(validIban("DE89 3704 0044 0532 0130 00")).toBe(true);
		expect(validIban("DE88 3704 0044 0532 0130 00")).toBe(false);
		expect(validIban("not an iban")).toBe(false);
	});
});
