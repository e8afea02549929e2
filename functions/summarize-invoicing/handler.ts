import { withBillingSchema } from "../../shared/cycle/payloads.js";
import { summarizeInvoicing } from "../../shared/cycle/run-records.js";
import { createClients } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { publishRunMetrics } from "../../shared/platform/metrics.js";

const { ddb } = createClients();
const tableName = getRequiredEnv("TABLE_NAME");

export const handler = stepHandler("Summarize Invoicing", withBillingSchema, async ({ billing }) => {
	const summary = await summarizeInvoicing({ ddb, tableName }, billing.period);
	// The run succeeds with failed accounts or unconfirmed deliveries: the metrics make them alarm.
	publishRunMetrics({ failedAccounts: summary.failedAccountCount, deliveriesOutcomeUnknown: summary.deliveriesOutcomeUnknownCount });
	return summary;
});
