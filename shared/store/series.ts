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

/** A series as read: the last number taken (0 before the first), and whether it is stored yet. */
export interface SeriesAsRead {
	readonly series: string;
	readonly last: number;
	readonly stored: boolean;
}

export async function readSeries(deps: TableDeps, series: string): Promise<SeriesAsRead> {
	const counter = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: keys.invoiceSeries(series), ConsistentRead: true }));
	return { series, last: counter.Item ? Number(counter.Item.last) : 0, stored: Boolean(counter.Item) };
}

/**
 * Takes the `count` numbers after the series as read, for documents written in the same
 * transaction: it fails when another finalization moved the series first.
 */
export function seriesAdvance(tableName: string, read: SeriesAsRead, count: number): TransactItem {
	return {
		Update: {
			TableName: tableName,
			Key: keys.invoiceSeries(read.series),
			UpdateExpression: "SET #last = :next",
			ConditionExpression: read.stored ? "#last = :last" : "attribute_not_exists(pk)",
			ExpressionAttributeNames: { "#last": "last" },
			ExpressionAttributeValues: read.stored ? { ":next": read.last + count, ":last": read.last } : { ":next": read.last + count },
		},
	};
}

/** Reads a gapless series (invoices, credit memos) and prepares taking its next number. */
export async function nextInSeries(deps: TableDeps, series: string): Promise<NextInSeries> {
	const read = await readSeries(deps, series);
	return { number: formatDocumentNumber(series, read.last + 1), advance: seriesAdvance(deps.tableName, read, 1) };
}
