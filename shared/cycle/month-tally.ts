import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import * as z from "zod";
import { isoDateSchema, ledgerEntryTypeSchema } from "../core/model.js";
import { addAmounts } from "../core/money.js";
import type { BillingPeriod } from "../core/period.js";
import { readObjectBytes } from "../platform/s3-objects.js";
import { publishBooks } from "../reporting/book-files.js";
import { type BooksShare, booksTallySchema, combineBooks, tallyBooks } from "../reporting/books.js";
import type { AccountRecords } from "../reporting/invariants.js";
import { type ChartOfAccounts, chartOfAccounts } from "../reporting/journal.js";
import { isQuarterEnd, parseReportPeriod, quarterOf } from "../reporting/report-period.js";
import {
	computeReport,
	monthlySummary,
	openReceivablesOf,
	type PublishedReportFiles,
	paymentsReceivedIn,
	type ReportDeps,
	type ReportShare,
	reportShareOf,
	toCsv,
	writeReportFiles,
} from "../reporting/reports.js";
import type { TableDeps } from "../store/records.js";
import { closedThrough } from "../store/transact.js";
import { accountsOfFailedChild, foldMapResults, type MapResultsLocation } from "./map-results.js";

/**
 * The month's books and reports, tallied per batch of the Review Accounts map and added up
 * by Publish Monthly Report, so no invocation reads every account (DESIGN.md section 11).
 * A batch's sums travel in its output (the map's results in S3); what is as long as the
 * batch (its journal entries, invoices, ledger entries and open invoices of the quarter) is
 * written to S3 beside the results, one object per batch.
 */

const tallySchema = z.object({
	/** The batch's part (`partSchema`), JSON. */
	key: z.string().min(1),
	accounts: z.number().int(),
	books: booksTallySchema,
	open: z.object({ receivable: z.record(z.string(), z.number().int()), overdue: z.record(z.string(), z.number().int()) }),
});
export type MonthTally = z.infer<typeof tallySchema>;

/** A batch's long part, as `tallyMonth` writes it and `readTallies` reads it back. */
const partSchema = z.object({
	journal: z.array(
		z.object({
			ledgerEntryId: z.string(),
			date: isoDateSchema,
			currency: z.string(),
			accountId: z.string(),
			memo: z.string(),
			lines: z.array(
				z.object({ account: z.object({ code: z.string(), name: z.string() }), debit: z.number().int(), credit: z.number().int() }),
			),
		}),
	),
	customers: z.record(z.string(), z.string()),
	invoices: z.array(z.object({ period: z.string(), currency: z.string(), total: z.number().int(), tax: z.number().int() })),
	ledger: z.array(z.object({ type: ledgerEntryTypeSchema, amount: z.number().int(), currency: z.string(), effectiveDate: z.string() })),
	openInvoices: z.array(z.object({ accountId: z.string(), currency: z.string(), amountDue: z.number().int(), dueDate: z.string() })),
});

/** The months a tally covers: the period's quarter up to the period, for the monthly report and, at a quarter's end, the quarterly one. */
function tallyMonths(period: string) {
	return parseReportPeriod(quarterOf(period)).months.filter((m) => m.period <= period);
}

/**
 * A batch's tally from its accounts' records as read: its share of the books and of the
 * reports, the long part put in S3 under runs/<period>/review-accounts/tallies/.
 */
export async function tallyMonth(
	deps: TableDeps & { readonly s3: S3Client; readonly bucketName: string },
	billing: BillingPeriod,
	records: readonly AccountRecords[],
	chart: ChartOfAccounts = chartOfAccounts(),
): Promise<MonthTally> {
	const books = await tallyBooks(deps, records, billing.period, chart);
	const share = reportShareOf(records, tallyMonths(billing.period), billing.asOf);
	const part = { journal: books.journal, customers: books.customers, ...share };
	// One object per batch, named by its first account: a retried or re-driven batch writes the same key.
	const first = records[0]?.account.accountId ?? "none";
	const key = `runs/${billing.period}/review-accounts/tallies/${encodeURIComponent(first)}.json`;
	await deps.s3.send(
		new PutObjectCommand({ Bucket: deps.bucketName, Key: key, Body: JSON.stringify(part), ContentType: "application/json" }),
	);
	return {
		key,
		accounts: records.length,
		books: books.tally,
		open: openReceivablesOf(
			records.flatMap((r) => r.invoices),
			billing.asOf,
		),
	};
}

