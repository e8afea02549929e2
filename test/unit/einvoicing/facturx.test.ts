import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	decodePDFRawStream,
	PDFArray,
	PDFDict,
	PDFDocument,
	PDFHexString,
	PDFName,
	PDFNumber,
	type PDFObject,
	PDFRawStream,
	PDFString,
} from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderCreditMemoPdf } from "../../../shared/documents/credit-memo-pdf.js";
import { renderInvoicePdf } from "../../../shared/documents/invoice-pdf.js";
import { writeCii } from "../../../shared/einvoicing/cii.js";
import { facturxPdf } from "../../../shared/einvoicing/facturx.js";
import { einvoiceFromCreditMemo, einvoiceFromInvoice } from "../../../shared/einvoicing/model.js";
import { readEinvoiceFile } from "../../../shared/einvoicing/read.js";
import { SRGB_ICC_PROFILE_BASE64 } from "../../../shared/einvoicing/srgb-profile.js";
import type { SellerConfig } from "../../../shared/platform/config.js";
import { runCliCaptured } from "../../support/cli.js";
import { pdfText } from "../../support/pdf.js";
import { BELGIAN_BUYER, FRENCH_BUYER, parties, SELLER, storedCreditMemo, storedInvoice } from "./fixtures.js";

/** The seller as the PDF renderers take it: the same company as the e-invoice's seller. */
const SELLER_CONFIG: SellerConfig = {
	name: SELLER.name,
	addressLines: ["Hauptstraße 1", "10115 Berlin", "Germany"],
	email: "billing@ledgerline.example",
	paymentInstructions: "Pay by bank transfer to IBAN DE89 3704 0044 0532 0130 00, quoting the invoice number.",
	invoiceSeriesPrefix: "INV",
	defaultPaymentTermsDays: 30,
	sendEventWaitSeconds: 900,
};

const ICC_FILE = new URL("../../../shared/einvoicing/icc/sRGB.icc", import.meta.url);

function stream(obj: PDFObject | undefined): Uint8Array {
	if (!(obj instanceof PDFRawStream)) throw new Error(`expected a stream, found ${obj?.constructor.name}`);
	return decodePDFRawStream(obj).decode();
}

function text(obj: PDFObject | undefined): string {
	if (obj instanceof PDFString || obj instanceof PDFHexString) return obj.decodeText();
	throw new Error(`expected a string, found ${obj?.constructor.name}`);
}

/** The value of one simple XMP property, `<prefix:Name>value</prefix:Name>`. */
function xmpValue(xmp: string, property: string): string | undefined {
	return new RegExp(`<${property}>([^<]*)</${property}>`).exec(xmp)?.[1];
}

