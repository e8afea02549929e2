import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

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

/**
 * Stores a document's PDF unless it is already in S3: a retry after a crash renders nothing
 * twice, and a document once sent keeps the bytes the customer received.
 */
export async function storePdfUnlessPresent(
	s3: S3Client,
	bucket: string,
	key: string,
	render: () => Promise<Uint8Array>,
	metadata?: Record<string, string>,
): Promise<void> {
	try {
		await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
		return;
	} catch (err) {
		if ((err as { name?: string }).name !== "NotFound") throw err;
	}
	await storeNewPdf(s3, bucket, key, await render(), metadata);
}

export async function readObjectBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
	const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
	if (!out.Body) throw new Error(`s3://${bucket}/${key} has no body`);
	return out.Body.transformToByteArray();
}
