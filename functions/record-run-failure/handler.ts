import { createClients } from "../../shared/clients.js";
import { getRequiredEnv } from "../../shared/config.js";
import { logger, stepHandler } from "../../shared/lambda.js";
import { recordRunFailure } from "../../shared/run-records.js";
import { runFailureInputSchema } from "../../shared/steps.js";

const { ddb } = createClients();
const tableName = getRequiredEnv("TABLE_NAME");

function describe(failure: { Error?: string; Cause?: string } | undefined): string {
	return [failure?.Error ?? "UnknownError", failure?.Cause].filter(Boolean).join(": ").slice(0, 1000);
}

export const handler = stepHandler("Record Run Failure", runFailureInputSchema, async (input) => {
	if (input.scope === "batch") {
		const reason = `batch failed: ${describe(input.failure)}`;
		for (const { accountId } of input.items) {
			await recordRunFailure({ ddb, tableName }, { period: input.billing.period, accountId, stage: "batch", reason });
		}
		return { recorded: input.items.length };
	}
	const reason = describe(input.state.failure);
	logger.error("billing run failed", { execution: input.execution, reason });
	if (input.state.billing) {
		await recordRunFailure({ ddb, tableName }, { period: input.state.billing.period, accountId: "(run)", stage: "batch", reason });
	}
	return { recorded: 1, execution: input.execution, reason };
});
