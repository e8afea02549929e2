import { runFailureInputSchema } from "../../shared/cycle/payloads.js";
import { recordRunFailed } from "../../shared/cycle/run-outcome.js";
import { createDocumentClient } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { logger, stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";
import { recordRunFailure } from "../../shared/store/run-failures.js";

const ddb = createDocumentClient();
const tableName = perStack(() => getRequiredEnv("TABLE_NAME"));

/** A Lambda error's Cause is the runtime's JSON ({errorType, errorMessage, trace}); people need the message. */
function describe(failure: { Error?: string; Cause?: string } | undefined): string {
	let cause = failure?.Cause;
	try {
		const parsed = JSON.parse(cause ?? "") as { errorMessage?: unknown };
		if (typeof parsed.errorMessage === "string") cause = parsed.errorMessage;
	} catch {
		// Not JSON: a States.* error's cause is plain text already.
	}
	return [failure?.Error ?? "UnknownError", cause].filter(Boolean).join(": ").slice(0, 1000);
}

export const handler = stepHandler("Record Run Failure", runFailureInputSchema, async (input) => {
	const deps = { ddb, tableName: tableName() };
	if (input.scope === "batch") {
		const reason = `batch failed: ${describe(input.failure)}`;
		for (const { accountId } of input.items) {
			await recordRunFailure(deps, { period: input.billing.period, accountId, stage: "batch", reason });
		}
		return { recorded: input.items.length };
	}
	const reason = describe(input.state.failure);
	logger.error("billing run failed", { execution: input.execution, reason });
	if (input.state.billing) {
		await recordRunFailure(deps, { period: input.state.billing.period, accountId: "(run)", stage: "run", reason });
	}
	const outcome = await recordRunFailed(deps, input, reason);
	return { recorded: 1, execution: input.execution, reason, outcome };
});
