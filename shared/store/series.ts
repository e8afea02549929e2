import { GetCommand, type TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { keys } from "./keys.js";
import type { TableDeps } from "./records.js";

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]>[number];

export function formatDocumentNumber(series: string, sequence: number): string {
	return `${series}-${String(sequence).padStart(6, "0")}`;
}

export interface NextInSeries {
	/** The number the document gets if its transaction commits, e.g. INV-2026-000123. */
	readonly number: string;
	/**
	 * The series' advance, to write in the same transaction as the document: it fails when
	 * another finalization took the number first, so numbers stay gapless and unique.
	 */
	readonly advance: TransactItem;
}

/** Reads a gapless series (invoices, credit memos) and prepares taking its next number. */
export async function nextInSeries(deps: TableDeps, series: string): Promise<NextInSeries> {
	const counter = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: keys.invoiceSeries(series), ConsistentRead: true }));
	const last = counter.Item ? Number(counter.Item.last) : 0;
	return {
		number: formatDocumentNumber(series, last + 1),
		advance: {
			Update: {
				TableName: deps.tableName,
				Key: keys.invoiceSeries(series),
				UpdateExpression: "SET #last = :next",
				ConditionExpression: counter.Item ? "#last = :last" : "attribute_not_exists(pk)",
				ExpressionAttributeNames: { "#last": "last" },
				ExpressionAttributeValues: counter.Item ? { ":next": last + 1, ":last": last } : { ":next": last + 1 },
			},
		},
	};
}
