import * as z from "zod";
import { checkImportPartitions, importJobSchema, partitionItemSchema } from "../../shared/imports/job.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const storage = perStack(storageConfig);

/** Check Partitions (a batch): each partition's charges checked against the store; its problems counted, the first 100 listed. */
export const handler = stepHandler(
	"Check Partitions",
	z.object({ job: importJobSchema, items: z.array(partitionItemSchema) }),
	async ({ job, items }) => checkImportPartitions({ ddb, s3, tableName: storage().tableName }, job, items),
);
