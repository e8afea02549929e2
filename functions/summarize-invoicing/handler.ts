import { withBillingSchema } from "../../shared/cycle/payloads.js";
import { summarizeInvoicing } from "../../shared/cycle/run-records.js";
import { createClients } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";

const { ddb } = createClients();
const tableName = getRequiredEnv("TABLE_NAME");

export const handler = stepHandler("Summarize Invoicing", withBillingSchema, ({ billing }) =>
	summarizeInvoicing({ ddb, tableName }, billing.period),
);
