import * as z from "zod";
import { importJobSchema, recordImportJobFailure } from "../../shared/imports/job.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const storage = perStack(storageConfig);

/** Record Import Failure: the file's result says failed and the lease ends; importing the same file again finishes it. */
export const handler = stepHandler(
	"Record Import Failure",
	z.object({ job: importJobSchema, failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose() }),
	async ({ job, failure }) => {
		await recordImportJobFailure({ ddb, s3, tableName: storage().tableName }, job, failure);
		return { status: "failed" as const };
	},
);
