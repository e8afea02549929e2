import pMap from "p-map";
import * as z from "zod";
import type { Invoice, LedgerEntry } from "../core/model.js";
import { formatMajorUnits } from "../core/money.js";
import { resolveBillingPeriod } from "../core/period.js";
import { getInvoices } from "../store/batch-reads.js";
import { getCreditMemo } from "../store/credit-memos.js";
import { listAccounts, listInvoicesOfAccount, listLedgerEntries, type TableDeps } from "../store/records.js";
import type { AccountRecords } from "./invariants.js";
import { type ChartOfAccounts, imbalance, type JournalEntry, journalEntryFor, sourceOf } from "./journal.js";

/**
 * The books of a period, from the ledger: its journal and the trial balance with its
 * tie-out to the customers' accounts, taken per batch of accounts and added up
 * (book-files.ts writes them as the files accounting systems import).
 */

/**
 * The journal entries of the given ledger entries, in their order; an entry that does not
 * balance is a defect and stops it. `known` holds invoices already read; others are read.
 */
async function journalOf(
	deps: TableDeps,
	entries: readonly LedgerEntry[],
	chart: ChartOfAccounts,
	known: ReadonlyMap<string, Invoice>,
): Promise<JournalEntry[]> {
	const memoInvoices = new Map<string, string>();
	await pMap(
		[...new Set(entries.map((e) => sourceOf(e).creditMemo).filter((m): m is string => m !== undefined))],
		async (number) => {
			const memo = await getCreditMemo(deps, number);
			if (memo) memoInvoices.set(number, memo.invoiceNumber);
		},
		{ concurrency: 8 },
	);
	const invoiceOf = (e: LedgerEntry) => {
		const source = sourceOf(e);
		return source.invoice ?? (source.creditMemo ? memoInvoices.get(source.creditMemo) : undefined);
	};
	const invoices = new Map(known);
	const unread = entries.map(invoiceOf).filter((n): n is string => n !== undefined && !invoices.has(n));
	for (const [number, invoice] of await getInvoices(deps, unread)) invoices.set(number, invoice);
	const journal: JournalEntry[] = [];
	for (const entry of entries) {
		const number = invoiceOf(entry);
		const journalEntry = journalEntryFor(entry, { invoice: number ? invoices.get(number) : undefined }, chart);
		if (!journalEntry) continue;
		if (imbalance(journalEntry) !== 0) throw new Error(`journal entry of ledger entry ${entry.entryId} (${entry.type}) does not balance`);
		journal.push(journalEntry);
	}
	return journal;
}

export interface TrialBalanceRow {
	readonly code: string;
	readonly name: string;
	readonly currency: string;
	/** Debit-positive balances, minor units. */
	readonly opening: number;
	readonly debits: number;
	readonly credits: number;
	readonly closing: number;
}

export interface TieOut {
	readonly currency: string;
	/** Accounts Receivable's closing balance: what invoices are owed. */
	readonly receivable: number;
	/** Customer Credit's closing balance, as a positive amount held. */
	readonly customerCredit: number;
	/** The customers' balances from their ledgers as of the period's last day: owed minus credit. */
	readonly customerBalances: number;
	/** When nothing is dated after the period: the accounts' stored balances, open amounts due and credit. */
	readonly stored?: { readonly balances: number; readonly amountsDue: number; readonly credit: number };
	readonly differences: readonly string[];
}

export interface TrialBalance {
	readonly period: string;
	readonly rows: readonly TrialBalanceRow[];
	readonly tieOut: readonly TieOut[];
	readonly ties: boolean;
}

export interface PeriodBooks {
	readonly period: string;
	readonly journal: readonly JournalEntry[];
	readonly trialBalance: TrialBalance;
	/** Customers by account id, for the names QuickBooks asks on receivable lines. */
	readonly customers: ReadonlyMap<string, string>;
}

const minor = z.number().int();

/** The accounts' stored figures, per currency: their balances and credit, and their invoices' amounts due. */
const storedSubledgerSchema = z.object({ balances: minor, amountsDue: minor, credit: minor });
export type StoredSubledger = z.infer<typeof storedSubledgerSchema>;

/**
 * Some accounts' share of the period's books: the trial balance's sums before closing, what
 * the tie-out compares, and the period's journal entries with the customers they name.
 * Shares of different accounts add up to the books (`combineBooks`). A schema, for the
 * billing cycle carries it between steps as JSON.
 */
