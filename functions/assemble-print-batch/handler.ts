import { printBatchInputSchema } from "../../shared/cycle/payloads.js";
import { assemblePrintBatch } from "../../shared/delivery/print-batch.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const storage = perStack(storageConfig);

export const handler = stepHandler("Assemble Print Batch", printBatchInputSchema, ({ billing, invoicing }) =>
	assemblePrintBatch({ ddb, s3, ...storage() }, billing.period, { expectedPostalInvoices: invoicing?.postalInvoices }),
);
