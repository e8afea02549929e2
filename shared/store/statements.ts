import { GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { LedgerEntry } from "../core/model.js";
import { type Statement, statementSchema } from "../core/statement.js";
import { keys } from "./keys.js";
import { ledgerEntryOf, type TableDeps } from "./records.js";
import { isCancelled, isConditionFailure, type TransactItem, transactWrite } from "./transact.js";

/** Statements are stored under their account, one per period, the record nested as `statement`. */
export function readStatement(item: Record<string, unknown> | undefined): Statement | undefined {
	return item ? statementSchema.parse(item.statement) : undefined;
}

export async function getStatement(deps: TableDeps, accountId: string, period: string): Promise<Statement | undefined> {
	const out = await deps.ddb.send(
		new GetCommand({ TableName: deps.tableName, Key: keys.statement(accountId, period), ConsistentRead: true }),
	);
	return readStatement(out.Item);
}

function statementPut(tableName: string, statement: Statement) {
	return {
		TableName: tableName,
		Item: { ...keys.statement(statement.accountId, statement.period), statement: statementSchema.parse(statement) },
		ConditionExpression: "attribute_not_exists(pk)",
	};
}

/** Items a page of `statementChainLink` reads: the statements and the latest entries are usually one page. */
const CHAIN_PAGE_ITEMS = 100;

/**
 * The account's latest statement (the one cut last: by cut-off, not by period) and the
 * ledger entries recorded after its cut-off up to `upTo` (`listLedgerEntries`), in one
 * Query instead of two: the key range from the ledger to the statements read newest first
 * (every statement, then the entries newest first), until the entries reach the previous
 * cut-off.
 */
export async function statementChainLink(
	deps: TableDeps,
	accountId: string,
	upTo: string,
): Promise<{ readonly previous: Statement | undefined; readonly entries: LedgerEntry[] }> {
	const statements: Statement[] = [];
	const newestFirst: LedgerEntry[] = [];
	const latest = () => statements.sort((a, b) => a.cutoff.localeCompare(b.cutoff)).at(-1);
	let previous: Statement | undefined;
	let ledgerReached = false;
	// "~" sorts after an entry id's characters: the entries of an instant lie between `LEDGER#<instant>` and `LEDGER#<instant>~`.
	const last = `${keys.ledgerPrefix}${upTo}~`;
	let ExclusiveStartKey: Record<string, unknown> | undefined;
	do {
		const page = await deps.ddb.send(
			new QueryCommand({
				TableName: deps.tableName,
				KeyConditionExpression: "pk = :pk AND sk BETWEEN :ledger AND :statements",
				ExpressionAttributeValues: {
					":pk": keys.account(accountId).pk,
					":ledger": keys.ledgerPrefix,
					":statements": `${keys.statementPrefix}\uffff`,
				},
				ScanIndexForward: false,
				ConsistentRead: true,
				Limit: CHAIN_PAGE_ITEMS,
				ExclusiveStartKey,
			}),
		);
		ExclusiveStartKey = page.LastEvaluatedKey;
		for (const item of (page.Items ?? []) as Record<string, unknown>[]) {
			const sk = String(item.sk);
			if (sk.startsWith(keys.statementPrefix)) statements.push(readStatement(item) as Statement);
			if (!sk.startsWith(keys.ledgerPrefix)) continue;
			// Every statement sorts after every entry, so the chain's previous link is known by the first entry.
			if (!ledgerReached) previous = latest();
			ledgerReached = true;
			if (previous && sk < `${keys.ledgerPrefix}${previous.cutoff}~`) {
				ExclusiveStartKey = undefined;
				break;
			}
			if (sk <= last) newestFirst.push(ledgerEntryOf(item));
		}
	} while (ExclusiveStartKey);
	return { previous: ledgerReached ? previous : latest(), entries: newestFirst.reverse() };
}

/** Stores the statement once; false when one was stored for the account and period before. */
export async function putStatement(deps: TableDeps, statement: Statement): Promise<boolean> {
	try {
		await deps.ddb.send(new PutCommand(statementPut(deps.tableName, statement)));
		return true;
	} catch (err) {
		if (isConditionFailure(err)) return false;
		throw err;
	}
}

/** A transaction takes 100 items and 4 MB: statements go in groups well under both (one is at most 400 KB). */
const MAX_STATEMENTS_PER_WRITE = 100;
const MAX_BYTES_PER_WRITE = 3_000_000;

function inWriteGroups(statements: readonly Statement[]): Statement[][] {
	const groups: Statement[][] = [];
	let group: Statement[] = [];
	let bytes = 0;
	for (const statement of statements) {
		const size = JSON.stringify(statement).length;
		if (group.length === MAX_STATEMENTS_PER_WRITE || (group.length > 0 && bytes + size > MAX_BYTES_PER_WRITE)) {
			groups.push(group);
			group = [];
			bytes = 0;
		}
		group.push(statement);
		bytes += size;
	}
	if (group.length > 0) groups.push(group);
	return groups;
}

/**
 * Stores each statement once, a group of them in one transaction; one stored for the account
 * and period before stands. A group that a condition cancels is written one statement at a
 * time instead.
 */
export async function putStatements(deps: TableDeps, statements: readonly Statement[]): Promise<void> {
	for (const group of inWriteGroups(statements)) {
		if (group.length > 1) {
			try {
				await transactWrite(
					deps,
					group.map((statement): TransactItem => ({ Put: statementPut(deps.tableName, statement) })),
				);
				continue;
			} catch (err) {
				if (!isCancelled(err)) throw err;
			}
		}
		for (const statement of group) await putStatement(deps, statement);
	}
}
