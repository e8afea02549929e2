import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { AGING_BUCKETS, type Aging, agingBucket, emptyAging } from "../core/aging.js";
import { toCsvText } from "../core/csv.js";
import type { Invoice, LedgerEntry, Payment } from "../core/model.js";
import { type BillingPeriod, daysBetween } from "../core/period.js";
import type { AccountAging, BillingReport, Flows, MonthFlows } from "../core/report-model.js";
import { renderReportHtml } from "../documents/report-html.js";
import { listPaymentsReceived, type TableDeps } from "../store/records.js";
import { closedThrough } from "../store/transact.js";
import { everyAccountRecords } from "./books.js";
import type { AccountRecords } from "./invariants.js";
import type { ReportPeriod } from "./report-period.js";

export interface ReportDeps extends TableDeps {
	readonly s3: S3Client;
	readonly bucketName: string;
}

export interface MonthlyReportRow {
	readonly section: string;
	readonly metric: string;
	readonly currency: string;
	readonly value: number;
}

function add(map: Map<string, number>, currency: string, amount: number): void {
	map.set(currency, (map.get(currency) ?? 0) + amount);
}

/** The monthly summary's open receivables as they stand: what open invoices owe, and of it what is past due on the as-of date. */
export interface OpenReceivables {
	readonly receivable: Readonly<Record<string, number>>;
	readonly overdue: Readonly<Record<string, number>>;
}

/** Open receivables of these invoices as they stand (`OpenReceivables`). */
export function openReceivablesOf(invoices: readonly Pick<Invoice, "currency" | "amountDue" | "dueDate">[], asOf: string): OpenReceivables {
	const receivable: Record<string, number> = {};
	const overdue: Record<string, number> = {};
	for (const i of invoices) {
		if (i.amountDue <= 0) continue;
		receivable[i.currency] = (receivable[i.currency] ?? 0) + i.amountDue;
		if (i.dueDate < asOf) overdue[i.currency] = (overdue[i.currency] ?? 0) + i.amountDue;
	}
	return { receivable, overdue };
}

/**
 * The month's figures, amounts in minor units: invoices issued for the period, payments
 * received in the month, unapplied cash, and open receivables as of the run's date.
 */
export function monthlySummary(
	period: BillingPeriod,
	invoices: readonly Pick<Invoice, "period" | "currency" | "total" | "tax">[],
	allPayments: readonly Pick<Payment, "currency" | "amount" | "appliedAmount" | "unappliedAmount" | "receivedAt">[],
	open: OpenReceivables,
): MonthlyReportRow[] {
	const issuedCount = new Map<string, number>();
	const issuedTotal = new Map<string, number>();
	const issuedTax = new Map<string, number>();
	for (const invoice of invoices.filter((i) => i.period === period.period)) {
		add(issuedCount, invoice.currency, 1);
		add(issuedTotal, invoice.currency, invoice.total);
		add(issuedTax, invoice.currency, invoice.tax);
	}
	// Received in the month itself: a payment after it belongs to the next month's report, never to two.
	const payments = allPayments.filter(
		(p) => p.receivedAt.slice(0, 10) >= period.periodStart && p.receivedAt.slice(0, 10) <= period.periodEnd,
	);
	const received = new Map<string, number>();
	const applied = new Map<string, number>();
	const unapplied = new Map<string, number>();
	for (const payment of payments) {
		add(received, payment.currency, payment.amount);
		add(applied, payment.currency, payment.appliedAmount);
		add(unapplied, payment.currency, payment.unappliedAmount);
	}
	const receivable = new Map(Object.entries(open.receivable));
	const overdue = new Map(Object.entries(open.overdue));
	const rows: MonthlyReportRow[] = [];
	const maps = [issuedCount, issuedTotal, issuedTax, received, applied, unapplied, receivable, overdue];
	// Every currency the month touched gets every metric, zero included, so the report reads as a full table.
	const currencies = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort();
	const emit = (section: string, metric: string, map: Map<string, number>) => {
		for (const currency of currencies) rows.push({ section, metric, currency, value: map.get(currency) ?? 0 });
	};
	emit("invoicing", "invoices_issued", issuedCount);
	emit("invoicing", "invoiced_total_minor", issuedTotal);
	emit("invoicing", "invoiced_tax_minor", issuedTax);
	emit("payments", "payments_received_minor", received);
	emit("payments", "payments_applied_minor", applied);
	emit("payments", "payments_unapplied_minor", unapplied);
	emit("receivables", "open_receivables_minor", receivable);
	emit("receivables", "overdue_receivables_minor", overdue);
	return rows;
}

