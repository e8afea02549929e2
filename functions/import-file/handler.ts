import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import * as z from "zod";
import { ValidationError } from "../../shared/core/errors.js";
import { ImportRefused, importFiles, importKindOf } from "../../shared/imports/import.js";
import { type ImportJob, importJobId } from "../../shared/imports/job.js";
import { type ImportFileResult, readImportResult, writeImportResult } from "../../shared/imports/results.js";
import { s3Source } from "../../shared/imports/sources.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { getRequiredEnv, importOneShotBytes, importOneShotRows, storageConfig } from "../../shared/platform/config.js";
import { logger, stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";
import { importObjects } from "../catalog.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const storage = perStack(storageConfig);
const sfn = new SFNClient({});

/** What S3 sends EventBridge for an object put in the bucket (the fields used here). */
const objectCreatedSchema = z.object({
	source: z.literal("aws.s3"),
	"detail-type": z.literal("Object Created"),
	detail: z.object({
		bucket: z.object({ name: z.string() }),
		object: z.object({ key: z.string().min(1), size: z.number().int().nonnegative().optional(), "version-id": z.string().optional() }),
		/** The account (or AWS service) that put the object. */
		requester: z.string().optional(),
	}),
});

/** The key as stored: S3 sends it URL-encoded, form style ("accounts 2026.csv" is "accounts+2026.csv"). */
function objectKey(encoded: string): string {
	try {
		return decodeURIComponent(encoded.replace(/\+/g, " "));
	} catch {
		return encoded;
	}
}

function isFileToImport(key: string): boolean {
	return key.startsWith(importObjects.prefix) && !key.endsWith("/") && !key.endsWith(importObjects.resultSuffix);
}

/** A charge file over IMPORT_ONE_SHOT_BYTES: run as an import job, once per object version. */
function runsAsJob(key: string, size: number | undefined): boolean {
	if (size === undefined || size <= importOneShotBytes()) return false;
	try {
		return importKindOf(key) === "charges";
	} catch {
		return false;
	}
}

/**
 * A file put under imports/ is imported whole or not at all (DESIGN.md section 8), and what
 * came of it is written beside it as `<key>.result.json`. A refusal (bad rows, a name that
 * says no kind) is the file's answer; anything else is ours: written as failed, then thrown
 * so Lambda retries the event (the import is idempotent) and the errors alarm sees it. A
 * charge file over IMPORT_ONE_SHOT_BYTES is run as an import job instead (the import job
 * workflow, shared/imports/job.ts), under an execution name derived from its key and
 * version, so a redelivered event finds it started; its result says running until it ends.
 */
export const handler = stepHandler("Import File", objectCreatedSchema, async ({ detail }) => {
	const { tableName, bucketName } = storage();
	const key = objectKey(detail.object.key);
	if (!isFileToImport(key)) return { key, status: "ignored" as const };
	if (detail.bucket.name !== bucketName)
		throw new ValidationError(`object of bucket ${detail.bucket.name}, this function imports from ${bucketName}`);
	const resultKey = `${key}${importObjects.resultSuffix}`;
	const writeResult = (body: ImportFileResult) => writeImportResult(s3, bucketName, key, body);
	const actor = `s3:${detail.requester ?? key}`;
	const versionId = detail.object["version-id"];

	if (runsAsJob(key, detail.object.size)) {
		const stateMachineArn = getRequiredEnv("IMPORT_JOB_STATE_MACHINE_ARN");
		const jobId = importJobId(key, versionId);
		const job: ImportJob = {
			jobId,
			bucket: bucketName,
			key,
			...(versionId === undefined ? {} : { versionId }),
			...(detail.object.size === undefined ? {} : { size: detail.object.size }),
			actor,
			startedAt: new Date().toISOString(),
		};
		const execution = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${jobId}`;
		// Written before the job starts, so the job's own result always comes after it; unless
		// the result is already this job's (a redelivered event): running or ended, it stays.
		if ((await readImportResult(s3, bucketName, key))?.jobId !== jobId) await writeResult({ status: "running", execution, jobId });
		try {
			await sfn.send(new StartExecutionCommand({ stateMachineArn, name: jobId, input: JSON.stringify({ job }) }));
		} catch (err) {
			if (!(err instanceof ExecutionAlreadyExists)) {
				// Not started: the result says so (not running), and Lambda retries the event.
				await writeResult({ status: "failed", error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
				throw err;
			}
			logger.warn("import job already started for this object version", { key, jobId });
			return { key, status: "running" as const, resultKey, execution, started: false };
		}
		return { key, status: "running" as const, resultKey, execution, started: true };
	}

	try {
		const result = await importFiles({ ddb, tableName, actor }, [s3Source(s3, bucketName, key, { size: detail.object.size, versionId })], {
			maxRows: importOneShotRows(),
		});
		await writeResult({ status: "imported", result });
		return { key, status: "imported" as const, resultKey, importId: result.importId, counts: result.counts };
	} catch (err) {
		if (err instanceof ValidationError) {
			// The errors quote the file's values (addresses among them): they go to the result, not the log.
			const refused =
				err instanceof ImportRefused ? { errorCount: err.errorCount, errors: err.errors } : { errorCount: 1, errors: [err.message] };
			await writeResult({ status: "refused", ...refused });
			return { key, status: "refused" as const, resultKey, errorCount: refused.errorCount };
		}
		const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
		await writeResult({ status: "failed", error }).catch((writeError: unknown) =>
			logger.error("could not write the failed result", { key, error: writeError as Error }),
		);
		throw err;
	}
});
