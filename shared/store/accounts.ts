import { isDeepStrictEqual } from "node:util";
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { type Account, accountSchema } from "../core/model.js";
import { billingEvent } from "../events/catalog.js";
import { auditPut } from "./audit.js";
import { withChanges } from "./changes.js";
import { eventPut } from "./events.js";
import { keys } from "./keys.js";
import { getAccount, type TableDeps } from "./records.js";
import type { TransactItem } from "./transact.js";

/**
 * Changes to an account: its balance (what it owes: amounts due minus credit), its credit
 * (overpayments and credit memos the next invoice consumes) and its status.
 */

export interface BalanceChange {
	readonly accountId: string;
	/** Signed change of the receivable balance, minor units. */
	readonly balanceDelta: number;
	/** Signed change of the account's credit; negative takes credit, which must be there. */
	readonly creditDelta?: number;
	/** The payment's currency, checked against the account's (a payment applied without reading the account). */
	readonly currency?: string;
	/** The `recordedAt` of the ledger entries written with the change (see `STATEMENT_GUARD`). */
	readonly recordedAt: string;
}

/**
 * A statement cuts the account's ledger at an instant it stores on the account first
 * (`statementCut`). Every ledger entry is written with a change to the account that requires
 * the entry's `recordedAt` to be after that cut-off, so an entry stamped before a cut and
 * committed after it is refused and stamped again: it lands on the next statement, never
 * on none.
 */
const STATEMENT_GUARD = "(attribute_not_exists(statementCutoff) OR statementCutoff < :recordedAt)";

/**
 * The balance change as an atomic add, for changes made without reading the account (a
 * payment webhook): the conditions check that the account exists, is in the payment's
 * currency and has the credit taken.
 */
export function balanceChange(tableName: string, change: BalanceChange): TransactItem {
	const credit = change.creditDelta ?? 0;
	const conditions = ["attribute_exists(pk)", STATEMENT_GUARD];
	const values: Record<string, unknown> = { ":amount": Math.abs(change.balanceDelta), ":recordedAt": change.recordedAt };
	const sets = [change.balanceDelta < 0 ? "balance = balance - :amount" : "balance = balance + :amount"];
	if (credit !== 0) {
		sets.push(credit > 0 ? "creditBalance = if_not_exists(creditBalance, :zero) + :credit" : "creditBalance = creditBalance - :credit");
		values[":credit"] = Math.abs(credit);
		if (credit > 0) values[":zero"] = 0;
		// Credit already consumed by a later invoice cannot be taken twice.
		else conditions.push("creditBalance >= :credit");
	}
	if (change.currency) {
		conditions.push("#currency = :currency");
		values[":currency"] = change.currency;
	}
	return {
		Update: {
			TableName: tableName,
			Key: keys.account(change.accountId),
			UpdateExpression: `SET ${sets.join(", ")}`,
			ConditionExpression: conditions.join(" AND "),
			...(change.currency ? { ExpressionAttributeNames: { "#currency": "currency" } } : {}),
			ExpressionAttributeValues: values,
		},
	};
}

/**
 * The balance change on the account as read, with its audit entry: the update is
 * conditional on the balance and credit read, so the entry's before and after are the truth.
 */
export function balanceChangeAsRead(
	tableName: string,
	account: Pick<Account, "accountId" | "balance" | "creditBalance">,
	change: Pick<BalanceChange, "balanceDelta" | "creditDelta" | "recordedAt">,
	audit: { readonly action: string; readonly actor: string; readonly at: string; readonly reason?: string },
): TransactItem[] {
	const before = { balance: account.balance, creditBalance: account.creditBalance };
	const after = { balance: account.balance + change.balanceDelta, creditBalance: account.creditBalance + (change.creditDelta ?? 0) };
	return [
		{
			Update: {
				TableName: tableName,
				Key: keys.account(account.accountId),
				UpdateExpression: "SET balance = :balance, creditBalance = :credit",
				// An account stored before credit existed has no creditBalance: read as 0.
				ConditionExpression: `${
					account.creditBalance === 0
						? "balance = :balanceRead AND (creditBalance = :creditRead OR attribute_not_exists(creditBalance))"
						: "balance = :balanceRead AND creditBalance = :creditRead"
				} AND ${STATEMENT_GUARD}`,
				ExpressionAttributeValues: {
					":recordedAt": change.recordedAt,
					":balance": after.balance,
					":credit": after.creditBalance,
					":balanceRead": before.balance,
					":creditRead": before.creditBalance,
				},
			},
		},
		auditPut(tableName, { subject: "account", subjectId: account.accountId, ...audit, before, after }),
	];
}

