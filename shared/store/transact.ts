import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { TransientError } from "../core/errors.js";
import type { Rebooked } from "../core/period.js";
import { keys } from "./keys.js";
import type { TableDeps } from "./records.js";

/** One item of a TransactWriteItems call: what every store function returns, so callers compose one transaction. */
export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]>[number];

/** The table, and who hears where a change dated into a closed period was booked instead (the CLI says so). */
export interface WriteDeps extends TableDeps {
	readonly onRebooked?: (rebooked: Rebooked) => void;
}

/** The last period the books are closed through (YYYY-MM), if any. */
export async function closedThrough(deps: TableDeps): Promise<string | undefined> {
	const out = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: keys.booksLock, ConsistentRead: true }));
	return out?.Item?.closedThrough as string | undefined;
}

/** The first day after a closed period: where anything dated into it goes. */
function firstOpenDay(closed: string): string {
	const [year, month] = closed.split("-").map(Number) as [number, number];
	return new Date(Date.UTC(year, month, 1)).toISOString().slice(0, 10);
}

/** The lock's check for ledger entries dated no earlier than `period`: every period they fall in is still open. */
function openPeriodCheck(tableName: string, period: string): TransactItem {
	return {
		ConditionCheck: {
			TableName: tableName,
			Key: keys.booksLock,
			ConditionExpression: "attribute_not_exists(closedThrough) OR closedThrough < :period",
			ExpressionAttributeValues: { ":period": period },
		},
	};
}

const isPutOf = (prefix: string) => (item: TransactItem) => String(item.Put?.Item?.sk ?? "").startsWith(prefix);
const isLedgerEntry = isPutOf(keys.ledgerPrefix);
const isAuditEntry = isPutOf(keys.auditPrefix);
const effectiveDateOf = (item: TransactItem) => String((item.Put?.Item as { effectiveDate?: string } | undefined)?.effectiveDate ?? "");
const withFields = (item: TransactItem, fields: Record<string, string>) =>
	({ ...item, Put: { ...item.Put, Item: { ...item.Put?.Item, ...fields } } }) as TransactItem;

/** DynamoDB's limit on the items of one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * Groups of items that must commit together (a change and its event), packed in order into
 * transactions of at most MAX_TRANSACTION_ITEMS items; a group never spans two.
 */
export function transactionsOf<G>(groups: readonly G[], sizeOf: (group: G) => number): G[][] {
	const transactions: G[][] = [];
	let current: G[] = [];
	let size = 0;
	for (const group of groups) {
		const n = sizeOf(group);
		if (n > MAX_TRANSACTION_ITEMS) throw new Error(`${n} items that must commit together are more than one transaction takes`);
		if (size + n > MAX_TRANSACTION_ITEMS) {
			transactions.push(current);
			current = [];
			size = 0;
		}
		current.push(group);
		size += n;
	}
	if (current.length > 0) transactions.push(current);
	return transactions;
}

/** The items `transactWrite` sends for these: with the books' lock check when any of them is a ledger entry. */
export function transactionSize(items: readonly TransactItem[]): number {
	return items.length + (items.some(isLedgerEntry) ? 1 : 0);
}

/**
 * Writes the items all or nothing. Ledger entries never land in a closed period: the
 * transaction checks the books' lock (no read first, so a payment still commits in one
 * call); when an entry is dated into a closed period it is dated into the first open one
 * instead, `datedFrom` keeping the day it happened, and written with the lock as read. So
 * the books, reports and statements of a closed period never change. The audit entries
 * of such a change say both days (`requestedOn`, `bookedOn`), and `onRebooked` hears them.
 */
export async function transactWrite(deps: WriteDeps, items: readonly TransactItem[]): Promise<void> {
	const entries = items.filter(isLedgerEntry);
	if (entries.length === 0) {
		await deps.ddb.send(new TransactWriteCommand({ TransactItems: [...items] }));
		return;
	}
	const earliestDay = entries.map(effectiveDateOf).sort()[0] ?? "";
	try {
		await deps.ddb.send(new TransactWriteCommand({ TransactItems: [...items, openPeriodCheck(deps.tableName, earliestDay.slice(0, 7))] }));
		return;
	} catch (err) {
		if (!conditionFailedAt(err, items.length)) throw err;
	}
	const closed = await closedThrough(deps);
	if (!closed) throw new TransientError("the books' lock changed during a write; try again");
	const openFrom = firstOpenDay(closed);
	// The day the change was dated: its entries' earliest (one change's entries share a day).
	const requestedOn = earliestDay < openFrom ? earliestDay : undefined;
	const dated = items.map((item) => {
		if (requestedOn && isAuditEntry(item)) return withFields(item, { requestedOn, bookedOn: openFrom });
		const day = effectiveDateOf(item);
		if (!isLedgerEntry(item) || day >= openFrom) return item;
		return withFields(item, { effectiveDate: openFrom, datedFrom: day });
	});
	await deps.ddb.send(new TransactWriteCommand({ TransactItems: [...dated, openPeriodCheck(deps.tableName, openFrom.slice(0, 7))] }));
	if (requestedOn) deps.onRebooked?.({ requestedOn, bookedOn: openFrom });
}

/** True when DynamoDB cancelled the transaction (a condition failed, or a conflicting write was in flight). */
export function isCancelled(err: unknown): err is TransactionCanceledException {
	return err instanceof TransactionCanceledException || (err as { name?: string } | undefined)?.name === "TransactionCanceledException";
}

/** Whether the item at `index` of a cancelled transaction is the one whose condition failed. */
export function conditionFailedAt(err: unknown, index: number): boolean {
	if (!isCancelled(err)) return false;
	const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
	return reasons[index]?.Code === "ConditionalCheckFailed";
}

/** A single conditional Put, Update or Delete whose condition failed. */
export function isConditionFailure(err: unknown): boolean {
	return (err as { name?: string } | undefined)?.name === "ConditionalCheckFailedException";
}

/** What an attempt asks of the retry loop: try again after a jittered pause, or at once (it learnt something, nothing raced). */
export const RETRY = Symbol("retry after a jittered pause");
export const RETRY_NOW = Symbol("retry at once");
type Retry = typeof RETRY | typeof RETRY_NOW;

/** Exponential backoff with full jitter, so concurrent writers that collided spread out. */
export async function jitteredPause(attempt: number, baseMs = 10, capMs = 1000): Promise<void> {
	await new Promise((r) => setTimeout(r, Math.random() * Math.min(capMs, baseMs * 2 ** attempt)));
}

/**
 * The read-decide-write loop of every optimistic change: `attempt` reads, decides and
 * writes, and answers RETRY when what it read changed under it. After `maxAttempts` the
 * change fails as transient (the state machine or the caller retries later).
 */
export async function withOptimisticRetry<T>(what: string, attempt: (n: number) => Promise<T | Retry>, maxAttempts = 10): Promise<T> {
	for (let n = 1; n <= maxAttempts; n++) {
		const outcome = await attempt(n);
		if (outcome === RETRY) await jitteredPause(n);
		else if (outcome !== RETRY_NOW) return outcome;
	}
	throw new TransientError(`${what}: it kept changing over ${maxAttempts} attempts`);
}
