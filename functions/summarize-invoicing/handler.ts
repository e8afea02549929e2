import { mapResultsInputSchema } from "../../shared/cycle/payloads.js";
import { summarizeInvoicing } from "../../shared/cycle/run-records.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { publishRunMetrics } from "../../shared/platform/metrics.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const tableName = perStack(() => getRequiredEnv("TABLE_NAME"));

export const handler = stepHandler("Summarize Invoicing", mapResultsInputSchema, async ({ billing, results }) => {
	const summary = await summarizeInvoicing({ ddb, s3, tableName: tableName() }, billing.period, results);
	// The run succeeds with failed accounts or unconfirmed deliveries: the metrics make them alarm.
	publishRunMetrics({ failedAccounts: summary.failedAccountCount, deliveriesOutcomeUnknown: summary.deliveriesOutcomeUnknownCount });
	return summary;
});
