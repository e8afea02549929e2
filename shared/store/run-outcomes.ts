import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import { billingEvent, billingRunViewSchema } from "../events/catalog.js";
import { eventPut } from "./events.js";
import { keys } from "./keys.js";
import type { TableDeps } from "./records.js";
import { conditionFailedAt } from "./transact.js";

/**
 * How a billing cycle's execution ended, written by its last states (Record Run Outcome,
 * Record Run Failure) with its `billing_run.*` event in one transaction, once per execution:
 * the states are retried, and a repeat finds the outcome and writes nothing.
 */
export type BillingRun = z.infer<typeof billingRunViewSchema>;

export type RunOutcomeResult = "recorded" | "recorded_before";

export async function recordRunOutcome(deps: TableDeps, run: BillingRun): Promise<RunOutcomeResult> {
	const parsed = billingRunViewSchema.parse(run);
	const at = parsed.stopDate ?? new Date().toISOString();
	const type = parsed.status === "SUCCEEDED" ? "billing_run.succeeded" : "billing_run.failed";
	try {
		await deps.ddb.send(
			new TransactWriteCommand({
				TransactItems: [
					{
						Put: {
							TableName: deps.tableName,
							Item: { ...keys.runOutcome(parsed.period, parsed.name), ...parsed },
							ConditionExpression: "attribute_not_exists(pk)",
						},
					},
					eventPut(deps.tableName, billingEvent(type, parsed.period, parsed, at)),
				],
			}),
		);
		return "recorded";
	} catch (err) {
		if (conditionFailedAt(err, 0)) return "recorded_before";
		throw err;
	}
}
