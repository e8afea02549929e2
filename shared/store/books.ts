import { type PeriodClose, periodCloseSchema } from "../core/period-close.js";
import { billingEvent } from "../events/catalog.js";
import { eventPut } from "./events.js";
import { keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";
import type { TransactItem } from "./transact.js";

/** The lock moved forward to `close.period` from what was read (none, or an earlier period), with its record and its books.closed event. */
export function periodClosed(tableName: string, read: string | undefined, close: PeriodClose): TransactItem[] {
	const parsed = periodCloseSchema.parse(close);
	return [
		{
			Update: {
				TableName: tableName,
				Key: keys.booksLock,
				UpdateExpression: "SET closedThrough = :period",
				...(read
					? { ConditionExpression: "closedThrough = :read", ExpressionAttributeValues: { ":period": parsed.period, ":read": read } }
					: { ConditionExpression: "attribute_not_exists(closedThrough)", ExpressionAttributeValues: { ":period": parsed.period } }),
			},
		},
		{
			Put: {
				TableName: tableName,
				Item: { ...keys.periodClose(parsed.period), ...parsed },
				ConditionExpression: "attribute_not_exists(pk)",
			},
		},
		eventPut(tableName, billingEvent("books.closed", parsed.period, parsed, parsed.closedAt)),
	];
}

export async function listPeriodCloses(deps: TableDeps): Promise<PeriodClose[]> {
	const items = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
		ExpressionAttributeValues: { ":pk": keys.booksLock.pk, ":prefix": keys.periodClosePrefix },
		ConsistentRead: true,
	});
	return items.map((item) => parseRecord(periodCloseSchema, item));
}