describe("facturxPdf: the invoice PDF as Factur-X EN 16931, PDF/A-3b", () => {
	const invoice = storedInvoice({ number: "INV-2026-000301", currency: "EUR", ratePpm: 200_000 });
	const cii = writeCii(einvoiceFromInvoice(invoice, parties(FRENCH_BUYER)));
	const info = { number: invoice.number, issueDate: invoice.issueDate, sellerName: SELLER.name };
	let plain: Uint8Array;
	let facturx: Uint8Array;
	let doc: PDFDocument;

	beforeAll(async () => {
		plain = await renderInvoicePdf(invoice, SELLER_CONFIG);
		facturx = await facturxPdf(plain, cii, info);
		doc = await PDFDocument.load(facturx, { updateMetadata: false });
	});

	it("attaches the CII as factur-x.xml, text/xml, the invoice's Alternative form, listed in /AF and /EmbeddedFiles", () => {
		const names = doc.catalog
			.lookup(PDFName.of("Names"), PDFDict)
			.lookup(PDFName.of("EmbeddedFiles"), PDFDict)
			.lookup(PDFName.of("Names"), PDFArray);
		expect(names.size()).toBe(2);
		expect(text(names.lookup(0))).toBe("factur-x.xml");
		const spec = names.lookup(1, PDFDict);
		expect(spec.get(PDFName.of("AFRelationship"))).toBe(PDFName.of("Alternative"));
		expect(text(spec.lookup(PDFName.of("F")))).toBe("factur-x.xml");
		expect(text(spec.lookup(PDFName.of("UF")))).toBe("factur-x.xml");

		const af = doc.catalog.lookup(PDFName.of("AF"), PDFArray);
		expect(af.size()).toBe(1);
		expect(af.get(0)).toBe(names.get(1));

		const file = spec.lookup(PDFName.of("EF"), PDFDict).lookup(PDFName.of("F"));
		expect(Buffer.from(stream(file)).toString("utf8")).toBe(cii);
		const fileDict = (file as PDFRawStream).dict;
		expect(fileDict.get(PDFName.of("Type"))).toBe(PDFName.of("EmbeddedFile"));
		expect(fileDict.get(PDFName.of("Subtype"))).toBe(PDFName.of("text/xml"));
		const params = fileDict.lookup(PDFName.of("Params"), PDFDict);
		expect(params.lookup(PDFName.of("Size"), PDFNumber).asNumber()).toBe(Buffer.byteLength(cii, "utf8"));
		expect(text(params.lookup(PDFName.of("ModDate")))).toBe("D:20261201000000Z");
	});

	it("reads back with the project's own reader as the CII, byte for byte", async () => {
		const read = await readEinvoiceFile(facturx, "facturx.pdf");
		expect(read).toEqual({ syntax: "cii", xml: cii, attachment: "factur-x.xml" });
	});

	it("says PDF/A-3B and Factur-X EN 16931 in its XMP, with the extension schema, agreeing with the Info dictionary", () => {
		const metadata = doc.catalog.lookup(PDFName.of("Metadata"));
		expect((metadata as PDFRawStream).dict.get(PDFName.of("Subtype"))).toBe(PDFName.of("XML"));
		const xmp = Buffer.from(stream(metadata)).toString("utf8");
		expect(xmp.startsWith('<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>')).toBe(true);
		expect(xmpValue(xmp, "pdfaid:part")).toBe("3");
		expect(xmpValue(xmp, "pdfaid:conformance")).toBe("B");
		expect(xmpValue(xmp, "fx:DocumentType")).toBe("INVOICE");
		expect(xmpValue(xmp, "fx:DocumentFileName")).toBe("factur-x.xml");
		expect(xmpValue(xmp, "fx:Version")).toBe("1.0");
		expect(xmpValue(xmp, "fx:ConformanceLevel")).toBe("EN 16931");
		expect(xmpValue(xmp, "pdfaSchema:namespaceURI")).toBe("urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#");
		expect(xmpValue(xmp, "pdfaSchema:prefix")).toBe("fx");
		expect([...xmp.matchAll(/<pdfaProperty:name>([^<]*)</g)].map((m) => m[1])).toEqual([
			"DocumentFileName",
			"DocumentType",
			"Version",
			"ConformanceLevel",
		]);

		// Each Info entry and its XMP equivalent, which PDF/A wants equal.
		expect(doc.getTitle()).toBe("INV-2026-000301");
		expect(xmp).toContain('<dc:title><rdf:Alt><rdf:li xml:lang="x-default">INV-2026-000301</rdf:li></rdf:Alt></dc:title>');
		expect(doc.getAuthor()).toBe("Ledgerline GmbH");
		expect(xmp).toContain("<dc:creator><rdf:Seq><rdf:li>Ledgerline GmbH</rdf:li></rdf:Seq></dc:creator>");
		expect(doc.getSubject()).toBe("Invoice INV-2026-000301 to Customer for 2026-11");
		expect(xmp).toContain(`<dc:description><rdf:Alt><rdf:li xml:lang="x-default">${doc.getSubject()}</rdf:li></rdf:Alt></dc:description>`);
		expect(xmpValue(xmp, "pdf:Keywords")).toBe(doc.getKeywords());
		expect(xmpValue(xmp, "xmp:CreatorTool")).toBe(doc.getCreator());
		expect(xmpValue(xmp, "pdf:Producer")).toBe(doc.getProducer());
		const info = doc.context.lookup(doc.context.trailerInfo.Info, PDFDict);
		expect(text(info.lookup(PDFName.of("CreationDate")))).toBe("D:20261201000000Z");
		expect(text(info.lookup(PDFName.of("ModDate")))).toBe("D:20261201000000Z");
		expect(xmpValue(xmp, "xmp:CreateDate")).toBe("2026-12-01T00:00:00Z");
		expect(xmpValue(xmp, "xmp:ModifyDate")).toBe("2026-12-01T00:00:00Z");
	});

	it("escapes a title and seller name with XML's special characters in the XMP", async () => {
		const odd = await facturxPdf(plain, cii, { ...info, sellerName: BELGIAN_BUYER.name, title: 'Invoice "A" & <B>' });
		const reread = await PDFDocument.load(odd, { updateMetadata: false });
		const xmp = Buffer.from(stream(reread.catalog.lookup(PDFName.of("Metadata")))).toString("utf8");
		expect(reread.getAuthor()).toBe("Brouwerij De Koe & Zonen <BV>");
		expect(xmp).toContain("<rdf:li>Brouwerij De Koe &amp; Zonen &lt;BV&gt;</rdf:li>");
		expect(xmp).toContain("Invoice &quot;A&quot; &amp; &lt;B&gt;</rdf:li>");
	});

	it("has a GTS_PDFA1 output intent with the vendored sRGB profile, three components", () => {
		expect(Buffer.from(SRGB_ICC_PROFILE_BASE64, "base64").equals(readFileSync(ICC_FILE))).toBe(true);
		const intents = doc.catalog.lookup(PDFName.of("OutputIntents"), PDFArray);
		expect(intents.size()).toBe(1);
		const intent = intents.lookup(0, PDFDict);
		expect(intent.get(PDFName.of("Type"))).toBe(PDFName.of("OutputIntent"));
		expect(intent.get(PDFName.of("S"))).toBe(PDFName.of("GTS_PDFA1"));
		expect(text(intent.lookup(PDFName.of("OutputConditionIdentifier")))).toBe("sRGB");
		const profile = intent.lookup(PDFName.of("DestOutputProfile"));
		expect((profile as PDFRawStream).dict.lookup(PDFName.of("N"), PDFNumber).asNumber()).toBe(3);
		const icc = Buffer.from(stream(profile));
		expect(icc.equals(readFileSync(ICC_FILE))).toBe(true);
		expect(icc.subarray(12, 20).toString("latin1")).toBe("mntrRGB ");
	});

	it("is a PDF 1.7 with its binary comment and a file identifier, and the same input gives the same bytes", async () => {
		expect(Buffer.from(facturx.subarray(0, 8)).toString("latin1")).toBe("%PDF-1.7");
		// The binary comment PDF/A wants on the second line: four bytes above 127.
		expect([...facturx.subarray(8, 14)]).toEqual([0x0a, 0x25, 129, 129, 129, 129]);
		const id = doc.context.lookup(doc.context.trailerInfo.ID, PDFArray);
		expect(id.size()).toBe(2);
		expect((id.get(0) as PDFHexString).asString()).toMatch(/^[0-9a-f]{32}$/);
		const again = await facturxPdf(await renderInvoicePdf(invoice, SELLER_CONFIG), cii, info);
		expect(Buffer.from(again).equals(Buffer.from(facturx))).toBe(true);
	});

	it("still reads as the invoice: the same pages and the same text", async () => {
		const original = await PDFDocument.load(plain);
		expect(doc.getPageCount()).toBe(original.getPageCount());
		const [before, after] = [await pdfText(plain), await pdfText(facturx)];
		expect(after).toBe(before);
		expect(after).toContain("INV-2026-000301");
		expect(after).toContain("Amount due");
	});

	it("makes a credit memo's Factur-X PDF the same way, its CII the credit note", async () => {
		const memo = storedCreditMemo(invoice, 5000);
		const memoCii = writeCii(einvoiceFromCreditMemo(memo, invoice, parties(FRENCH_BUYER)));
		const pdf = await facturxPdf(await renderCreditMemoPdf(memo, SELLER_CONFIG), memoCii, {
			number: memo.number,
			issueDate: memo.issueDate,
			sellerName: SELLER.name,
		});
		expect(await readEinvoiceFile(pdf, "memo.pdf")).toEqual({ syntax: "cii", xml: memoCii, attachment: "factur-x.xml" });
		expect(memoCii).toContain("<ram:TypeCode>381</ram:TypeCode>");
		const reread = await PDFDocument.load(pdf, { updateMetadata: false });
		expect(reread.getCreationDate()?.toISOString()).toBe("2026-12-05T00:00:00.000Z");
	});

	describe("billing einvoice validate on the Factur-X PDF", () => {
		const dir = mkdtempSync(join(tmpdir(), "facturx-"));
		afterAll(() => rmSync(dir, { recursive: true, force: true }));

		it("finds the attached CII and no fatal finding under the EN 16931 CII rules", async () => {
			const path = join(dir, "INV-2026-000301.pdf");
			writeFileSync(path, facturx);
			const result = await runCliCaptured(["einvoice", "validate", path, "--json"]);
			expect(result.code).toBe(0);
			expect(JSON.parse(result.stdout)).toMatchObject({
				attachment: "factur-x.xml",
				syntax: "cii",
				profile: "facturx",
				valid: true,
				fatal: 0,
			});
		});
	});
});
