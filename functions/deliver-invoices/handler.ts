import { createClients } from "../../shared/clients.js";
import { sellerConfig, storageConfig } from "../../shared/config.js";
import { deliverInvoicesForBatch, deliverStatementsForBatch } from "../../shared/delivery.js";
import { stepHandler } from "../../shared/lambda.js";
import { recordRunFailure } from "../../shared/run-records.js";
import { deliveryBatchSchema } from "../../shared/steps.js";

const { ddb, s3, ses } = createClients();
const { tableName, bucketName } = storageConfig();
const seller = sellerConfig();

export const handler = stepHandler("Deliver Invoices", deliveryBatchSchema, async ({ billing, invoiceNumbers, items }) => {
	const deps = { ddb, s3, ses, tableName, bucketName, seller };
	const recordFailure = (accountId: string, reason: string) =>
		recordRunFailure({ ddb, tableName }, { period: billing.period, accountId, stage: "deliver", reason });
	const invoices = await deliverInvoicesForBatch(deps, invoiceNumbers, recordFailure);
	// Invoices first: their emails carry the statement, so only the remaining statements go out on their own.
	const statements = await deliverStatementsForBatch(
		deps,
		items.map((i) => i.accountId),
		billing.period,
		recordFailure,
	);
	return { ...invoices, statements };
});
