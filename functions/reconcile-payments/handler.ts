import { createClients } from "../../shared/clients.js";
import { getRequiredEnv } from "../../shared/config.js";
import { logger, stepHandler } from "../../shared/lambda.js";
import { verifyLedgerInvariants } from "../../shared/ledger.js";
import { reapplyUnappliedPayments } from "../../shared/payments.js";
import { withBillingSchema } from "../../shared/steps.js";

const { ddb } = createClients();
const tableName = getRequiredEnv("TABLE_NAME");

export const handler = stepHandler("Reconcile Payments", withBillingSchema, async () => {
	const reapplied = await reapplyUnappliedPayments({ ddb, tableName });
	const invariants = await verifyLedgerInvariants({ ddb, tableName });
	if (!invariants.invariantsHold) logger.error("ledger invariants violated", { violations: invariants.violations });
	return { reapplied, invariants };
});
