import { createClients } from "../../shared/clients.js";
import { sellerConfig, storageConfig } from "../../shared/config.js";
import { issueInvoicesForBatch } from "../../shared/invoices.js";
import { stepHandler } from "../../shared/lambda.js";
import { recordRunFailure } from "../../shared/run-records.js";
import { issueStatementsForBatch } from "../../shared/statements.js";
import { invoiceBatchSchema } from "../../shared/steps.js";

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
