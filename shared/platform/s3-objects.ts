import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DocumentConflictError, TransientError } from "../core/errors.js";
import type { DocumentRetention } from "./config.js";

/** How an issued document is stored besides its bytes. */
export interface DocumentWrite {
	/** User metadata stored with the object (`x-amz-meta-*`). */
	readonly metadata?: Record<string, string>;
	/** The S3 Object Lock retention put on the object as it is stored; none when absent. */
	readonly retention?: DocumentRetention;
	/** application/pdf unless given: an e-invoice beside its PDF is application/xml. */
	readonly contentType?: string;
}

/**
 * When a document stored at `storedAt` may be deleted at the earliest: the end of that
 * calendar year plus the retention's years (retention periods such as GoBD's, section 147
 * AO, and most VAT laws' run from the end of the year the document was issued in). An
 * invoice stored on 2026-03-10 with 10 years is kept until 2037-01-01T00:00:00Z.
 */
export function documentRetainUntil(retention: DocumentRetention, storedAt: Date): Date {
	return new Date(Date.UTC(storedAt.getUTCFullYear() + retention.years + 1, 0, 1));
}

/**
 * Stores an issued document's PDF (invoice, credit memo, statement) under a key that must
 * not hold another document: the put carries `If-None-Match: *`, so S3 refuses it when the
 * key exists (412) and nothing is ever overwritten (DESIGN.md section 15). A refusal is then
 * told apart by reading the stored object: the same bytes are the same document written
 * again (a retry, rendering is deterministic) and are accepted; other bytes throw
 * `DocumentConflictError` and the stored document stands. A conditional write of the key
 * still in flight elsewhere (409) is a `TransientError`, to be tried again.
 *
 * With a retention, the object is stored under S3 Object Lock in its mode until
 * `documentRetainUntil`. S3 takes a retention only with a checksum of the body, so the put
 * names one (CRC32, computed by the SDK into a header even when
 * AWS_REQUEST_CHECKSUM_CALCULATION is WHEN_REQUIRED; the body is a byte array, so it is
 * sent as is, never aws-chunked).
 *
 * Used directly for a document that cannot have a PDF yet (an invoice number just taken, a
 * statement no attempt rendered before), so S3 is not asked first; a document that may have
 * one goes through `storePdfUnlessPresent`.
 */
export async function storeNewPdf(s3: S3Client, bucket: string, key: string, body: Uint8Array, options: DocumentWrite = {}): Promise<void> {
	const { metadata, retention, contentType = "application/pdf" } = options;
	try {
		await s3.send(
			new PutObjectCommand({
				Bucket: bucket,
				Key: key,
				Body: body,
				ContentType: contentType,
				IfNoneMatch: "*",
				ChecksumAlgorithm: "CRC32",
				...(metadata ? { Metadata: metadata } : {}),
				...(retention ? { ObjectLockMode: retention.mode, ObjectLockRetainUntilDate: documentRetainUntil(retention, new Date()) } : {}),
			}),
		);
	} catch (err) {
		if (failedWith(err, "ConditionalRequestConflict", 409)) {
			throw new TransientError(`s3://${bucket}/${key} is being written by another request; try again`, { cause: err });
		}
		if (!failedWith(err, "PreconditionFailed", 412)) throw err;
		const stored = await readObjectBytes(s3, bucket, key);
		if (!Buffer.from(stored).equals(Buffer.from(body))) {
			throw new DocumentConflictError(
				`s3://${bucket}/${key} already holds a different document (${stored.byteLength} bytes stored, ${body.byteLength} offered): an issued document is never rewritten`,
				{ cause: err },
			);
		}
	}
}

/**
 * Stores a document's PDF unless it is already in S3: a retry after a crash renders nothing
 * twice, and a document once sent keeps the bytes the customer received. The put itself is
 * `storeNewPdf`'s, so a writer that stores the key between the HEAD and the put is not
 * overwritten either.
 */
export async function storePdfUnlessPresent(
	s3: S3Client,
	bucket: string,
	key: string,
	render: () => Promise<Uint8Array>,
	options: DocumentWrite = {},
): Promise<void> {
	try {
		await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
		return;
	} catch (err) {
		if ((err as { name?: string }).name !== "NotFound") throw err;
	}
	await storeNewPdf(s3, bucket, key, await render(), options);
}

export async function readObjectBytes(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
	const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
	if (!out.Body) throw new Error(`s3://${bucket}/${key} has no body`);
	return out.Body.transformToByteArray();
}

/** The object's bytes, or undefined when there is none (S3 answers 404 only to a reader who may list the bucket). */
export async function readObjectIfPresent(s3: S3Client, bucket: string, key: string): Promise<Uint8Array | undefined> {
	try {
		return await readObjectBytes(s3, bucket, key);
	} catch (err) {
		if (failedWith(err, "NoSuchKey", 404)) return undefined;
		throw err;
	}
}

function failedWith(err: unknown, name: string, status: number): boolean {
	const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
	return e.name === name || e.$metadata?.httpStatusCode === status;
}