export function toCsv(rows: readonly MonthlyReportRow[]): string {
	return toCsvText([["section", "metric", "currency", "value"], ...rows.map((r) => [r.section, r.metric, r.currency, r.value])]);
}

export interface ReportInputs {
	readonly months: readonly { readonly period: string; readonly periodStart: string; readonly periodEnd: string }[];
	readonly asOf: string;
	/** Invoices billed for each month of the report (their `period`). */
	readonly invoices: readonly Pick<Invoice, "period" | "currency" | "total">[];
	readonly ledger: readonly Pick<LedgerEntry, "type" | "amount" | "currency" | "effectiveDate">[];
	readonly payments: readonly Pick<Payment, "amount" | "currency" | "receivedAt">[];
	/** Invoices with an amount still due on the as-of date. */
	readonly openInvoices: readonly Pick<Invoice, "accountId" | "currency" | "amountDue" | "dueDate">[];
}

const TOP_OVERDUE = 10;
const emptyFlows = (): Flows => ({
	invoicesIssued: 0,
	invoicedAmount: 0,
	creditMemos: 0,
	paymentsReceived: 0,
	paymentsApplied: 0,
	refunds: 0,
	writeOffs: 0,
	netChangeInReceivables: 0,
});

/** Ledger entries that move receivables besides an issued invoice; account credit moves none. */
const NET_CHANGE_TYPES: ReadonlySet<LedgerEntry["type"]> = new Set([
	"payment_applied",
	"credit_memo",
	"refund",
	"write_off",
	"write_off_reversed",
	"payment_unapplied",
	"chargeback",
	"invoice_voided",
]);

/**
 * The report's figures, pure. Per month: the invoices billed for it (the amount net of voids
 * dated in the month), and the payments and ledger entries (credit memos, refunds,
 * write-offs, payments applied) dated inside its calendar days. Net change in receivables = invoiced + refunds + chargebacks − payments
 * applied − credit memos − write-offs − voids (account credit moves no receivable). Aging,
 * DSO and the top overdue accounts are as of the as-of date.
 */
export function computeReport(label: string, kind: BillingReport["kind"], input: ReportInputs): BillingReport {
	const months: MonthFlows[] = input.months.map((m) => {
		const byCurrency: Record<string, Flows> = {};
		const flows = (currency: string): Flows => {
			byCurrency[currency] ??= emptyFlows();
			return byCurrency[currency];
		};
		const inMonth = (at: string) => at.slice(0, 10) >= m.periodStart && at.slice(0, 10) <= m.periodEnd;
		const bump = (currency: string, field: keyof Flows, by: number) => {
			const f = flows(currency) as Record<keyof Flows, number>;
			f[field] += by;
		};
		for (const i of input.invoices.filter((i) => i.period === m.period)) {
			bump(i.currency, "invoicesIssued", 1);
			bump(i.currency, "invoicedAmount", i.total);
			bump(i.currency, "netChangeInReceivables", i.total);
		}
		for (const p of input.payments.filter((p) => inMonth(p.receivedAt))) bump(p.currency, "paymentsReceived", p.amount);
		const field: Partial<Record<LedgerEntry["type"], keyof Flows>> = {
			payment_applied: "paymentsApplied",
			credit_memo: "creditMemos",
			refund: "refunds",
			write_off: "writeOffs",
		};
		for (const e of input.ledger.filter((e) => inMonth(e.effectiveDate))) {
			const target = field[e.type];
			if (target) bump(e.currency, target, Math.abs(e.amount));
			// Write-offs are net of those reversed in the month (by hand, or recovered by a payment).
			if (e.type === "write_off_reversed") bump(e.currency, "writeOffs", -e.amount);
			// Payments applied are net of applications taken back by hand.
			if (e.type === "payment_unapplied") bump(e.currency, "paymentsApplied", -e.amount);
			// Invoicing is net of voids dated in the month: a voided invoice is not sales, nor in DSO.
			if (e.type === "invoice_voided") bump(e.currency, "invoicedAmount", e.amount);
			// Every entry that moves what customers owe, chargebacks and voids included; issued invoices are counted above.
			if (NET_CHANGE_TYPES.has(e.type)) bump(e.currency, "netChangeInReceivables", e.amount);
		}
		return { period: m.period, byCurrency };
	});
	const totals: Record<string, Flows> = {};
	for (const m of months) {
		for (const [currency, f] of Object.entries(m.byCurrency)) {
			totals[currency] ??= emptyFlows();
			const t = totals[currency] as Record<keyof Flows, number>;
			for (const k of Object.keys(f) as (keyof Flows)[]) t[k] += f[k];
		}
	}
	const agingByCurrency: Record<string, Aging> = {};
	const accounts = new Map<string, { accountId: string; currency: string; aging: Aging; maxDaysOverdue: number }>();
	for (const i of input.openInvoices) {
		if (i.amountDue <= 0) continue;
		const days = daysBetween(i.dueDate, input.asOf);
		const bucket = agingBucket(i.dueDate, input.asOf);
		agingByCurrency[i.currency] ??= emptyAging();
		(agingByCurrency[i.currency] as Aging)[bucket] += i.amountDue;
		const key = `${i.accountId}\u0000${i.currency}`;
		const a = accounts.get(key) ?? { accountId: i.accountId, currency: i.currency, aging: emptyAging(), maxDaysOverdue: 0 };
		a.aging[bucket] += i.amountDue;
		a.maxDaysOverdue = Math.max(a.maxDaysOverdue, days);
		accounts.set(key, a);
	}
	const agingByAccount: AccountAging[] = [...accounts.values()]
		.map((a) => {
			const total = AGING_BUCKETS.reduce((s, b) => s + a.aging[b], 0);
			return { ...a, total, overdue: total - a.aging.current };
		})
		.sort((x, y) => x.currency.localeCompare(y.currency) || x.accountId.localeCompare(y.accountId));
	const first = input.months[0];
	const last = input.months.at(-1);
	const days = first && last ? daysBetween(first.periodStart, last.periodEnd) + 1 : 0;
	const daysSalesOutstanding: Record<string, number | null> = {};
	for (const currency of new Set([...Object.keys(totals), ...Object.keys(agingByCurrency)])) {
		const receivable = AGING_BUCKETS.reduce((s, b) => s + (agingByCurrency[currency]?.[b] ?? 0), 0);
		const invoiced = totals[currency]?.invoicedAmount ?? 0;
		daysSalesOutstanding[currency] = invoiced > 0 ? Math.round((receivable / invoiced) * days * 10) / 10 : null;
	}
	const topOverdueAccounts = agingByAccount
		.filter((a) => a.overdue > 0)
		.sort((x, y) => y.maxDaysOverdue - x.maxDaysOverdue || y.overdue - x.overdue || x.accountId.localeCompare(y.accountId))
		.slice(0, TOP_OVERDUE);
	return { label, kind, asOf: input.asOf, months, totals, agingByCurrency, agingByAccount, daysSalesOutstanding, topOverdueAccounts };
}