/**
 * The statement's cut of the account's ledger: from now on no entry recorded at or before
 * `cutoff` can be committed (`STATEMENT_GUARD`), so reading the ledger up to it afterwards
 * is complete. Cut-offs only move forward.
 */
export function statementCut(tableName: string, accountId: string, cutoff: string): TransactItem {
	return {
		Update: {
			TableName: tableName,
			Key: keys.account(accountId),
			UpdateExpression: "SET statementCutoff = :cutoff",
			ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(statementCutoff) OR statementCutoff < :cutoff)",
			ExpressionAttributeValues: { ":cutoff": cutoff },
		},
	};
}

/**
 * The statement's cut as `statementCut`, and only on the cut-off as read (`readCutoff`,
 * undefined for none): a statement cut concurrently makes it fail, so whoever read the
 * account knows every cut before this one.
 */
export function statementCutAsRead(tableName: string, accountId: string, cutoff: string, readCutoff: string | undefined): TransactItem {
	return {
		Update: {
			TableName: tableName,
			Key: keys.account(accountId),
			UpdateExpression: "SET statementCutoff = :cutoff",
			ConditionExpression:
				readCutoff === undefined
					? "attribute_exists(pk) AND attribute_not_exists(statementCutoff)"
					: "attribute_exists(pk) AND statementCutoff = :read AND statementCutoff < :cutoff",
			ExpressionAttributeValues: readCutoff === undefined ? { ":cutoff": cutoff } : { ":cutoff": cutoff, ":read": readCutoff },
		},
	};
}

/** What the billing desk may change on an account by hand: where and how its documents go, and its e-invoice fields. */
export type AccountDetails = Pick<
	Account,
	"email" | "addressLines" | "delivery" | "einvoice" | "vatId" | "peppolId" | "buyerReference" | "city" | "postalCode" | "country"
>;

/** The details an account may be without: the e-invoice fields. */
type ClearableDetail = "einvoice" | "vatId" | "peppolId" | "buyerReference" | "city" | "postalCode" | "country";

/** Changes of details: a value to set, or null to remove one the account may be without. */
export type AccountDetailsChanges = {
	readonly [K in keyof AccountDetails]?: K extends ClearableDetail ? NonNullable<AccountDetails[K]> | null : AccountDetails[K];
};

/**
 * The account's details changed by hand, each field conditional on the value read, with its
 * audit entry (before and after of what changed; null for a field absent or removed). With
 * `clearUndeliverable`, the account's mark of an undeliverable address (as read) goes too: a
 * person corrected the address, or confirmed it works.
 */
export function accountDetailsChange(
	tableName: string,
	account: Account,
	changes: AccountDetailsChanges,
	audit: { readonly actor: string; readonly at: string; readonly reason?: string },
	options: { readonly clearUndeliverable?: boolean } = {},
): TransactItem[] {
	const fields = (Object.keys(changes) as (keyof AccountDetails)[]).filter((f) => changes[f] !== undefined);
	const names: Record<string, string> = {};
	const values: Record<string, unknown> = {};
	const conditions: string[] = [];
	const sets: string[] = [];
	const removes: string[] = [];
	for (const f of fields) {
		names[`#${f}`] = f;
		const to = changes[f];
		if (to === null) removes.push(`#${f}`);
		else {
			sets.push(`#${f} = :${f}`);
			values[`:${f}`] = to;
		}
		if (account[f] === undefined) conditions.push(`attribute_not_exists(#${f})`);
		else {
			conditions.push(`#${f} = :${f}Read`);
			values[`:${f}Read`] = account[f];
		}
	}
	const mark = options.clearUndeliverable ? account.undeliverable : undefined;
	if (mark) {
		// On the mark as read: a report that replaced it meanwhile is looked at again.
		conditions.push("undeliverable.feedbackId = :markRead");
		values[":markRead"] = mark.feedbackId;
		removes.push("undeliverable", "gsi2pk", "gsi2sk");
	}
	const update = [...(sets.length > 0 ? [`SET ${sets.join(", ")}`] : []), ...(removes.length > 0 ? [`REMOVE ${removes.join(", ")}`] : [])];
	return [
		{
			Update: {
				TableName: tableName,
				Key: keys.account(account.accountId),
				UpdateExpression: update.join(" "),
				ConditionExpression: conditions.join(" AND "),
				...(fields.length > 0 ? { ExpressionAttributeNames: names } : {}),
				...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
			},
		},
		auditPut(tableName, {
			subject: "account",
			subjectId: account.accountId,
			action: fields.length > 0 ? "details_changed" : "email_confirmed",
			...audit,
			before: { ...Object.fromEntries(fields.map((f) => [f, account[f] ?? null])), ...(mark ? { undeliverable: mark } : {}) },
			after: { ...Object.fromEntries(fields.map((f) => [f, changes[f]])), ...(mark ? { undeliverable: null } : {}) },
		}),
		accountEvent(tableName, "account.updated", detailsChanged(account, changes, mark !== undefined), audit.at),
	];
}

