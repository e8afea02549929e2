import { verifyLedgersOf } from "../../shared/cycle/account-review.js";
import { accountBatchSchema } from "../../shared/cycle/payloads.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const storage = perStack(storageConfig);

export const handler = stepHandler("Verify Ledgers", accountBatchSchema, ({ billing, items }) =>
	verifyLedgersOf(
		{ ddb, s3, ...storage() },
		billing,
		items.map((i) => i.accountId),
	),
);