/** Machine-readable CSV of the report: one row per figure. */
export function reportCsv(r: BillingReport): string {
	const rows: (string | number)[][] = [["section", "metric", "period", "currency", "account", "value"]];
	for (const m of r.months) {
		for (const [currency, f] of Object.entries(m.byCurrency).sort(([a], [b]) => a.localeCompare(b))) {
			for (const [metric, value] of Object.entries(f)) rows.push(["activity", metric, m.period, currency, "", value]);
		}
	}
	for (const [currency, f] of Object.entries(r.totals).sort(([a], [b]) => a.localeCompare(b))) {
		for (const [metric, value] of Object.entries(f)) rows.push(["activity_total", metric, r.label, currency, "", value]);
	}
	for (const [currency, aging] of Object.entries(r.agingByCurrency).sort(([a], [b]) => a.localeCompare(b))) {
		for (const b of AGING_BUCKETS) rows.push(["aging", b, r.asOf, currency, "", aging[b]]);
	}
	for (const a of r.agingByAccount)
		for (const b of AGING_BUCKETS) rows.push(["aging_by_account", b, r.asOf, a.currency, a.accountId, a.aging[b]]);
	for (const [currency, dso] of Object.entries(r.daysSalesOutstanding).sort(([a], [b]) => a.localeCompare(b))) {
		rows.push(["dso", "days_sales_outstanding", r.label, currency, "", dso ?? ""]);
	}
	for (const a of r.topOverdueAccounts) rows.push(["top_overdue", "overdue_minor", r.asOf, a.currency, a.accountId, a.overdue]);
	return toCsvText(rows);
}

/** Some accounts' share of a report's records (`ReportInputs` but the payments); the tax is the monthly summary's. */
export interface ReportShare extends Pick<ReportInputs, "ledger" | "openInvoices"> {
	readonly invoices: readonly Pick<Invoice, "period" | "currency" | "total" | "tax">[];
}

/**
 * These accounts' share of the report of `months` as of `asOf`: their invoices billed for
 * those months, their ledger entries dated in them, and what each invoice had due on the
 * as-of date: the sum of its entries effective up to that day, so a report as of a past
 * date shows what was owed then, not today's amounts.
 */
