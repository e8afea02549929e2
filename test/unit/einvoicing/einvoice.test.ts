import { XMLParser } from "fast-xml-parser";
import { beforeAll, describe, expect, it } from "vitest";
import type { Invoice } from "../../../shared/core/model.js";
import { formatMajorUnits } from "../../../shared/core/money.js";
import { einvoiceFromCreditMemo, einvoiceFromInvoice } from "../../../shared/einvoicing/model.js";
import type { BuyerParty } from "../../../shared/einvoicing/parties.js";
import { loadEinvoiceRules, type ValidationResult, validateEinvoice } from "../../../shared/einvoicing/validate.js";
import { writeEinvoice } from "../../../shared/einvoicing/write.js";
import { BELGIAN_BUYER, FRENCH_BUYER, GERMAN_BUYER, JAPANESE_BUYER, parties, SELLER, storedCreditMemo, storedInvoice } from "./fixtures.js";

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", removeNSPrefix: true, parseTagValue: false });

/** The node at a dotted path of element names in parsed XML ("PaymentMeans.PayeeFinancialAccount.ID"). */
function at(node: unknown, path: string): unknown {
	return path
		.split(".")
		.reduce<unknown>((n, name) => (n && typeof n === "object" ? (n as Record<string, unknown>)[name] : undefined), node);
}

function fatal(result: ValidationResult) {
	return result.findings.filter((f) => f.severity === "fatal");
}

