import { BatchWriteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { TransientError } from "../core/errors.js";
import { type Account, type AuditEntry, accountSchema, type Charge, chargeSchema } from "../core/model.js";
import { auditPut } from "./audit.js";
import { keys } from "./keys.js";
import type { TableDeps } from "./records.js";
import type { TransactItem } from "./transact.js";

/**
 * The writes of an import (shared/imports/): records created on free keys and fields
 * changed on the values read, each with its audit entry naming the file; charges in
 * batches; the import's own record.
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

/** A new account: owes nothing, holds no credit. */
export function importedAccountCreated(tableName: string, account: Account, audit: ImportAudit): TransactItem[] {
	const parsed = accountSchema.parse(account);
	return importedRecordCreated(
		tableName,
		{ key: keys.account(parsed.accountId), listing: keys.accountListing(parsed.accountId), fields: parsed },
		{ subject: "account", subjectId: parsed.accountId },
		audit,
	);
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
): TransactItem[] {
	const fields = Object.keys({ ...change.before, ...change.after });
	const names: Record<string, string> = {};
	const values: Record<string, unknown> = {};
	const sets: string[] = [];
	const removes: string[] = [];
	const conditions = ["attribute_exists(pk)"];
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
 * A charge imported again with other values, in an open month: the old one gives way to
 * the new (its key moves with its month), with an audit entry on the account.
 */
export function importedChargeChanged(
	tableName: string,
	before: Charge,
	after: Charge,
	importId: string,
	audit: ImportAudit,
): TransactItem[] {
	const parsed = chargeSchema.parse(after);
	const oldKey = keys.charge(before.accountId, before.period, before.chargeId);
	const newKey = keys.charge(parsed.accountId, parsed.period, parsed.chargeId);
	const moved = oldKey.sk !== newKey.sk;
	return [
		...(moved ? [{ Delete: { TableName: tableName, Key: oldKey, ConditionExpression: "attribute_exists(pk)" } }] : []),
		{ Put: { TableName: tableName, Item: { ...newKey, ...parsed, importId } } },
		auditPut(tableName, {
			subject: "account",
			subjectId: parsed.accountId,
			action: "charge_changed",
			...audit,
			before: { ...before },
			after: { ...parsed },
		}),
	];
}

const BATCH_WRITE_ATTEMPTS = 8;

/** New charges, 25 a request; what DynamoDB leaves unprocessed is written again, a few times. */
export async function importedChargesPut(deps: TableDeps, charges: readonly Charge[], importId: string): Promise<void> {
	for (let start = 0; start < charges.length; start += 25) {
		let pending: Record<string, unknown>[] = charges.slice(start, start + 25).map((charge) => {
			const parsed = chargeSchema.parse(charge);
			return { PutRequest: { Item: { ...keys.charge(parsed.accountId, parsed.period, parsed.chargeId), ...parsed, importId } } };
		});
		for (let attempt = 0; pending.length > 0; attempt++) {
			if (attempt === BATCH_WRITE_ATTEMPTS)
				throw new TransientError(`${pending.length} charges stayed unwritten after ${attempt} BatchWriteItem calls`);
			if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
			const out = await deps.ddb.send(new BatchWriteCommand({ RequestItems: { [deps.tableName]: pending as never } }));
			pending = (out.UnprocessedItems?.[deps.tableName] ?? []) as Record<string, unknown>[];
		}
	}
}

/** The import's own record: which files, who, and what it created, changed and left as it was. */
export async function importRunPut(deps: TableDeps, run: { readonly importId: string } & Record<string, unknown>): Promise<void> {
	await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: { ...keys.importRun(run.importId), ...run } }));
}
