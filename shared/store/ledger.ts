import { randomUUID } from "node:crypto";
import type { LedgerEntry } from "../core/model.js";
import { keys } from "./keys.js";
import type { TransactItem } from "./transact.js";

/**
 * An append-only ledger entry, to write in the same transaction as the balance change it
 * records, which carries the same `recordedAt` (the statement guard). Its signed amount
 * follows the conventions of `ledgerEntryTypeSchema`. Keyed by `recordedAt`: a statement
 * reads the entries recorded since the previous one's cut-off as one key range.
 */
export function ledgerEntryPut(tableName: string, entry: Omit<LedgerEntry, "entryId">): TransactItem {
	return { Put: { TableName: tableName, Item: { ...keys.ledgerEntry(entry.accountId, entry.recordedAt, randomUUID()), ...entry } } };
}

/**
 * Account credit set against invoices: per invoice a credit_applied entry on it, and one on
 * the account's credit; together they move no balance.
 */
export function creditAppliedEntries(
	tableName: string,
	base: Pick<LedgerEntry, "accountId" | "currency" | "effectiveDate" | "recordedAt">,
	applications: readonly { readonly invoiceNumber: string; readonly amount: number }[],
): TransactItem[] {
	const applied = applications.filter((a) => a.amount > 0);
	const total = applied.reduce((acc, a) => acc + a.amount, 0);
	if (total === 0) return [];
	return [
		...applied.map((a) =>
			ledgerEntryPut(tableName, {
				...base,
				type: "credit_applied",
				amount: -a.amount,
				reference: `account credit -> ${a.invoiceNumber}`,
				invoiceNumber: a.invoiceNumber,
			}),
		),
		ledgerEntryPut(tableName, {
			...base,
			type: "credit_applied",
			amount: total,
			reference: `account credit used on ${applied.map((a) => a.invoiceNumber).join(", ")}`,
		}),
	];
}