/** The account with its details changed (a null removes one), and without its undeliverable mark when cleared. */
function detailsChanged(account: Account, changes: AccountDetailsChanges, clearUndeliverable: boolean): Account {
	return withChanges(account, { ...changes, ...(clearUndeliverable ? { undeliverable: null } : {}) });
}

/** An account's event, carrying the account after the change. */
function accountEvent(
	tableName: string,
	type: "account.created" | "account.updated" | "account.sent_to_collections",
	account: Account,
	at: string,
): TransactItem {
	return eventPut(tableName, billingEvent(type, account.accountId, account, at));
}

/** The account closed on a day, on the status as read, with its audit entry and event. */
export function accountClosed(
	tableName: string,
	account: Account,
	closedOn: string,
	audit: { readonly actor: string; readonly at: string; readonly reason?: string },
): TransactItem[] {
	return [
		{
			Update: {
				TableName: tableName,
				Key: keys.account(account.accountId),
				UpdateExpression: "SET #status = :closed, closedOn = :closedOn",
				ConditionExpression: "#status = :before",
				ExpressionAttributeNames: { "#status": "status" },
				ExpressionAttributeValues: { ":closed": "closed", ":closedOn": closedOn, ":before": account.status },
			},
		},
		auditPut(tableName, {
			subject: "account",
			subjectId: account.accountId,
			action: "closed",
			...audit,
			before: { status: account.status },
			after: { status: "closed", closedOn },
		}),
		accountEvent(tableName, "account.updated", { ...account, status: "closed", closedOn }, audit.at),
	];
}

/**
 * A status change (active, past_due, in_collections) on the status as read, with its audit
 * entry and event: sent to collections, or updated.
 */
export function accountStatusChange(
	tableName: string,
	account: Account,
	status: Account["status"],
	audit: { readonly actor: string; readonly at: string; readonly reason: string },
): TransactItem[] {
	return [
		{
			Update: {
				TableName: tableName,
				Key: keys.account(account.accountId),
				UpdateExpression: "SET #status = :status",
				ConditionExpression: "#status = :before",
				ExpressionAttributeNames: { "#status": "status" },
				ExpressionAttributeValues: { ":status": status, ":before": account.status },
			},
		},
		auditPut(tableName, {
			subject: "account",
			subjectId: account.accountId,
			action: "status_changed",
			...audit,
			before: { status: account.status },
			after: { status },
		}),
		accountEvent(
			tableName,
			status === "in_collections" ? "account.sent_to_collections" : "account.updated",
			{ ...account, status },
			audit.at,
		),
	];
}

/** A new account's event (the account's own Put is its creator's: an import's). */
export function accountCreatedEvent(tableName: string, account: Account, at: string): TransactItem {
	return accountEvent(tableName, "account.created", account, at);
}

/**
 * Stores an account as given (the demo's seed and pricing showcase) with its event:
 * account.created for a new one, account.updated for one it replaces (conditional on being
 * new, or there, as read). The same account stored again writes nothing.
 */
export async function putAccount(deps: TableDeps, account: Account): Promise<void> {
	const parsed = accountSchema.parse(account);
	const stored = await getAccount(deps, parsed.accountId);
	if (stored && isDeepStrictEqual(stored, parsed)) return;
	await deps.ddb.send(
		new TransactWriteCommand({
			TransactItems: [
				{
					Put: {
						TableName: deps.tableName,
						Item: { ...keys.account(parsed.accountId), ...keys.accountListing(parsed.accountId), ...parsed },
						ConditionExpression: stored ? "attribute_exists(pk)" : "attribute_not_exists(pk)",
					},
				},
				accountEvent(deps.tableName, stored ? "account.updated" : "account.created", parsed, new Date().toISOString()),
			],
		}),
	);
}
