import { withBillingSchema } from "../../shared/cycle/payloads.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { storageConfig } from "../../shared/platform/config.js";
import { logger, stepHandler } from "../../shared/platform/lambda.js";
import { publishRunMetrics } from "../../shared/platform/metrics.js";
import { perStack } from "../../shared/platform/per-stack.js";
import { reconcileReceivedPayments } from "../../shared/reporting/reconciliation.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const storage = perStack(storageConfig);

export const handler = stepHandler("Reconcile Payments", withBillingSchema, async ({ billing }) => {
	const outcome = await reconcileReceivedPayments({ ddb, s3, ...storage() }, billing.period);
	if (!outcome.invariants.invariantsHold) logger.error("payment invariants violated", { violations: outcome.invariants.violations });
	// The run goes on with broken invariants (the report lists them): the metric makes them alarm. Each
	// account's ledger is verified in Review Accounts, whose summary adds its count to the same metric.
	publishRunMetrics({ ledgerInvariantViolations: outcome.invariants.violationCount });
	return outcome;
});
