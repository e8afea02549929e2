import { createClients } from "../../shared/clients.js";
import { getRequiredEnv } from "../../shared/config.js";
import { stepHandler } from "../../shared/lambda.js";
import { assemblePrintBatch } from "../../shared/print-batch.js";
import { withBillingSchema } from "../../shared/steps.js";

const { ddb, s3 } = createClients();
const tableName = getRequiredEnv("TABLE_NAME");
const bucketName = getRequiredEnv("BUCKET_NAME");

export const handler = stepHandler("Assemble Print Batch", withBillingSchema, ({ billing }) =>
	assemblePrintBatch({ ddb, s3, tableName, bucketName }, billing.period),
);
