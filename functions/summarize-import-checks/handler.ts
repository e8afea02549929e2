import * as z from "zod";
import { mapResultsSchema } from "../../shared/cycle/map-results.js";
import { importJobSchema, problemsSchema, summarizeImportChecks } from "../../shared/imports/job.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const storage = perStack(storageConfig);

/** Summarize Checks: any problem and the file is refused, nothing written; otherwise the import's writing lease is taken. */
export const handler = stepHandler(
	"Summarize Checks",
	z.object({ job: importJobSchema, checked: problemsSchema.loose(), results: mapResultsSchema }),
	async ({ job, checked, results }) => summarizeImportChecks({ ddb, s3, tableName: storage().tableName }, job, checked, results),
);
