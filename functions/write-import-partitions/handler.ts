import * as z from "zod";
import { importJobSchema, partitionItemSchema, writeImportPartitions } from "../../shared/imports/job.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const storage = perStack(storageConfig);

/** Write Partitions (a batch): the lease renewed, each partition's charges written on their accounts' charge books (converges when run again). */
export const handler = stepHandler(
	"Write Partitions",
	z.object({ job: importJobSchema, items: z.array(partitionItemSchema) }),
	async ({ job, items }) => writeImportPartitions({ ddb, s3, tableName: storage().tableName }, job, items),
);
