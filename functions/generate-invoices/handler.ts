import { invoiceBatchSchema } from "../../shared/cycle/payloads.js";
import { issueInvoicesForBatch } from "../../shared/invoicing/invoices.js";
import { issueStatementsForBatch } from "../../shared/invoicing/statements.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig, storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { recordRunFailure } from "../../shared/store/run-failures.js";

const { ddb, s3 } = createClients();
const { tableName, bucketName } = storageConfig();
const seller = sellerConfig();

export const handler = stepHandler("Generate Invoices", invoiceBatchSchema, async ({ billing, items }) => {
	const deps = { ddb, s3, tableName, bucketName, seller };
	const accountIds = items.map((i) => i.accountId);
	const invoiced = await issueInvoicesForBatch(deps, accountIds, billing, (accountId, reason) =>
		recordRunFailure({ ddb, tableName }, { period: billing.period, accountId, stage: "invoice", reason }),
	);
	// After the invoices, so each statement shows the invoice it will be sent with.
	const statements = await issueStatementsForBatch(deps, accountIds, billing.period, billing.asOf, (accountId, reason) =>
		recordRunFailure({ ddb, tableName }, { period: billing.period, accountId, stage: "statement", reason }),
	);
	return { ...invoiced, statements };
});
