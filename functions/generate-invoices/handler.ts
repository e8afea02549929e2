import { createClients } from "../../shared/clients.js";
import { sellerConfig, storageConfig } from "../../shared/config.js";
import { issueInvoicesForBatch } from "../../shared/invoices.js";
import { stepHandler } from "../../shared/lambda.js";
import { recordRunFailure } from "../../shared/run-records.js";
import { invoiceBatchSchema } from "../../shared/steps.js";

const { ddb, s3 } = createClients();
const { tableName, bucketName } = storageConfig();
const seller = sellerConfig();

export const handler = stepHandler("Generate Invoices", invoiceBatchSchema, ({ billing, items }) =>
	issueInvoicesForBatch(
		{ ddb, s3, tableName, bucketName, seller },
		items.map((i) => i.accountId),
		billing,
		(accountId, reason) => recordRunFailure({ ddb, tableName }, { period: billing.period, accountId, stage: "invoice", reason }),
	),
);
