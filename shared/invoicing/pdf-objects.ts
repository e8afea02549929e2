import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

/**
 * Stores the PDF of a document that cannot have one in S3 yet (an invoice number just
 * taken, a statement no attempt rendered before), so S3 is not asked first; a document
 * that may have one goes through `storePdfUnlessPresent`, which keeps the stored bytes.
 */
export async function storeNewPdf(
	s3: S3Client,
	bucket: string,
	key: string,
	body: Uint8Array,
	metadata?: Record<string, string>,
): Promise<void> {
	await s3.send(
		new PutObjectCommand({
			Bucket: bucket,
			Key: key,
			Body: body,
			ContentType: "application/pdf",
			...(metadata ? { Metadata: metadata } : {}),
		}),
	);
}
