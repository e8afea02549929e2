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

/** The account's latest statement of a period before `period`: the chain's previous link. */
export async function latestStatementBefore(deps: TableDeps, accountId: string, period: string): Promise<Statement | undefined> {
	const out = await deps.ddb.send(
		new QueryCommand({
			TableName: deps.tableName,
			KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
			ExpressionAttributeValues: {
				":pk": keys.account(accountId).pk,
				":from": keys.statementPrefix,
				":to": keys.statement(accountId, period).sk,
			},
			ScanIndexForward: false,
			ConsistentRead: true,
		}),
	);
	return readStatement((out.Items ?? []).find((i) => i.sk !== keys.statement(accountId, period).sk));
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
