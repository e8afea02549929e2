import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { type RunFailure, runFailureSchema } from "../core/model.js";
import { keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";

/** Failures of single accounts are kept per period so the run's output can name them. */
export async function recordRunFailure(deps: TableDeps, failure: Omit<RunFailure, "at"> & { at?: string }): Promise<void> {
	const parsed = runFailureSchema.parse({ ...failure, at: failure.at ?? new Date().toISOString() });
	await deps.ddb.send(
		new PutCommand({
			TableName: deps.tableName,
			Item: { ...keys.runFailure(parsed.period, parsed.accountId, parsed.stage), ...parsed },
		}),
	);
}

export async function listRunFailures(deps: TableDeps, period: string): Promise<RunFailure[]> {
	const items = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
		ExpressionAttributeValues: { ":pk": keys.run(period), ":prefix": keys.runFailurePrefix },
		ConsistentRead: true,
	});
	return items.map((item) => parseRecord(runFailureSchema, item));
}
