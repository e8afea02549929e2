import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { toCsvText } from "../core/csv.js";
import { formatMajorUnits } from "../core/money.js";
import type { TableDeps } from "../store/records.js";
import { closedThrough } from "../store/transact.js";
import type { PeriodBooks, TrialBalance } from "./books.js";
import type { ExportFormat } from "./export-formats.js";
import type { ChartOfAccounts } from "./journal.js";

/** The books as files: the journal in the formats accounting systems import, and the trial balance, under books/<period>/. */

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