export const booksTallySchema = z.object({
	accounts: z.number().int(),
	rows: z.array(z.object({ code: z.string(), name: z.string(), currency: z.string(), opening: minor, debits: minor, credits: minor })),
	/** Per currency: the ledger entries up to the period's last day, summed. */
	customerBalances: z.record(z.string(), minor),
	stored: z.record(z.string(), storedSubledgerSchema),
	/** Whether an entry is dated after the period: the stored figures then describe a later day. */
	laterActivity: z.boolean(),
});
export type BooksTally = z.infer<typeof booksTallySchema>;

export interface BooksShare {
	readonly tally: BooksTally;
	/** The period's journal entries of these accounts, in journal order. */
	readonly journal: readonly JournalEntry[];
	/** Name by account id, of the accounts the journal names. */
	readonly customers: Readonly<Record<string, string>>;
}

/** These accounts' share of the period's books, from their records as read. */
export async function tallyBooks(
	deps: TableDeps,
	records: readonly AccountRecords[],
	period: string,
	chart: ChartOfAccounts,
): Promise<BooksShare> {
	const { periodStart, periodEnd } = resolveBillingPeriod({ period }, new Date());
	const everything = records.flatMap((r) => r.entries);
	const known = new Map(records.flatMap((r) => r.invoices.map((i) => [i.number, i] as const)));
	const journal = await journalOf(deps, inJournalOrder(everything.filter((e) => e.effectiveDate <= periodEnd)), chart, known);
	const rows = new Map<string, Omit<TrialBalanceRow, "closing">>();
	for (const entry of journal) {
		for (const line of entry.lines) {
			const key = `${line.account.code}#${entry.currency}`;
			const row = rows.get(key) ?? {
				code: line.account.code,
				name: line.account.name,
				currency: entry.currency,
				opening: 0,
				debits: 0,
				credits: 0,
			};
			const before = entry.date < periodStart;
			rows.set(key, {
				...row,
				opening: row.opening + (before ? line.debit - line.credit : 0),
				debits: row.debits + (before ? 0 : line.debit),
				credits: row.credits + (before ? 0 : line.credit),
			});
		}
	}
	const customerBalances: Record<string, number> = {};
	for (const e of everything)
		if (e.effectiveDate <= periodEnd) customerBalances[e.currency] = (customerBalances[e.currency] ?? 0) + e.amount;
	const stored: Record<string, StoredSubledger> = {};
	const add = (currency: string, figures: Partial<StoredSubledger>) => {
		const s = stored[currency] ?? { balances: 0, amountsDue: 0, credit: 0 };
		stored[currency] = {
			balances: s.balances + (figures.balances ?? 0),
			amountsDue: s.amountsDue + (figures.amountsDue ?? 0),
			credit: s.credit + (figures.credit ?? 0),
		};
	};
	for (const { account, invoices } of records) {
		add(account.currency, { balances: account.balance, credit: account.creditBalance });
		for (const invoice of invoices) add(invoice.currency, { amountsDue: invoice.amountDue });
	}
	const inPeriod = journal.filter((j) => j.date >= periodStart);
	const named = new Set(inPeriod.map((j) => j.accountId));
	return {
		tally: {
			accounts: records.length,
			rows: [...rows.values()],
			customerBalances,
			stored,
			laterActivity: everything.some((e) => e.effectiveDate > periodEnd),
		},
		journal: inPeriod,
		customers: Object.fromEntries(records.filter((r) => named.has(r.account.accountId)).map((r) => [r.account.accountId, r.account.name])),
	};
}

/**
 * The period's books from the shares of every account. `accountsMissing` counts accounts
 * whose share could not be taken (a failed batch); the caller reports them.
 */
