import { createClients } from "../../shared/clients.js";
import { storageConfig } from "../../shared/config.js";
import { logger, stepHandler } from "../../shared/lambda.js";
import { reconcilePayments } from "../../shared/reconciliation.js";
import { withBillingSchema } from "../../shared/steps.js";

const { ddb, s3 } = createClients();
const { tableName, bucketName } = storageConfig();

export const handler = stepHandler("Reconcile Payments", withBillingSchema, async ({ billing }) => {
	const outcome = await reconcilePayments({ ddb, s3, tableName, bucketName }, billing.period);
	if (!outcome.invariants.invariantsHold) logger.error("ledger invariants violated", { violations: outcome.invariants.violations });
	return outcome;
});
