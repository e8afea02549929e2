import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import pMap from "p-map";
import { toCsvText } from "../core/csv.js";
import type { Account, Invoice, LedgerEntry } from "../core/model.js";
import { formatMajorUnits } from "../core/money.js";
import { resolveBillingPeriod } from "../core/period.js";
import { getCreditMemo } from "../store/credit-memos.js";
import { getInvoice, listAccounts, listInvoicesOfAccount, listLedgerEntries, type TableDeps } from "../store/records.js";
import { closedThrough } from "../store/transact.js";
import { type ChartOfAccounts, imbalance, type JournalEntry, journalEntryFor, sourceOf } from "./journal.js";

/**
 * The books of a period, from the ledger: its journal, the trial balance with its tie-out
 * to the customers' accounts, and the journal as the files QuickBooks Online and Xero import.
 */

/** The journal entries of the given ledger entries, in their order; an entry that does not balance is a defect and stops it. */
async function journalOf(deps: TableDeps, entries: readonly LedgerEntry[], chart: ChartOfAccounts): Promise<JournalEntry[]> {
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
	const invoices = new Map<string, Invoice>();
	await pMap(
		[...new Set(entries.map(invoiceOf).filter((n): n is string => n !== undefined))],
		async (number) => {
			const invoice = await getInvoice(deps, number);
			if (invoice) invoices.set(number, invoice);
		},
		{ concurrency: 8 },
	);
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

/** The period's journal and trial balance, from every account's ledger and the stored invoices and accounts. */
export async function periodBooks(deps: TableDeps, period: string, chart: ChartOfAccounts): Promise<PeriodBooks> {
	const { periodStart, periodEnd } = resolveBillingPeriod({ period }, new Date());
	const all = await listAccounts(deps);
	const perAccount = await pMap(all, (a) => listLedgerEntries(deps, a.accountId), { concurrency: 8 });
	const everything = perAccount.flat();
	const upToEnd = inJournalOrder(everything.filter((e) => e.effectiveDate <= periodEnd));
	const journal = await journalOf(deps, upToEnd, chart);
	const inPeriod = journal.filter((j) => j.date >= periodStart);

	const rows = new Map<string, { code: string; name: string; currency: string; opening: number; debits: number; credits: number }>();
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
			if (entry.date < periodStart) row.opening += line.debit - line.credit;
			else {
				row.debits += line.debit;
				row.credits += line.credit;
			}
			rows.set(key, row);
		}
	}
	const trialRows = [...rows.values()]
		.map((r) => ({ ...r, closing: r.opening + r.debits - r.credits }))
		.sort((a, b) => a.currency.localeCompare(b.currency) || a.code.localeCompare(b.code));

	const laterActivity = everything.some((e) => e.effectiveDate > periodEnd);
	const tieOut = tieOutOf(trialRows, chart, upToEnd, laterActivity ? undefined : await storedSubledger(deps, all));
	return {
		period,
		journal: inPeriod,
		trialBalance: { period, rows: trialRows, tieOut, ties: tieOut.every((t) => t.differences.length === 0) },
		customers: new Map(all.map((a) => [a.accountId, a.name])),
	};
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

/** Per currency: the accounts' stored balances and credit, and the open invoices' amounts due. */
async function storedSubledger(deps: TableDeps, accounts: readonly Account[]) {
	const byCurrency = new Map<string, { balances: number; amountsDue: number; credit: number }>();
	const of = (currency: string) => {
		const totals = byCurrency.get(currency) ?? { balances: 0, amountsDue: 0, credit: 0 };
		byCurrency.set(currency, totals);
		return totals;
	};
	for (const account of accounts) {
		of(account.currency).balances += account.balance;
		of(account.currency).credit += account.creditBalance;
	}
	const invoices = (await pMap(accounts, (a) => listInvoicesOfAccount(deps, a.accountId), { concurrency: 8 })).flat();
	for (const invoice of invoices) of(invoice.currency).amountsDue += invoice.amountDue;
	return byCurrency;
}