export function reportShareOf(records: readonly AccountRecords[], months: ReportPeriod["months"], asOf: string): ReportShare {
	const periods = new Set(months.map((m) => m.period));
	const inMonths = (date: string) => months.some((m) => date >= m.periodStart && date <= m.periodEnd);
	const invoices: ReportShare["invoices"][number][] = [];
	const ledger: ReportShare["ledger"][number][] = [];
	const openInvoices: ReportShare["openInvoices"][number][] = [];
	for (const { entries, invoices: ofAccount } of records) {
		for (const i of ofAccount)
			if (periods.has(i.period)) invoices.push({ period: i.period, currency: i.currency, total: i.total, tax: i.tax });
		for (const e of entries) {
			if (inMonths(e.effectiveDate)) ledger.push({ type: e.type, amount: e.amount, currency: e.currency, effectiveDate: e.effectiveDate });
		}
		const dueAsOf = amountsDueAsOf(entries, asOf);
		for (const invoice of ofAccount) {
			const amountDue = dueAsOf.get(invoice.number) ?? 0;
			if (amountDue > 0)
				openInvoices.push({ accountId: invoice.accountId, currency: invoice.currency, dueDate: invoice.dueDate, amountDue });
		}
	}
	return { invoices, ledger, openInvoices };
}

/** The payments received in the report's months (the report counts a payment in the month it was received). */
export async function paymentsReceivedIn(deps: TableDeps, months: ReportPeriod["months"]): Promise<Payment[]> {
	if (months.length === 0) return [];
	const from = months.map((m) => m.periodStart).sort()[0] ?? "";
	const to =
		months
			.map((m) => m.periodEnd)
			.sort()
			.at(-1) ?? "";
	return listPaymentsReceived(deps, from, to);
}

/** The report's records, from every account (`reportShareOf`) and every payment. */
export async function loadReportInputs(deps: TableDeps, period: ReportPeriod, asOf: string): Promise<ReportInputs> {
	return {
		months: period.months,
		asOf,
		...reportShareOf(await everyAccountRecords(deps), period.months, asOf),
		payments: await paymentsReceivedIn(deps, period.months),
	};
}

/** Invoice number → what its ledger entries effective up to `asOf` leave due, where something is. */
function amountsDueAsOf(entries: readonly Pick<LedgerEntry, "invoiceNumber" | "amount" | "effectiveDate">[], asOf: string) {
	const due = new Map<string, number>();
	for (const e of entries) {
		if (e.invoiceNumber && e.effectiveDate <= asOf) due.set(e.invoiceNumber, (due.get(e.invoiceNumber) ?? 0) + e.amount);
	}
	for (const [number, amount] of due) if (amount <= 0) due.delete(number);
	return due;
}

export interface PublishedReportFiles {
	readonly csvKey: string;
	readonly jsonKey: string;
	readonly htmlKey: string;
}

/** Writes the report's CSV, JSON and HTML under reports/<label>/, from every account's records. */
export async function publishReportFiles(
	deps: ReportDeps & { readonly sellerName: string },
	period: ReportPeriod,
	asOf: string,
): Promise<PublishedReportFiles> {
	return writeReportFiles(deps, period, computeReport(period.label, period.kind, await loadReportInputs(deps, period, asOf)));
}

/** Writes a computed report under reports/<label>/; a closed month's reports stay as they were closed (DESIGN.md section 10). */
export async function writeReportFiles(
	deps: ReportDeps & { readonly sellerName: string },
	period: ReportPeriod,
	report: BillingReport,
): Promise<PublishedReportFiles> {
	const base = `reports/${period.label}/${period.kind}-billing-report`;
	const files: PublishedReportFiles = {
		// The monthly CSV name is taken by the cycle's summary CSV, kept as it was.
		csvKey: period.kind === "monthly" ? `${base}-figures.csv` : `${base}.csv`,
		jsonKey: `${base}.json`,
		htmlKey: `${base}.html`,
	};
	const closed = await closedThrough(deps);
	if (closed && (period.months.at(-1)?.period ?? "") <= closed) return files;
	const put = (Key: string, Body: string, ContentType: string) =>
		deps.s3.send(new PutObjectCommand({ Bucket: deps.bucketName, Key, Body, ContentType }));
	await put(files.csvKey, reportCsv(report), "text/csv");
	await put(files.jsonKey, `${JSON.stringify(report, null, 2)}\n`, "application/json");
	await put(files.htmlKey, renderReportHtml(report, deps.sellerName), "text/html; charset=utf-8");
	return files;
}