export function combineBooks(period: string, chart: ChartOfAccounts, shares: readonly BooksShare[], accountsMissing = 0): PeriodBooks {
	const rows = new Map<string, Omit<TrialBalanceRow, "closing">>();
	const customerBalances = new Map<string, number>();
	const stored = new Map<string, StoredSubledger>();
	let laterActivity = false;
	for (const { tally } of shares) {
		for (const row of tally.rows) {
			const key = `${row.code}#${row.currency}`;
			const sum = rows.get(key);
			rows.set(
				key,
				sum ? { ...sum, opening: sum.opening + row.opening, debits: sum.debits + row.debits, credits: sum.credits + row.credits } : row,
			);
		}
		for (const [currency, amount] of Object.entries(tally.customerBalances))
			customerBalances.set(currency, (customerBalances.get(currency) ?? 0) + amount);
		for (const [currency, s] of Object.entries(tally.stored)) {
			const sum = stored.get(currency) ?? { balances: 0, amountsDue: 0, credit: 0 };
			stored.set(currency, {
				balances: sum.balances + s.balances,
				amountsDue: sum.amountsDue + s.amountsDue,
				credit: sum.credit + s.credit,
			});
		}
		laterActivity ||= tally.laterActivity;
	}
	const trialRows = [...rows.values()]
		.map((r) => ({ ...r, closing: r.opening + r.debits - r.credits }))
		.sort((a, b) => a.currency.localeCompare(b.currency) || a.code.localeCompare(b.code));
	const tieOut = tieOutOf(trialRows, chart, customerBalances, laterActivity ? undefined : stored);
	// Journal order: date, account, then as recorded; each account's entries come in that order from one share.
	const journal = shares.flatMap((s) => s.journal).sort((a, b) => a.date.localeCompare(b.date) || a.accountId.localeCompare(b.accountId));
	return {
		period,
		journal,
		trialBalance: {
			period,
			rows: trialRows,
			tieOut,
			// Accounts of a failed batch are missing from every figure: such books never tie out.
			ties: accountsMissing === 0 && tieOut.every((t) => t.differences.length === 0),
		},
		customers: new Map(shares.flatMap((s) => Object.entries(s.customers))),
	};
}

/** The period's journal and trial balance, from every account's ledger and the stored invoices and accounts. */
export async function periodBooks(deps: TableDeps, period: string, chart: ChartOfAccounts): Promise<PeriodBooks> {
	return combineBooks(period, chart, [await tallyBooks(deps, await everyAccountRecords(deps), period, chart)]);
}

/** Every account with its ledger and invoices, read side by side in the listing's order. */
export async function everyAccountRecords(deps: TableDeps): Promise<AccountRecords[]> {
	return pMap(
		await listAccounts(deps),
		async (account) => ({
			account,
			entries: await listLedgerEntries(deps, account.accountId),
			invoices: await listInvoicesOfAccount(deps, account.accountId),
		}),
		{ concurrency: 8 },
	);
}

/** Ledger entries in journal order: effective date, account, then as recorded. */
function inJournalOrder(entries: readonly LedgerEntry[]): LedgerEntry[] {
	return [...entries].sort(
		(a, b) =>
			a.effectiveDate.localeCompare(b.effectiveDate) ||
			a.accountId.localeCompare(b.accountId) ||
			a.recordedAt.localeCompare(b.recordedAt) ||
			a.entryId.localeCompare(b.entryId),
	);
}

function tieOutOf(
	rows: readonly TrialBalanceRow[],
	chart: ChartOfAccounts,
	balances: ReadonlyMap<string, number>,
	stored: ReadonlyMap<string, StoredSubledger> | undefined,
): TieOut[] {
	const currencies = [...new Set([...rows.map((r) => r.currency), ...(stored?.keys() ?? [])])].sort();
	return currencies.map((currency) => {
		const closing = (code: string) => rows.find((r) => r.code === code && r.currency === currency)?.closing ?? 0;
		const receivable = closing(chart.receivable.code);
		const customerCredit = 0 - closing(chart.customerCredit.code);
		const customerBalances = balances.get(currency) ?? 0;
		const differences: string[] = [];
		const money = (amount: number) => formatMajorUnits(amount, currency);
		if (receivable - customerCredit !== customerBalances) {
			differences.push(
				`${currency}: AR ${money(receivable)} less customer credit ${money(customerCredit)} is ${money(receivable - customerCredit)}, the customers' balances are ${money(customerBalances)} (difference ${money(receivable - customerCredit - customerBalances)})`,
			);
		}
		const s = stored?.get(currency);
		if (s) {
			if (s.balances !== customerBalances)
				differences.push(
					`${currency}: the accounts' stored balances are ${money(s.balances)}, their ledgers ${money(customerBalances)} (difference ${money(s.balances - customerBalances)})`,
				);
			if (s.amountsDue !== receivable)
				differences.push(
					`${currency}: open invoices owe ${money(s.amountsDue)}, AR is ${money(receivable)} (difference ${money(s.amountsDue - receivable)})`,
				);
			if (s.credit !== customerCredit)
				differences.push(
					`${currency}: the accounts hold ${money(s.credit)} of credit, Customer Credit is ${money(customerCredit)} (difference ${money(s.credit - customerCredit)})`,
				);
		}
		return { currency, receivable, customerCredit, customerBalances, ...(s ? { stored: s } : {}), differences };
	});
}