function tieOutOf(
	rows: readonly TrialBalanceRow[],
	chart: ChartOfAccounts,
	entries: readonly LedgerEntry[],
	stored: ReadonlyMap<string, { balances: number; amountsDue: number; credit: number }> | undefined,
): TieOut[] {
	const currencies = [...new Set([...rows.map((r) => r.currency), ...(stored?.keys() ?? [])])].sort();
	return currencies.map((currency) => {
		const closing = (code: string) => rows.find((r) => r.code === code && r.currency === currency)?.closing ?? 0;
		const receivable = closing(chart.receivable.code);
		const customerCredit = 0 - closing(chart.customerCredit.code);
		const customerBalances = entries.filter((e) => e.currency === currency).reduce((acc, e) => acc + e.amount, 0);
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

export const EXPORT_FORMATS = ["csv", "quickbooks", "xero"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Journal numbers: the period and the entry's place in it, e.g. 2026-11-0042. */
function journalNumber(period: string, index: number): string {
	return `${period}-${String(index + 1).padStart(4, "0")}`;
}

const usDate = (d: string) => `${d.slice(5, 7)}/${d.slice(8, 10)}/${d.slice(0, 4)}`;
const dayFirst = (d: string) => `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;

/**
 * The journal as a file, the same bytes every time for the same books:
 * - csv: entry_id, date, currency, account_code, account_name, debit, credit, memo;
 * - quickbooks: QuickBooks Online's journal-entry import (Journal No, Journal Date
 *   MM/DD/YYYY, Currency Code, Account Name, Debits, Credits, Description, Name: the
 *   customer on receivable lines, which QuickBooks requires there);
 * - xero: Xero's manual-journal import (Narration, Date DD/MM/YYYY, Description,
 *   AccountCode, TaxRate, Amount: positive a debit, negative a credit).
 */
export function exportJournal(
	books: PeriodBooks,
	format: ExportFormat,
	chart: ChartOfAccounts,
	options: { readonly xeroTaxRate?: string } = {},
): string {
	const rows: (string | number)[][] = [];
	const amount = (value: number, currency: string) => (value === 0 ? "" : formatMajorUnits(value, currency));
	if (format === "csv") rows.push(["entry_id", "date", "currency", "account_code", "account_name", "debit", "credit", "memo"]);
	if (format === "quickbooks")
		rows.push(["Journal No", "Journal Date", "Currency Code", "Account Name", "Debits", "Credits", "Description", "Name"]);
	if (format === "xero") rows.push(["Narration", "Date", "Description", "AccountCode", "TaxRate", "Amount"]);
	for (const [index, entry] of books.journal.entries()) {
		const number = journalNumber(books.period, index);
		for (const line of entry.lines) {
			const debit = amount(line.debit, entry.currency);
			const credit = amount(line.credit, entry.currency);
			if (format === "csv")
				rows.push([number, entry.date, entry.currency, line.account.code, line.account.name, debit, credit, entry.memo]);
			else if (format === "quickbooks") {
				const customer = line.account.code === chart.receivable.code ? (books.customers.get(entry.accountId) ?? entry.accountId) : "";
				rows.push([number, usDate(entry.date), entry.currency, line.account.name, debit, credit, entry.memo, customer]);
			} else {
				rows.push([
					`${number} ${entry.currency} ${entry.memo}`,
					dayFirst(entry.date),
					entry.memo,
					line.account.code,
					options.xeroTaxRate ?? "Tax Exempt",
					formatMajorUnits(line.debit - line.credit, entry.currency),
				]);
			}
		}
	}
	return toCsvText(rows);
}

/** The trial balance as CSV: one row per account code and currency. */
export function trialBalanceCsv(tb: TrialBalance): string {
	return toCsvText([
		["currency", "account_code", "account_name", "opening", "debits", "credits", "closing"],
		...tb.rows.map((r) => [
			r.currency,
			r.code,
			r.name,
			formatMajorUnits(r.opening, r.currency),
			formatMajorUnits(r.debits, r.currency),
			formatMajorUnits(r.credits, r.currency),
			formatMajorUnits(r.closing, r.currency),
		]),
	]);
}

/** Where the period's books are kept in the bucket. */
export function booksKey(period: string, file: string): string {
	return `books/${period}/${file}`;
}

/** The period's trial balance and its journal in the three formats, under books/<period>/; a closed period's files stay as they were closed. */
export async function publishBooks(
	deps: TableDeps & { readonly s3: S3Client; readonly bucketName: string },
	books: PeriodBooks,
	chart: ChartOfAccounts,
): Promise<Record<string, string>> {
	const files: Record<string, string> = {
		"trial-balance.csv": trialBalanceCsv(books.trialBalance),
		"journal.csv": exportJournal(books, "csv", chart),
		"journal-quickbooks.csv": exportJournal(books, "quickbooks", chart),
		"journal-xero.csv": exportJournal(books, "xero", chart),
	};
	const keys: Record<string, string> = Object.fromEntries(Object.keys(files).map((file) => [file, booksKey(books.period, file)]));
	const closed = await closedThrough(deps);
	if (closed && books.period <= closed) return keys;
	for (const [file, body] of Object.entries(files)) {
		await deps.s3.send(
			new PutObjectCommand({ Bucket: deps.bucketName, Key: keys[file], Body: body, ContentType: "text/csv; charset=utf-8" }),
		);
	}
	return keys;
}
