import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ImportResult } from "./import.js";

/**
 * What came of a file put under imports/, written beside it as `<key>.result.json`
 * (docs/data-in.md): by ImportFile for a one-shot import, by the import job's steps for a
 * file run as a job (`running` until it ends).
 */
export type ImportFileResult = (
	| { status: "imported"; result: ImportResult }
	| { status: "refused"; errorCount: number; errors: readonly string[] }
	| { status: "failed"; error: string }
	| { status: "running"; execution: string }
) & {
	/** The import job that wrote it, for a file run as a job. */
	jobId?: string;
};

export const IMPORT_RESULT_SUFFIX = ".result.json";

export async function writeImportResult(s3: S3Client, bucket: string, key: string, body: ImportFileResult): Promise<void> {
	await s3.send(
		new PutObjectCommand({
			Bucket: bucket,
			Key: `${key}${IMPORT_RESULT_SUFFIX}`,
			Body: `${JSON.stringify(body, null, 2)}\n`,
			ContentType: "application/json",
		}),
	);
}

/** The result written for a key, if any (only its job id is looked at). */
export async function readImportResult(s3: S3Client, bucket: string, key: string): Promise<{ jobId?: string } | undefined> {
	try {
		const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}${IMPORT_RESULT_SUFFIX}` }));
		return JSON.parse((await out.Body?.transformToString()) ?? "{}") as { jobId?: string };
	} catch (err) {
		if (err instanceof NoSuchKey || (err as { name?: string }).name === "NoSuchKey") return undefined;
		throw err;
	}
}
