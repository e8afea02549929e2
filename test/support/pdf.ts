import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PDFArray, PDFDict, PDFDocument, PDFName } from "pdf-lib";
import { PDFParse } from "pdf-parse";

/** The text a reader sees in a PDF; runs of whitespace collapsed unless `raw`. */
export async function pdfText(pdf: Uint8Array, options: { raw?: boolean } = {}): Promise<string> {
	// pdf.js may transfer the buffer it is given, so it gets a copy.
	const parser = new PDFParse({ data: new Uint8Array(pdf) });
	try {
		const { text } = await parser.getText();
		return options.raw ? text : text.replace(/\s+/g, " ");
	} finally {
		await parser.destroy();
	}
}

/** The text of a PDF stored in S3. */
export async function storedPdfText(s3: S3Client, bucket: string, key: string): Promise<string> {
	const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
	return pdfText(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

/** A font of a PDF as a preflight sees it: its name, its type, and which font file it embeds, if any. */
export interface PdfFont {
	readonly baseFont: string;
	readonly subtype: string;
	/** FontFile (Type 1), FontFile2 (TrueType) or FontFile3 (CFF, OpenType); undefined when no file is embedded. */
	readonly fontFile: "FontFile" | "FontFile2" | "FontFile3" | undefined;
}

/** The standard 14 fonts, which a reader may draw from its own copy when no font file is embedded. */
export const STANDARD_14_FONTS = [
	"Courier",
	"Courier-Bold",
	"Courier-Oblique",
	"Courier-BoldOblique",
	"Helvetica",
	"Helvetica-Bold",
	"Helvetica-Oblique",
	"Helvetica-BoldOblique",
	"Times-Roman",
	"Times-Bold",
	"Times-Italic",
	"Times-BoldItalic",
	"Symbol",
	"ZapfDingbats",
];

/**
 * Every font dictionary in a PDF (each object of /Type /Font, used on a page or not); a
 * composite (Type0) font is described by its descendant CIDFont's descriptor.
 */
export async function pdfFonts(pdf: Uint8Array): Promise<PdfFont[]> {
	const doc = await PDFDocument.load(pdf, { updateMetadata: false });
	const fonts: PdfFont[] = [];
	for (const [, object] of doc.context.enumerateIndirectObjects()) {
		if (!(object instanceof PDFDict) || object.get(PDFName.of("Type")) !== PDFName.of("Font")) continue;
		const subtype = object.lookup(PDFName.of("Subtype"), PDFName).decodeText();
		if (subtype.startsWith("CIDFontType")) continue;
		const described = subtype === "Type0" ? object.lookup(PDFName.of("DescendantFonts"), PDFArray).lookup(0, PDFDict) : object;
		const descriptor = described.lookupMaybe(PDFName.of("FontDescriptor"), PDFDict);
		const fontFile = (["FontFile", "FontFile2", "FontFile3"] as const).find((key) => descriptor?.has(PDFName.of(key)));
		fonts.push({ baseFont: object.lookup(PDFName.of("BaseFont"), PDFName).decodeText(), subtype, fontFile });
	}
	return fonts.sort((a, b) => a.baseFont.localeCompare(b.baseFont));
}
