import { describe, expect, it } from "vitest";
import { emptyAging } from "../../../shared/core/aging.js";
import { type Statement, statementSchema } from "../../../shared/core/statement.js";
import { renderCreditMemoPdf } from "../../../shared/documents/credit-memo-pdf.js";
import { renderInvoicePdf } from "../../../shared/documents/invoice-pdf.js";
import { renderStatementPdf } from "../../../shared/documents/statement-pdf.js";
import type { SellerConfig } from "../../../shared/platform/config.js";
import { pdfFonts, pdfText, STANDARD_14_FONTS } from "../../support/pdf.js";
import { storedCreditMemo, storedInvoice } from "../einvoicing/fixtures.js";

/**
 * Every PDF the project renders carries its fonts (Arimo, subset): PDF/A, which a Factur-X
 * invoice is, forbids a font without its file, and a reader without Helvetica would draw
 * the document in some other font. The embedded font also draws more than Latin-1.
 */

const seller: SellerConfig = {
	name: "Ledgerline GmbH",
	addressLines: ["Hauptstraße 1", "10115 Berlin", "Germany"],
	email: "billing@ledgerline.example",
	paymentInstructions: "Pay by bank transfer to IBAN DE89 3704 0044 0532 0130 00, quoting the invoice number.",
	invoiceSeriesPrefix: "INV",
	defaultPaymentTermsDays: 30,
	sendEventWaitSeconds: 900,
};

/** Polish, Czech, Greek and Cyrillic, which Helvetica's WinAnsi could not draw; Chinese and Hebrew, which Arimo has no place for. */
const billTo = {
	name: "Łódź Świętość Sp. z o.o.",
	email: "ap@lodz.example",
	addressLines: ["Řeka 5, Brno", "Αθήνα · Москва", "東京 שלום"],
};

const invoice = { ...storedInvoice({ number: "INV-2026-000401", currency: "EUR", ratePpm: 230_000 }), billTo };
const memo = storedCreditMemo(invoice, 5_000);
const statement: Statement = statementSchema.parse({
	accountId: invoice.accountId,
	period: "2026-11",
	statementDate: "2026-12-01",
	currency: "EUR",
	billTo,
	openingBalance: 0,
	activity: [
		{
			effectiveDate: "2026-12-01",
			recordedAt: "2026-12-01T06:00:01.000Z",
			type: "invoice_issued",
			reference: invoice.number,
			amount: invoice.total,
		},
	],
	closingBalance: invoice.total,
	aging: { ...emptyAging(), current: invoice.total },
	cutoff: "2026-12-01T06:00:02.000Z",
	pdfKey: "statements/2026-11/acct-0001.pdf",
});

const documents = [
	{ kind: "invoice", render: () => renderInvoicePdf(invoice, seller) },
	{ kind: "credit memo", render: () => renderCreditMemoPdf(memo, seller) },
	{ kind: "statement", render: () => renderStatementPdf(statement, seller) },
];

describe("the fonts of the rendered PDFs", () => {
	it.each(documents)(
		"embeds every font of the $kind as a TrueType font file, none a standard font without its file",
		async ({ render }) => {
			const fonts = await pdfFonts(await render());
			expect(fonts).toEqual([
				{ baseFont: "ARIBLD+Arimo-Bold", subtype: "Type0", fontFile: "FontFile2" },
				{ baseFont: "ARIREG+Arimo-Regular", subtype: "Type0", fontFile: "FontFile2" },
			]);
			for (const font of fonts) expect(STANDARD_14_FONTS).not.toContain(font.baseFont.replace(/^[A-Z]{6}\+/, ""));
		},
	);

	it.each(documents)("draws the $kind's Latin, Greek and Cyrillic names, and ? for what the font has no glyph for", async ({ render }) => {
		const text = await pdfText(await render());
		expect(text).toContain("Łódź Świętość Sp. z o.o.");
		expect(text).toContain("Řeka 5, Brno");
		expect(text).toContain("Αθήνα · Москва");
		expect(text).toContain("?? ????");
	});

	it("renders the same bytes for the same invoice, fonts and all, after other documents in the same process", async () => {
		const first = await renderInvoicePdf(invoice, seller);
		for (const { render } of documents) await render();
		await renderInvoicePdf({ ...invoice, number: "INV-2026-000402", billTo: { ...billTo, name: "Ωmega ΑΕ" } }, seller);
		expect(Buffer.from(await renderInvoicePdf(invoice, seller)).equals(Buffer.from(first))).toBe(true);
	});
});
