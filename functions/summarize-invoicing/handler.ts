import { createClients } from "../../shared/clients.js";
import { getRequiredEnv } from "../../shared/config.js";
import { stepHandler } from "../../shared/lambda.js";
import { summarizeInvoicing } from "../../shared/run-records.js";
import { withBillingSchema } from "../../shared/steps.js";

const { ddb } = createClients();
const tableName = getRequiredEnv("TABLE_NAME");

export const handler = stepHandler("Summarize Invoicing", withBillingSchema, ({ billing }) =>
	summarizeInvoicing({ ddb, tableName }, billing.period),
);
