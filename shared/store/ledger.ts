import { randomUUID } from "node:crypto";
import type { LedgerEntry } from "../core/model.js";
import { keys } from "./keys.js";
import type { TransactItem } from "./transact.js";

/**
 * An append-only ledger entry, to write in the same transaction as the balances it changes.
 * Its signed amount follows the conventions of `ledgerEntryTypeSchema`.
 */
export function ledgerEntryPut(tableName: string, entry: Omit<LedgerEntry, "entryId">): TransactItem {
	return { Put: { TableName: tableName, Item: { ...keys.ledgerEntry(entry.accountId, entry.at, randomUUID()), ...entry } } };
}
