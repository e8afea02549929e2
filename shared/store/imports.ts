import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { type Account, type AuditEntry, accountSchema } from "../core/model.js";
import { billingEvent } from "../events/catalog.js";
import { accountCreatedEvent } from "./accounts.js";
import { auditPut } from "./audit.js";
import { eventPut } from "./events.js";
import { keys, withoutKeys } from "./keys.js";
import { queryAll, type TableDeps } from "./records.js";
import type { TransactItem } from "./transact.js";

/**
 * The writes of an import (shared/imports/): records created on free keys and fields
 * changed on the values read, each with its audit entry naming the file; the import's own
 * record. Charges are written in pages (shared/store/charges.ts).
 */

export interface ImportAudit {
	readonly actor: string;
	readonly at: string;
	/** "import accounts.csv": the file the change came from. */
	readonly reason: string;
}

type Key = { readonly pk: string; readonly sk: string };
type Listing = Readonly<Record<string, string>>;

/** A new record on a key no one holds yet, with its "created" audit entry. */
export function importedRecordCreated(
	tableName: string,
	record: { readonly key: Key; readonly listing?: Listing; readonly fields: Record<string, unknown> },
	subject: { readonly subject: AuditEntry["subject"]; readonly subjectId: string },
	audit: ImportAudit,
): TransactItem[] {
	return [
		{
			Put: {
				TableName: tableName,
				Item: { ...record.key, ...record.listing, ...record.fields },
				ConditionExpression: "attribute_not_exists(pk)",
			},
		},
		auditPut(tableName, { ...subject, action: "created", ...audit, before: null, after: record.fields }),
	];
}

/** A new account, with its event: owes nothing, holds no credit. */
export function importedAccountCreated(tableName: string, account: Account, audit: ImportAudit): TransactItem[] {
	const parsed = accountSchema.parse(account);
	return [
		...importedRecordCreated(
			tableName,
			{ key: keys.account(parsed.accountId), listing: keys.accountListing(parsed.accountId), fields: parsed },
			{ subject: "account", subjectId: parsed.accountId },
			audit,
		),
		accountCreatedEvent(tableName, parsed, audit.at),
	];
}

/**
 * Fields of a stored record changed to what the import says, each on the value read (a
 * field absent from `after` is removed), with the "updated" audit entry of before and after.
 */
export function importedRecordChanged(
	tableName: string,
	key: Key,
	change: { readonly before: Record<string, unknown>; readonly after: Record<string, unknown> },
	subject: { readonly subject: AuditEntry["subject"]; readonly subjectId: string },
	audit: ImportAudit,
	/** Conditions besides the changed fields' (their names and values `#`/`:` prefixed, other than `#f`, `:a`, `:b`). */
	asRead: { readonly conditions: readonly string[]; readonly names: Record<string, string>; readonly values: Record<string, unknown> } = {
		conditions: [],
		names: {},
		values: {},
	},
): TransactItem[] {
	const fields = Object.keys({ ...change.before, ...change.after });
	const names: Record<string, string> = { ...asRead.names };
	const values: Record<string, unknown> = { ...asRead.values };
	const sets: string[] = [];
	const removes: string[] = [];
	const conditions = ["attribute_exists(pk)", ...asRead.conditions];
	for (const [i, field] of fields.entries()) {
		names[`#f${i}`] = field;
		const before = change.before[field];
		const after = change.after[field];
		if (after === undefined) removes.push(`#f${i}`);
		else {
			sets.push(`#f${i} = :a${i}`);
			values[`:a${i}`] = after;
		}
		if (before === undefined) conditions.push(`attribute_not_exists(#f${i})`);
		else {
			conditions.push(`#f${i} = :b${i}`);
			values[`:b${i}`] = before;
		}
	}
	return [
		{
			Update: {
				TableName: tableName,
				Key: key,
				UpdateExpression: [sets.length ? `SET ${sets.join(", ")}` : "", removes.length ? `REMOVE ${removes.join(", ")}` : ""]
					.join(" ")
					.trim(),
				ConditionExpression: conditions.join(" AND "),
				ExpressionAttributeNames: names,
				...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
			},
		},
		auditPut(tableName, { ...subject, action: "updated", ...audit, before: change.before, after: change.after }),
	];
}

/**
 * An account's fields changed to what the import says, as `importedRecordChanged`, with its
 * account.updated event carrying the account after the change: built on the account as read,
 * so the update is also conditional on what the system changes on it meanwhile (balance,
 * credit, status), and a payment landing first makes the import decide the row again.
 */
export function importedAccountChanged(
	tableName: string,
	stored: Account,
	change: { readonly before: Record<string, unknown>; readonly after: Record<string, unknown> },
	audit: ImportAudit,
): TransactItem[] {
	const changeItems = importedRecordChanged(
		tableName,
		keys.account(stored.accountId),
		change,
		{ subject: "account", subjectId: stored.accountId },
		audit,
		{
			// An account stored before credit existed has no creditBalance: read as 0.
			conditions: [
				"balance = :readBalance",
				"(creditBalance = :readCredit OR attribute_not_exists(creditBalance))",
				"#readStatus = :readStatus",
			],
			names: { "#readStatus": "status" },
			values: { ":readBalance": stored.balance, ":readCredit": stored.creditBalance, ":readStatus": stored.status },
		},
	);
	const after: Record<string, unknown> = { ...stored };
	for (const field of Object.keys({ ...change.before, ...change.after })) {
		if (change.after[field] === undefined) delete after[field];
		else after[field] = change.after[field];
	}
	return [...changeItems, eventPut(tableName, billingEvent("account.updated", stored.accountId, after as Account, audit.at))];
}

/** The import's own record: which files, who, and what it created, changed and left as it was. */
export async function importRunPut(deps: TableDeps, run: { readonly importId: string } & Record<string, unknown>): Promise<void> {
	await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: { ...keys.importRun(run.importId), ...run } }));
}

/** An import's own record, as importRunPut wrote it, without its keys. */
export async function getImportRun(deps: TableDeps, importId: string): Promise<Record<string, unknown> | undefined> {
	const out = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: keys.importRun(importId), ConsistentRead: true }));
	return out.Item ? withoutKeys(out.Item) : undefined;
}

/** An import writing, as its lease says: who, which files, since when, and until when it holds unless renewed. */
export interface ImportWritingLease {
	readonly importId: string;
	readonly actor: string;
	readonly files: readonly string[];
	readonly startedAt: string;
	readonly leaseUntil: string;
}

export async function importWritingLeasePut(deps: TableDeps, lease: ImportWritingLease): Promise<void> {
	await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: { ...keys.importWriting(lease.importId), ...lease } }));
}

export async function importWritingLeaseEnded(deps: TableDeps, importId: string): Promise<void> {
	await deps.ddb.send(new DeleteCommand({ TableName: deps.tableName, Key: keys.importWriting(importId) }));
}

/** The imports whose lease still holds at `now`; a crashed import's lapses on its own. */
export async function listImportsWriting(deps: TableDeps, now: Date): Promise<ImportWritingLease[]> {
	const items = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.importWriting("").pk },
		ConsistentRead: true,
	});
	return items.map((item) => withoutKeys(item) as unknown as ImportWritingLease).filter((lease) => lease.leaseUntil > now.toISOString());
}
