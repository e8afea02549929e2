import { verifyLedgersOf } from "../../shared/cycle/account-review.js";
import { accountBatchSchema } from "../../shared/cycle/payloads.js";
import { createClients } from "../../shared/platform/clients.js";
import { storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";

const { ddb, s3 } = createClients();
const { tableName, bucketName } = storageConfig();

export const handler = stepHandler("Verify Ledgers", accountBatchSchema, ({ billing, items }) =>
	verifyLedgersOf(
		{ ddb, s3, tableName, bucketName },
		billing,
		items.map((i) => i.accountId),
	),
);
