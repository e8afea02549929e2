import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { z } from "zod";
import { CorruptRecordError, TransientError } from "../core/errors.js";
import {
	type Account,
	accountSchema,
	type Invoice,
	invoiceSchema,
	type LedgerEntry,
	ledgerEntrySchema,
	type Payment,
	paymentSchema,
} from "../core/model.js";
import { GSI1, GSI2, keys, withoutKeys } from "./keys.js";

/** Table access shared by the domain modules; every function takes the client and table explicitly. */
export interface TableDeps {
	readonly ddb: DynamoDBDocumentClient;
	readonly tableName: string;
}

export async function queryAll(deps: TableDeps, input: Omit<QueryCommandInput, "TableName">): Promise<Record<string, unknown>[]> {
	const items: Record<string, unknown>[] = [];
	let ExclusiveStartKey: Record<string, unknown> | undefined;
	do {
		const page = await deps.ddb.send(new QueryCommand({ ...input, TableName: deps.tableName, ExclusiveStartKey }));
		items.push(...((page.Items ?? []) as Record<string, unknown>[]));
		ExclusiveStartKey = page.LastEvaluatedKey;
	} while (ExclusiveStartKey);
	return items;
}

/** Reads a stored record through its schema; a record that fails says which one and why. */
export function parseRecord<S extends z.ZodType>(schema: S, item: Record<string, unknown>): z.infer<S> {
	const result = schema.safeParse(withoutKeys(item));
	if (result.success) return result.data;
	const details = result.error.issues.map((i) => `${i.path.join(".") || "(record)"}: ${i.message}`).join("; ");
	throw new CorruptRecordError(`stored record ${String(item.pk)} / ${String(item.sk)} is unreadable: ${details}`);
}

async function getItem(deps: TableDeps, key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
	const out = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }));
	return out.Item as Record<string, unknown> | undefined;
}

export async function getAccount(deps: TableDeps, accountId: string): Promise<Account | undefined> {
	const item = await getItem(deps, keys.account(accountId));
	return item ? parseRecord(accountSchema, item) : undefined;
}

export async function listAccounts(deps: TableDeps): Promise<Account[]> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		KeyConditionExpression: "gsi1pk = :pk",
		ExpressionAttributeValues: { ":pk": "ACCOUNTS" },
	});
	return items.map((item) => parseRecord(accountSchema, item));
}

/** The periods the account's invoice was issued for (one-off invoices leave a period open). */
export async function listInvoicedPeriods(deps: TableDeps, accountId: string): Promise<Set<string>> {
	const guards = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
		ExpressionAttributeValues: { ":pk": keys.account(accountId).pk, ":prefix": keys.invoiceForPeriodPrefix },
		ProjectionExpression: "sk",
		ConsistentRead: true,
	});
	const periods = guards.map((g) => String(g.sk).slice(keys.invoiceForPeriodPrefix.length)).filter((p) => /^\d{4}-\d{2}$/.test(p));
	return new Set(periods);
}

export async function getAccounts(deps: TableDeps, accountIds: Iterable<string>): Promise<Map<string, Account>> {
	const items = await getItems(deps, [...new Set(accountIds)].map(keys.account));
	const accounts = items.map((item) => parseRecord(accountSchema, item));
	return new Map(accounts.map((a) => [a.accountId, a]));
}

export async function getInvoice(deps: TableDeps, number: string): Promise<Invoice | undefined> {
	const item = await getItem(deps, keys.invoice(number));
	return item ? parseRecord(invoiceSchema, item) : undefined;
}

export async function getInvoiceNumberForPeriod(deps: TableDeps, accountId: string, period: string): Promise<string | undefined> {
	const item = await getItem(deps, keys.invoiceForPeriod(accountId, period));
	return item ? String(item.invoiceNumber) : undefined;
}

const BATCH_GET_ATTEMPTS = 8;

/** Consistent reads of up to 100 items per request; keys DynamoDB leaves unprocessed are asked for again, a few times. */
export async function getItems(deps: TableDeps, keyList: readonly { pk: string; sk: string }[]): Promise<Record<string, unknown>[]> {
	const items: Record<string, unknown>[] = [];
	for (let start = 0; start < keyList.length; start += 100) {
		let pending: Record<string, unknown>[] = keyList.slice(start, start + 100);
		for (let attempt = 0; pending.length > 0; attempt++) {
			if (attempt === BATCH_GET_ATTEMPTS)
				throw new TransientError(`${pending.length} items stayed unprocessed after ${attempt} BatchGetItem calls`);
			if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
			const out = await deps.ddb.send(new BatchGetCommand({ RequestItems: { [deps.tableName]: { Keys: pending, ConsistentRead: true } } }));
			items.push(...((out.Responses?.[deps.tableName] ?? []) as Record<string, unknown>[]));
			pending = (out.UnprocessedKeys?.[deps.tableName]?.Keys ?? []) as Record<string, unknown>[];
		}
	}
	return items;
}

