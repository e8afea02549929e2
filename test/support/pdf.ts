import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
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
