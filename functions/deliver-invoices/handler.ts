import { deliveryBatchSchema } from "../../shared/cycle/payloads.js";
import { deliverInvoicesForBatch, deliverStatementsForBatch } from "../../shared/delivery/email-delivery.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig, storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { recordRunFailure } from "../../shared/store/run-failures.js";

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
