import { QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { ValidationError } from "../core/errors.js";
import type { TableDeps } from "./records.js";

/** One page of a listing and where the next one starts; no cursor when this was the last. */
export interface Page<T> {
	readonly items: readonly T[];
	readonly nextCursor?: string;
}

/** A cursor is the page's last key, opaque to the caller (base64url JSON), so a list pages without counting. */
function encodeCursor(key: Record<string, unknown>): string {
	return Buffer.from(JSON.stringify(key)).toString("base64url");
}

function decodeCursor(cursor: string): Record<string, unknown> {
	try {
		const key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
		if (key && typeof key === "object" && !Array.isArray(key)) return key as Record<string, unknown>;
	} catch {
		// Falls through to the refusal below.
	}
	throw new ValidationError("cursor: not a cursor this list gave out");
}

/**
 * Up to `limit` items of a query from `cursor` on. With `keep`, items are filtered here and
 * pages are read on until `limit` items are kept or `maxReads` queries were made, so a
 * search never reads the whole listing in one request; the cursor then resumes after the
 * last item read.
 */
export async function queryPage(
	deps: TableDeps,
	input: Omit<QueryCommandInput, "TableName" | "ExclusiveStartKey" | "Limit">,
	options: {
		readonly limit: number;
		readonly cursor?: string;
		readonly keep?: (item: Record<string, unknown>) => boolean;
		readonly maxReads?: number;
	},
): Promise<Page<Record<string, unknown>>> {
	const items: Record<string, unknown>[] = [];
	let start = options.cursor ? decodeCursor(options.cursor) : undefined;
	const keyNames = [...new Set(["pk", "sk", ...keyNamesOf(input.IndexName)])];
	for (let reads = 0; reads < (options.maxReads ?? 10); reads++) {
		const out = await deps.ddb.send(
			new QueryCommand({
				...input,
				TableName: deps.tableName,
				Limit: options.keep ? Math.max(options.limit * 4, 100) : options.limit - items.length,
				...(start ? { ExclusiveStartKey: start } : {}),
			}),
		);
		for (const item of (out.Items ?? []) as Record<string, unknown>[]) {
			if (options.keep && !options.keep(item)) continue;
			items.push(item);
			if (items.length === options.limit) {
				const last = Object.fromEntries(keyNames.map((k) => [k, item[k]]));
				return { items, nextCursor: encodeCursor(last) };
			}
		}
		start = out.LastEvaluatedKey as Record<string, unknown> | undefined;
		if (!start) return { items };
	}
	return { items, ...(start ? { nextCursor: encodeCursor(start) } : {}) };
}

function keyNamesOf(indexName: string | undefined): string[] {
	return indexName ? [`${indexName}pk`, `${indexName}sk`] : [];
}
