import * as z from "zod";
import { mapResultsSchema } from "../../shared/cycle/map-results.js";
import { importJobSchema, recordImportJob } from "../../shared/imports/job.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const storage = perStack(storageConfig);

/** Record Import: the counts added up; the import's record and its result (imported) written; its lease ended. */
export const handler = stepHandler(
	"Record Import",
	z.object({ job: importJobSchema, rows: z.number().int().nonnegative(), results: mapResultsSchema }),
	async ({ job, rows, results }) => {
		const result = await recordImportJob({ ddb, s3, tableName: storage().tableName }, job, rows, results);
		return { importId: result.importId, counts: result.counts };
	},
);
