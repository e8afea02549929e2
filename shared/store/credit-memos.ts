import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { type CreditMemo, creditMemoSchema } from "../core/model.js";
import { billingEvent } from "../events/catalog.js";
import { eventPut } from "./events.js";
import { GSI1, keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";
import type { TransactItem } from "./transact.js";

/** The memo under its number, with its event; the number's series advance goes in the same transaction. */
export function creditMemoIssued(tableName: string, memo: CreditMemo): TransactItem[] {
	const parsed = creditMemoSchema.parse(memo);
	return [
		{
			Put: {
				TableName: tableName,
				Item: { ...keys.creditMemo(parsed.number), ...keys.creditMemoListing(parsed.number), ...parsed },
				ConditionExpression: "attribute_not_exists(pk)",
			},
		},
		eventPut(tableName, billingEvent("credit_memo.issued", parsed.number, parsed, parsed.createdAt)),
	];
}

export async function getCreditMemo(deps: TableDeps, number: string): Promise<CreditMemo | undefined> {
	const out = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: keys.creditMemo(number), ConsistentRead: true }));
	return out.Item ? parseRecord(creditMemoSchema, out.Item) : undefined;
}

export async function listCreditMemos(deps: TableDeps): Promise<CreditMemo[]> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		KeyConditionExpression: "gsi1pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.creditMemoListing("").gsi1pk },
	});
	return items.map((item) => parseRecord(creditMemoSchema, item));
}
