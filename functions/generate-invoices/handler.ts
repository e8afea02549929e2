import { invoiceBatchSchema } from "../../shared/cycle/payloads.js";
import { issueInvoicesForBatch } from "../../shared/invoicing/invoice-batch.js";
import { issueStatementsForBatch } from "../../shared/invoicing/statements.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { documentRetention, sellerConfig, storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";
import { cycleAccountKeys, RecordsRead } from "../../shared/store/batch-reads.js";
import { recordRunFailure } from "../../shared/store/run-failures.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
// Documents are stored with the Object Lock retention configured.
const config = perStack(() => ({ ...storageConfig(), seller: sellerConfig(), documentRetention: documentRetention() }));

export const handler = stepHandler("Generate Invoices", invoiceBatchSchema, async ({ billing, items }) => {
	const deps = { ddb, s3, ...config() };
	const { tableName } = deps;
	const accountIds = items.map((i) => i.accountId);
	// The batch's accounts, period guards and statements in one read, for both steps below.
	const read = await RecordsRead.of(deps, cycleAccountKeys(accountIds, billing.period));
	const invoiced = await issueInvoicesForBatch(
		deps,
		accountIds,
		billing,
		(accountId, reason) => recordRunFailure({ ddb, tableName }, { period: billing.period, accountId, stage: "invoice", reason }),
		read,
	);
	// After the invoices, so each statement shows the invoice it will be sent with.
	const statements = await issueStatementsForBatch(
		deps,
		accountIds,
		billing.period,
		billing.asOf,
		(accountId, reason) => recordRunFailure({ ddb, tableName }, { period: billing.period, accountId, stage: "statement", reason }),
		read,
	);
	return { ...invoiced, statements };
});
