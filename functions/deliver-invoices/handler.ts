import { createClients } from "../../shared/clients.js";
import { sellerConfig, storageConfig } from "../../shared/config.js";
import { deliverInvoicesForBatch } from "../../shared/delivery.js";
import { stepHandler } from "../../shared/lambda.js";
import { recordRunFailure } from "../../shared/run-records.js";
import { deliveryBatchSchema } from "../../shared/steps.js";

const { ddb, s3, ses } = createClients();
const { tableName, bucketName } = storageConfig();
const seller = sellerConfig();

export const handler = stepHandler("Deliver Invoices", deliveryBatchSchema, ({ billing, invoiceNumbers }) =>
	deliverInvoicesForBatch({ ddb, s3, ses, tableName, bucketName, seller }, invoiceNumbers, (accountId, reason) =>
		recordRunFailure({ ddb, tableName }, { period: billing.period, accountId, stage: "deliver", reason }),
	),
);