function asArray<T>(value: T | T[] | undefined): T[] {
	return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function text(node: unknown): string {
	return typeof node === "object" && node !== null ? String(at(node, "#text")) : String(node);
}

/** What a person checks in a UBL document against the invoice: totals, VAT per category, due date. */
function ublFigures(xml: string) {
	const root = parser.parse(xml) as unknown;
	const doc = at(root, "Invoice") ?? at(root, "CreditNote");
	const totals = at(doc, "LegalMonetaryTotal");
	return {
		net: text(at(totals, "TaxExclusiveAmount")),
		tax: text(at(doc, "TaxTotal.TaxAmount")),
		total: text(at(totals, "TaxInclusiveAmount")),
		prepaid: at(totals, "PrepaidAmount") === undefined ? undefined : text(at(totals, "PrepaidAmount")),
		payable: text(at(totals, "PayableAmount")),
		dueDate: at(doc, "DueDate"),
		currency: text(at(doc, "TaxTotal.TaxAmount.@currencyID")),
		breakdown: asArray(at(doc, "TaxTotal.TaxSubtotal")).map((s) => ({
			category: String(at(s, "TaxCategory.ID")),
			percent: at(s, "TaxCategory.Percent") === undefined ? undefined : String(at(s, "TaxCategory.Percent")),
			taxable: text(at(s, "TaxableAmount")),
			tax: text(at(s, "TaxAmount")),
			reason: at(s, "TaxCategory.TaxExemptionReason"),
			reasonCode: at(s, "TaxCategory.TaxExemptionReasonCode"),
		})),
		lineSum: asArray(at(doc, "InvoiceLine") ?? at(doc, "CreditNoteLine")).map((l) => text(at(l, "LineExtensionAmount"))),
		doc,
	};
}

function ciiFigures(xml: string) {
	const settlement = at(parser.parse(xml), "CrossIndustryInvoice.SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement");
	const sums = at(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation");
	return {
		net: String(at(sums, "TaxBasisTotalAmount")),
		tax: text(at(sums, "TaxTotalAmount")),
		total: String(at(sums, "GrandTotalAmount")),
		payable: String(at(sums, "DuePayableAmount")),
		dueDate: at(settlement, "SpecifiedTradePaymentTerms.DueDateDateTime.DateTimeString.#text"),
		breakdown: asArray(at(settlement, "ApplicableTradeTax")).map((t) => ({
			category: String(at(t, "CategoryCode")),
			taxable: String(at(t, "BasisAmount")),
			tax: String(at(t, "CalculatedAmount")),
		})),
		settlement,
	};
}

/** The invoice's own figures as the PDF prints them (major units in the currency's decimals). */
function invoiceFigures(invoice: Invoice) {
	const major = (n: number) => formatMajorUnits(n, invoice.currency);
	return { net: major(invoice.subtotal), tax: major(invoice.tax), total: major(invoice.total), payable: major(invoice.amountDue) };
}

describe("e-invoices validated against the vendored official rules", () => {
	beforeAll(() => {
		// Each compiled rule set is read once for the whole file.
		for (const profile of ["peppol", "xrechnung", "facturx"] as const) loadEinvoiceRules(profile);
	});

	it("an XRechnung invoice at the standard rate (S 19%, EUR) passes CEN and KoSIT with the invoice's totals and due date", () => {
		const invoice = storedInvoice({ number: "INV-2026-000101", currency: "EUR", ratePpm: 190_000 });
		const xml = writeEinvoice(einvoiceFromInvoice(invoice, parties(GERMAN_BUYER)), "xrechnung");
		const result = validateEinvoice(xml, "xrechnung");
		expect(fatal(result)).toEqual([]);
		expect(result.valid).toBe(true);

		const figures = ublFigures(xml);
		expect({ net: figures.net, tax: figures.tax, total: figures.total, payable: figures.payable }).toEqual(invoiceFigures(invoice));
		expect(figures).toMatchObject({ net: "117.46", tax: "22.32", total: "139.78", payable: "139.78", dueDate: invoice.dueDate });
		expect(figures.breakdown).toEqual([
			{ category: "S", percent: "19", taxable: "117.46", tax: "22.32", reason: undefined, reasonCode: undefined },
		]);
		expect(at(figures.doc, "CustomizationID")).toBe("urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0");
		expect(at(figures.doc, "BuyerReference")).toBe("04011000-12345-34");
		expect(at(figures.doc, "InvoicePeriod")).toEqual({ StartDate: "2026-11-01", EndDate: "2026-11-30" });
		expect(at(figures.doc, "PaymentMeans.PaymentMeansCode.#text")).toBe("58");
		expect(at(figures.doc, "PaymentMeans.PayeeFinancialAccount.ID")).toBe("DE89370400440532013000");
		expect(at(figures.doc, "PaymentTerms.Note")).toBe("Net 30");
		// A discount is a negative quantity at a positive price (BR-27), and the lines add up to the net total.
		const discount = asArray(at(figures.doc, "InvoiceLine"))[3];
		expect(text(at(discount, "InvoicedQuantity"))).toBe("-1");
		expect(text(at(discount, "Price.PriceAmount"))).toBe("13.05");
		expect(figures.lineSum).toEqual(["98.00", "25.01", "7.50", "-13.05"]);
	});

	it("a Peppol invoice to a Belgian company from a German seller at 0% is reverse charge (AE) with its reason", () => {
		const invoice = storedInvoice({ number: "INV-2026-000102", currency: "EUR", ratePpm: 0 });
		const xml = writeEinvoice(einvoiceFromInvoice(invoice, parties(BELGIAN_BUYER)), "peppol");
		const result = validateEinvoice(xml, "peppol");
		expect(fatal(result)).toEqual([]);
		const figures = ublFigures(xml);
		expect({ net: figures.net, tax: figures.tax, total: figures.total, payable: figures.payable }).toEqual(invoiceFigures(invoice));
		expect(figures.breakdown).toEqual([
			{ category: "AE", percent: "0", taxable: "117.46", tax: "0.00", reason: "Reverse charge", reasonCode: "VATEX-EU-AE" },
		]);
		expect(at(figures.doc, "CustomizationID")).toBe("urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0");
		expect(at(figures.doc, "AccountingCustomerParty.Party.EndpointID")).toEqual({ "#text": "0123456749", "@schemeID": "0208" });
		// The buyer's name is escaped, not broken: & and < survive the round trip.
		expect(at(figures.doc, "AccountingCustomerParty.Party.PartyName.Name")).toBe("Brouwerij De Koe & Zonen <BV>");
	});

	it("an exempt invoice (a tax-exempt customer) is category E with the invoice's tax note as its reason", () => {
		const taxNote = "Tax exempt customer: no tax charged.";
		const invoice = storedInvoice({ number: "INV-2026-000103", currency: "EUR", ratePpm: 0, taxNote });
		const buyer: BuyerParty = { ...GERMAN_BUYER, vatExemptionCode: "VATEX-EU-132" };
		for (const profile of ["peppol", "xrechnung"] as const) {
			const xml = writeEinvoice(einvoiceFromInvoice(invoice, parties(buyer)), profile);
			expect(fatal(validateEinvoice(xml, profile))).toEqual([]);
			expect(ublFigures(xml).breakdown).toEqual([
				{ category: "E", percent: "0", taxable: "117.46", tax: "0.00", reason: taxNote, reasonCode: "VATEX-EU-132" },
			]);
		}
	});

	it("a Factur-X CII invoice at the French standard rate passes CEN CII with the invoice's totals and due date", () => {
		const invoice = storedInvoice({ number: "INV-2026-000104", currency: "EUR", ratePpm: 200_000, creditApplied: 2000 });
		const xml = writeEinvoice(einvoiceFromInvoice(invoice, parties(FRENCH_BUYER)), "facturx");
		expect(fatal(validateEinvoice(xml, "facturx"))).toEqual([]);
		const figures = ciiFigures(xml);
		expect({ net: figures.net, tax: figures.tax, total: figures.total, payable: figures.payable }).toEqual(invoiceFigures(invoice));
		expect(figures.payable).toBe("120.95");
		expect(figures.dueDate).toBe("20261231");
		expect(figures.breakdown).toEqual([{ category: "S", taxable: "117.46", tax: "23.49" }]);
		expect(xml).toContain("<ram:ID>urn:cen.eu:en16931:2017</ram:ID>");
		expect(xml).toContain("<ram:TypeCode>380</ram:TypeCode>");
	});

	it("a zero-rated invoice (Z) to a domestic buyer without a tax note, as CII", () => {
		const invoice = storedInvoice({ number: "INV-2026-000105", currency: "EUR", ratePpm: 0 });
		const seller = {
			...SELLER,
			vatId: "FR40303265045",
			address: { ...SELLER.address, city: "Lyon", postalCode: "69001", countryCode: "FR" },
		};
		const buyer: BuyerParty = { ...FRENCH_BUYER, vatId: "FR82542065479" };
		const xml = writeEinvoice(einvoiceFromInvoice(invoice, { seller, buyer }), "facturx");
		expect(fatal(validateEinvoice(xml, "facturx"))).toEqual([]);
		expect(ciiFigures(xml).breakdown).toEqual([{ category: "Z", taxable: "117.46", tax: "0.00" }]);
	});

	it("a JPY invoice (no decimals) at 10% and one outside the scope of EU VAT (O) pass Peppol with whole-yen amounts", () => {
		const lines: [string, number, number, number][] = [
			["Platform plan (Pro)", 3, 3300, 9900],
			["Onboarding workshop", 1, 55000, 55000],
		];
		const standard = storedInvoice({ number: "INV-2026-000106", currency: "JPY", ratePpm: 100_000, lines });
		const standardXml = writeEinvoice(einvoiceFromInvoice(standard, parties(GERMAN_BUYER)), "peppol");
		expect(fatal(validateEinvoice(standardXml, "peppol"))).toEqual([]);
		const figures = ublFigures(standardXml);
		expect({ net: figures.net, tax: figures.tax, total: figures.total, payable: figures.payable }).toEqual(invoiceFigures(standard));
		expect(figures).toMatchObject({ net: "64900", tax: "6490", total: "71390", currency: "JPY" });

		const export_ = storedInvoice({ number: "INV-2026-000107", currency: "JPY", ratePpm: 0, lines });
		const exportXml = writeEinvoice(einvoiceFromInvoice(export_, parties({ ...JAPANESE_BUYER, peppolId: "0088:4912345000002" })), "peppol");
		expect(fatal(validateEinvoice(exportXml, "peppol"))).toEqual([]);
		const exported = ublFigures(exportXml);
		expect(exported.breakdown).toEqual([
			{ category: "O", percent: undefined, taxable: "64900", tax: "0", reason: "Not subject to VAT", reasonCode: "VATEX-EU-O" },
		]);
		// Outside the scope of VAT, no VAT id is written (BR-O-2).
		expect(at(exported.doc, "AccountingSupplierParty.Party.PartyTaxScheme")).toBeUndefined();
	});

	it("a credit memo is a credit note that references its invoice, its VAT split from the invoice's, in UBL and CII", () => {
		const invoice = storedInvoice({ number: "INV-2026-000108", currency: "EUR", ratePpm: 190_000 });
		const memo = storedCreditMemo(invoice, 5000);
		const doc = einvoiceFromCreditMemo(memo, invoice, parties(GERMAN_BUYER));
		expect(doc.totals.taxExclusive + doc.totals.taxTotal).toBe(memo.amount);
		expect(doc.vatBreakdown).toEqual([{ category: "S", ratePpm: 190_000, taxableAmount: 4202, taxAmount: 798 }]);

		for (const profile of ["xrechnung", "peppol"] as const) {
			const xml = writeEinvoice(doc, profile);
			expect(fatal(validateEinvoice(xml, profile))).toEqual([]);
			const figures = ublFigures(xml);
			expect(figures).toMatchObject({ net: "42.02", tax: "7.98", total: "50.00", payable: "50.00" });
			expect(at(figures.doc, "CreditNoteTypeCode")).toBe("381");
			expect(at(figures.doc, "BillingReference.InvoiceDocumentReference")).toEqual({ ID: invoice.number, IssueDate: invoice.issueDate });
		}
		const cii = writeEinvoice(doc, "facturx");
		expect(fatal(validateEinvoice(cii, "facturx"))).toEqual([]);
		expect(cii).toContain("<ram:TypeCode>381</ram:TypeCode>");
		expect(at(ciiFigures(cii).settlement, "InvoiceReferencedDocument.IssuerAssignedID")).toBe(invoice.number);

		// A memo for the whole invoice gives back the invoice's own figures.
		const whole = einvoiceFromCreditMemo(storedCreditMemo(invoice, invoice.total), invoice, parties(GERMAN_BUYER));
		expect(whole.totals).toMatchObject({ taxExclusive: invoice.subtotal, taxTotal: invoice.tax, taxInclusive: invoice.total });
	});

	it("refuses an XRechnung invoice without the buyer reference (Leitweg-ID) with BR-DE-15", () => {
		const invoice = storedInvoice({ number: "INV-2026-000109", currency: "EUR", ratePpm: 190_000 });
		const { buyerReference: _, ...withoutReference } = GERMAN_BUYER;
		const result = validateEinvoice(writeEinvoice(einvoiceFromInvoice(invoice, parties(withoutReference)), "xrechnung"), "xrechnung");
		expect(result.valid).toBe(false);
		expect(fatal(result)).toEqual([
			expect.objectContaining({ ruleId: "BR-DE-15", severity: "fatal", location: "/Invoice[1]", ruleSet: "xrechnung-ubl" }),
		]);
		expect(fatal(result)[0]?.message).toContain('"Buyer reference" (BT-10)');
	});

	it("refuses a reverse-charge invoice without the buyer's VAT id with BR-AE-02", () => {
		const invoice = storedInvoice({ number: "INV-2026-000110", currency: "EUR", ratePpm: 0 });
		const doc = einvoiceFromInvoice(invoice, parties(BELGIAN_BUYER));
		expect(doc.vatBreakdown[0]?.category).toBe("AE");
		const { vatId: _, ...buyerWithoutVatId } = doc.buyer;
		const result = validateEinvoice(writeEinvoice({ ...doc, buyer: buyerWithoutVatId }, "peppol"), "peppol");
		expect(result.valid).toBe(false);
		expect(fatal(result).map((f) => f.ruleId)).toContain("BR-AE-02");
		expect(fatal(result).find((f) => f.ruleId === "BR-AE-02")).toMatchObject({ location: "/Invoice[1]", ruleSet: "cen-ubl" });
	});
});