/** The numbers of every invoice the account was issued, oldest period first, from its period guards (one Query). */
export async function listInvoiceNumbersOfAccount(deps: TableDeps, accountId: string): Promise<string[]> {
	const guards = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
		ExpressionAttributeValues: { ":pk": keys.account(accountId).pk, ":prefix": keys.invoiceForPeriodPrefix },
		ConsistentRead: true,
	});
	return guards.map((g) => String(g.invoiceNumber));
}

/** Every invoice the account was issued, oldest period first: one Query for the period guards, one BatchGet for the invoices. */
export async function listInvoicesOfAccount(deps: TableDeps, accountId: string): Promise<Invoice[]> {
	const numbers = await listInvoiceNumbersOfAccount(deps, accountId);
	const invoices = (await getItems(deps, numbers.map(keys.invoice))).map((item) => parseRecord(invoiceSchema, item));
	const byNumber = new Map(invoices.map((i) => [i.number, i]));
	return numbers.map((n) => byNumber.get(n)).filter((i): i is Invoice => i !== undefined);
}

export async function listInvoicesOfPeriod(deps: TableDeps, period: string): Promise<Invoice[]> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		KeyConditionExpression: "gsi1pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.invoiceListing(period, "").gsi1pk },
	});
	return items.map((item) => parseRecord(invoiceSchema, item));
}

/** Open invoices (amount due > 0) with a due date on or before `dueOnOrBefore`, oldest first. */
export async function listOpenInvoicesDueBy(deps: TableDeps, dueOnOrBefore: string): Promise<Invoice[]> {
	const items = await queryAll(deps, {
		IndexName: GSI2,
		KeyConditionExpression: "gsi2pk = :pk AND gsi2sk <= :upTo",
		ExpressionAttributeValues: { ":pk": "OPEN_INVOICES", ":upTo": `${dueOnOrBefore}#\uffff` },
	});
	return items.map((item) => parseRecord(invoiceSchema, item));
}

export async function listPayments(deps: TableDeps): Promise<Payment[]> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		KeyConditionExpression: "gsi1pk = :pk",
		ExpressionAttributeValues: { ":pk": "PAYMENTS" },
	});
	return items.map((item) => parseRecord(paymentSchema, item));
}

/** Payments received from `from` to `to` (YYYY-MM-DD, both days included), oldest first: one range of the payments' index. */
export async function listPaymentsReceived(deps: TableDeps, from: string, to: string): Promise<Payment[]> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		// The index sorts payments by received time; "~" sorts after every time of the last day.
		KeyConditionExpression: "gsi1pk = :pk AND gsi1sk BETWEEN :from AND :to",
		ExpressionAttributeValues: { ":pk": "PAYMENTS", ":from": from, ":to": `${to}~` },
	});
	return items.map((item) => parseRecord(paymentSchema, item));
}

export async function listUnappliedPayments(deps: TableDeps): Promise<Payment[]> {
	const items = await queryAll(deps, {
		IndexName: GSI2,
		KeyConditionExpression: "gsi2pk = :pk",
		ExpressionAttributeValues: { ":pk": "UNAPPLIED_PAYMENTS" },
	});
	return items.map((item) => parseRecord(paymentSchema, item));
}

/**
 * The account's ledger in the order it was recorded; an entry's id is the last part of its
 * sort key. With `recorded`, only the entries recorded after `after` (when given) and up to
 * `upTo`, inclusive: a statement's activity.
 */
export async function listLedgerEntries(
	deps: TableDeps,
	accountId: string,
	recorded?: { readonly after?: string; readonly upTo: string },
): Promise<LedgerEntry[]> {
	const pk = keys.account(accountId).pk;
	// "~" sorts after the entry id's characters: the range ends after every entry stamped `upTo`.
	const items = await queryAll(
		deps,
		recorded
			? {
					KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
					ExpressionAttributeValues: {
						":pk": pk,
						":from": `${keys.ledgerPrefix}${recorded.after ? `${recorded.after}~` : ""}`,
						":to": `${keys.ledgerPrefix}${recorded.upTo}~`,
					},
					ConsistentRead: true,
				}
			: {
					KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
					ExpressionAttributeValues: { ":pk": pk, ":prefix": keys.ledgerPrefix },
					ConsistentRead: true,
				},
	);
	return items.map(ledgerEntryOf);
}

/** A stored ledger entry; its id is the last part of its sort key. */
export function ledgerEntryOf(item: Record<string, unknown>): LedgerEntry {
	return parseRecord(ledgerEntrySchema, { ...item, entryId: String(item.sk).split("#").at(-1) });
}
