import { runOutcomeInputSchema } from "../../shared/cycle/payloads.js";
import { recordRunSucceeded } from "../../shared/cycle/run-outcome.js";
import { createDocumentClient } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const tableName = perStack(() => getRequiredEnv("TABLE_NAME"));

export const handler = stepHandler("Record Run Outcome", runOutcomeInputSchema, async (input) => ({
	execution: input.execution,
	outcome: await recordRunSucceeded({ ddb, tableName: tableName() }, input),
}));
