import { printBatchInputSchema } from "../../shared/cycle/payloads.js";
import { assemblePrintBatch } from "../../shared/delivery/print-batch.js";
import { createClients } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";

const { ddb, s3 } = createClients();
const tableName = getRequiredEnv("TABLE_NAME");
const bucketName = getRequiredEnv("BUCKET_NAME");

export const handler = stepHandler("Assemble Print Batch", printBatchInputSchema, ({ billing, invoicing }) =>
	assemblePrintBatch({ ddb, s3, tableName, bucketName }, billing.period, { expectedPostalInvoices: invoicing?.postalInvoices }),
);
