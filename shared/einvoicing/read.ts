import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFRawStream, PDFString } from "pdf-lib";
import { ValidationError } from "../core/errors.js";
import type { EinvoiceProfile } from "./validate.js";

/**
 * What a person hands to `billing einvoice validate`: a UBL or CII file, or a Factur-X /
 * ZUGFeRD PDF with its CII attached. Tells which syntax it is by its root element.
 */

export type EinvoiceSyntax = "ubl" | "cii";

export interface EinvoiceFile {
	readonly syntax: EinvoiceSyntax;
	readonly xml: string;
	/** The PDF attachment the XML came from, for a Factur-X PDF. */
	readonly attachment?: string;
}

/** The names Factur-X 1.0 and ZUGFeRD 2.x give the attached CII. */
const CII_ATTACHMENTS = ["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"];

const ROOTS: Readonly<Record<string, { syntax: EinvoiceSyntax; namespace: string }>> = {
	Invoice: { syntax: "ubl", namespace: "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" },
	CreditNote: { syntax: "ubl", namespace: "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2" },
	CrossIndustryInvoice: { syntax: "cii", namespace: "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" },
};

/** The syntax of an XML document from its root element and that element's namespace; undefined for anything else. */
export function syntaxOf(xml: string): EinvoiceSyntax | undefined {
	// The first start tag after the declaration, comments and processing instructions.
	const body = xml.replace(/^\uFEFF/, "").replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, "");
	const root = /<(?:([\w.-]+):)?([\w.-]+)([^>]*)>/.exec(body);
	if (!root) return undefined;
	const [, prefix, name = "", attributes = ""] = root;
	const known = ROOTS[name];
	if (!known) return undefined;
	const declared = new RegExp(`xmlns${prefix ? `:${prefix}` : ""}\\s*=\\s*["']([^"']*)["']`).exec(attributes)?.[1];
	return declared === known.namespace ? known.syntax : undefined;
}

/** The embedded files of a PDF by name, from its catalog's EmbeddedFiles name tree. */
function embeddedFiles(pdf: PDFDocument): Map<string, Uint8Array> {
	const files = new Map<string, Uint8Array>();
	const visit = (node: PDFDict | undefined): void => {
		if (!node) return;
		const names = node.lookupMaybe(PDFName.of("Names"), PDFArray);
		for (let i = 0; names && i + 1 < names.size(); i += 2) {
			const name = names.lookup(i);
			const spec = names.lookupMaybe(i + 1, PDFDict);
			const stream = spec?.lookupMaybe(PDFName.of("EF"), PDFDict)?.lookup(PDFName.of("F"));
			if ((name instanceof PDFString || name instanceof PDFHexString) && stream instanceof PDFRawStream) {
				files.set(name.decodeText(), decodePDFRawStream(stream).decode());
			}
		}
		const kids = node.lookupMaybe(PDFName.of("Kids"), PDFArray);
		for (let i = 0; kids && i < kids.size(); i++) visit(kids.lookupMaybe(i, PDFDict));
	};
	const namesDict = pdf.catalog.lookupMaybe(PDFName.of("Names"), PDFDict);
	visit(namesDict?.lookupMaybe(PDFName.of("EmbeddedFiles"), PDFDict));
	return files;
}

function isPdf(bytes: Uint8Array): boolean {
	return Buffer.from(bytes.subarray(0, 5)).toString("latin1") === "%PDF-";
}

/** Reads a UBL or CII file, or the CII attached to a Factur-X PDF; refuses anything else, saying what it found. */
export async function readEinvoiceFile(bytes: Uint8Array, name: string): Promise<EinvoiceFile> {
	if (isPdf(bytes)) {
		const pdf = await PDFDocument.load(bytes, { updateMetadata: false });
		const files = embeddedFiles(pdf);
		const attachment = CII_ATTACHMENTS.find((n) => files.has(n));
		if (!attachment) {
			const found = files.size ? `its attachments are ${[...files.keys()].join(", ")}` : "it has no attachments";
			throw new ValidationError(`${name} is a PDF without an e-invoice: no ${CII_ATTACHMENTS.join(" or ")} attached (${found})`);
		}
		const xml = Buffer.from(files.get(attachment) ?? new Uint8Array()).toString("utf8");
		const syntax = syntaxOf(xml);
		if (!syntax) throw new ValidationError(`${name}: the attached ${attachment} is not a UBL or CII document`);
		return { syntax, xml, attachment };
	}
	const xml = Buffer.from(bytes).toString("utf8");
	const syntax = syntaxOf(xml);
	if (!syntax) {
		throw new ValidationError(
			`${name} is neither a UBL Invoice or CreditNote, nor a CII CrossIndustryInvoice, nor a PDF with one attached`,
		);
	}
	return { syntax, xml };
}

/** The profile a document asks for: XRechnung by its customization id, else Peppol for UBL; Factur-X (EN 16931) for CII. */
export function profileOf(file: EinvoiceFile): EinvoiceProfile {
	if (file.syntax === "cii") return "facturx";
	const customization = /<(?:[\w.-]+:)?CustomizationID[^>]*>([^<]*)</.exec(file.xml)?.[1] ?? "";
	return customization.includes("xeinkauf.de:kosit:xrechnung") ? "xrechnung" : "peppol";
}

/** The syntax each profile's rules are written for. */
export const PROFILE_SYNTAX: Readonly<Record<EinvoiceProfile, EinvoiceSyntax>> = { peppol: "ubl", xrechnung: "ubl", facturx: "cii" };
