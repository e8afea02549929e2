import { verifyLedgersOf } from "../../shared/cycle/account-review.js";
import { accountBatchSchema } from "../../shared/cycle/payloads.js";
import { createClients } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";

const { ddb } = createClients();
const tableName = getRequiredEnv("TABLE_NAME");

export const handler = stepHandler("Verify Ledgers", accountBatchSchema, ({ items }) =>
	verifyLedgersOf(
		{ ddb, tableName },
		items.map((i) => i.accountId),
	),
);