interface Tallied {
	readonly shares: BooksShare[];
	readonly report: {
		invoices: ReportShare["invoices"][number][];
		ledger: ReportShare["ledger"][number][];
		openInvoices: ReportShare["openInvoices"][number][];
	};
	readonly open: { receivable: Record<string, number>; overdue: Record<string, number> };
	readonly accountsMissing: number;
}

const reviewedSchema = z.object({ ledgers: z.object({ tally: tallySchema }) });

/** The Review Accounts batches' tallies, added up, their parts read one at a time. */
async function readTallies(s3: S3Client, results: MapResultsLocation): Promise<Tallied> {
	const tallies: MonthTally[] = [];
	let accountsMissing = 0;
	await foldMapResults(
		s3,
		results,
		reviewedSchema,
		({ ledgers }) => tallies.push(ledgers.tally),
		(child) => {
			accountsMissing += accountsOfFailedChild(child).length;
		},
	);
	const shares: BooksShare[] = [];
	const report: Tallied["report"] = { invoices: [], ledger: [], openInvoices: [] };
	const open: Tallied["open"] = { receivable: {}, overdue: {} };
	for (const tally of tallies) {
		const part = partSchema.parse(JSON.parse(new TextDecoder().decode(await readObjectBytes(s3, results.Bucket, tally.key))));
		shares.push({ tally: tally.books, journal: part.journal, customers: part.customers });
		report.invoices.push(...part.invoices);
		report.ledger.push(...part.ledger);
		report.openInvoices.push(...part.openInvoices);
		addAmounts(open.receivable, tally.open.receivable);
		addAmounts(open.overdue, tally.open.overdue);
	}
	return { shares, report, open, accountsMissing };
}

type PublishDeps = ReportDeps & { readonly sellerName: string };

export interface PublishedReport extends PublishedReportFiles {
	readonly monthlyReportKey: string;
	/** The month's trial balance and journals under books/<period>/, and whether the trial balance ties out. */
	readonly books: { readonly ties: boolean; readonly files: Readonly<Record<string, string>> };
	readonly rows: number;
	/** Accounts of failed Review Accounts batches, not in these figures: a re-drive tallies them. */
	readonly accountsNotTallied: number;
	/** YYYY-Qn of the month, and whether the month is the quarter's last (the cycle then publishes the quarterly report). */
	readonly quarter: string;
	readonly quarterEnd: boolean;
}

/**
 * Publish Monthly Report: the month's summary CSV, its books (trial balance and journals;
 * closing them stays a person's decision: billing books close) and the full report, all
 * added up from the Review Accounts tallies.
 */
export async function publishMonthlyReport(
	deps: PublishDeps,
	billing: BillingPeriod,
	results: MapResultsLocation,
): Promise<PublishedReport> {
	const tallied = await readTallies(deps.s3, results);
	const month = parseReportPeriod(billing.period);
	const payments = await paymentsReceivedIn(deps, month.months);
	const rows = monthlySummary(billing, tallied.report.invoices, payments, tallied.open);
	const key = `reports/${billing.period}/monthly-billing-report.csv`;
	const closed = await closedThrough(deps);
	if (!closed || billing.period > closed) {
		await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucketName, Key: key, Body: toCsv(rows), ContentType: "text/csv" }));
	}
	const chart = chartOfAccounts();
	const periodOfBooks = combineBooks(billing.period, chart, tallied.shares, tallied.accountsMissing);
	const books = { ties: periodOfBooks.trialBalance.ties, files: await publishBooks(deps, periodOfBooks, chart) };
	const report = computeReport(month.label, month.kind, { months: month.months, asOf: billing.asOf, ...tallied.report, payments });
	const files = await writeReportFiles(deps, month, { ...report, books });
	return {
		monthlyReportKey: key,
		rows: rows.length,
		...files,
		books,
		accountsNotTallied: tallied.accountsMissing,
		quarter: quarterOf(billing.period),
		quarterEnd: isQuarterEnd(billing.period),
	};
}

/** Publish Quarterly Report, in the quarter's last month: the quarter's report from the same tallies. */
export async function publishQuarterlyReport(
	deps: PublishDeps,
	billing: BillingPeriod,
	quarter: string,
	results: MapResultsLocation,
): Promise<PublishedReportFiles> {
	const tallied = await readTallies(deps.s3, results);
	const period = parseReportPeriod(quarter);
	const report = computeReport(period.label, period.kind, {
		months: period.months,
		asOf: billing.asOf,
		...tallied.report,
		payments: await paymentsReceivedIn(deps, period.months),
	});
	return writeReportFiles(deps, period, report);
}
