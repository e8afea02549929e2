import { GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { type Statement, statementSchema } from "../core/statement.js";
import { keys } from "./keys.js";
import type { TableDeps } from "./records.js";
import { isConditionFailure } from "./transact.js";

/** Statements are stored under their account, one per period, the record nested as `statement`. */
function readStatement(item: Record<string, unknown> | undefined): Statement | undefined {
	return item ? statementSchema.parse(item.statement) : undefined;
}

export async function getStatement(deps: TableDeps, accountId: string, period: string): Promise<Statement | undefined> {
	const out = await deps.ddb.send(
		new GetCommand({ TableName: deps.tableName, Key: keys.statement(accountId, period), ConsistentRead: true }),
	);
	return readStatement(out.Item);
}

/**
 * The account's statement cut last: the chain's previous link. By cut-off, not by period, so
 * a statement issued late for an earlier period still follows the one before it in time.
 */
export async function latestStatement(deps: TableDeps, accountId: string): Promise<Statement | undefined> {
	const out = await deps.ddb.send(
		new QueryCommand({
			TableName: deps.tableName,
			KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
			ExpressionAttributeValues: { ":pk": keys.account(accountId).pk, ":prefix": keys.statementPrefix },
			ConsistentRead: true,
		}),
	);
	const statements = (out.Items ?? []).map((item) => readStatement(item) as Statement);
	return statements.sort((a, b) => a.cutoff.localeCompare(b.cutoff)).at(-1);
}

/** Stores the statement once; false when one was stored for the account and period before. */
export async function putStatement(deps: TableDeps, statement: Statement): Promise<boolean> {
	try {
		await deps.ddb.send(
			new PutCommand({
				TableName: deps.tableName,
				Item: { ...keys.statement(statement.accountId, statement.period), statement: statementSchema.parse(statement) },
				ConditionExpression: "attribute_not_exists(pk)",
			}),
		);
		return true;
	} catch (err) {
		if (isConditionFailure(err)) return false;
		throw err;
	}
}
