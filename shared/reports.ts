import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { listInvoicesOfPeriod, listOpenInvoicesDueBy, listPayments, type TableDeps } from "./db.js";
import type { BillingPeriod } from "./period.js";

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

export interface PublishedReport {
	readonly monthlyReportKey: string;
	readonly rows: number;
}

function add(map: Map<string, number>, currency: string, amount: number): void {
	map.set(currency, (map.get(currency) ?? 0) + amount);
}

/**
 * The month's figures, amounts in minor units: invoices issued for the period, payments
 * received from the period's start up to the run's as-of date, unapplied cash, and open
 * receivables as of that date.
 */
export async function buildMonthlyReport(deps: TableDeps, period: BillingPeriod): Promise<MonthlyReportRow[]> {
	const invoices = await listInvoicesOfPeriod(deps, period.period);
	const issuedCount = new Map<string, number>();
	const issuedTotal = new Map<string, number>();
	const issuedTax = new Map<string, number>();
	for (const invoice of invoices) {
		add(issuedCount, invoice.currency, 1);
		add(issuedTotal, invoice.currency, invoice.total);
		add(issuedTax, invoice.currency, invoice.tax);
	}
	const windowEnd = `${period.asOf}T23:59:59.999Z`;
	const payments = (await listPayments(deps)).filter(
		(p) => p.receivedAt >= `${period.periodStart}T00:00:00.000Z` && p.receivedAt <= windowEnd,
	);
	const received = new Map<string, number>();
	const applied = new Map<string, number>();
	const unapplied = new Map<string, number>();
	for (const payment of payments) {
		add(received, payment.currency, payment.amount);
		add(applied, payment.currency, payment.appliedAmount);
		add(unapplied, payment.currency, payment.unappliedAmount);
	}
	const open = await listOpenInvoicesDueBy(deps, "9999-12-31");
	const receivable = new Map<string, number>();
	const overdue = new Map<string, number>();
	for (const invoice of open) {
		add(receivable, invoice.currency, invoice.amountDue);
		if (invoice.dueDate < period.asOf) add(overdue, invoice.currency, invoice.amountDue);
	}
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
	const csvField = (v: string | number) => {
		const s = String(v);
		return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
	};
	return [["section", "metric", "currency", "value"], ...rows.map((r) => [r.section, r.metric, r.currency, r.value])]
		.map((cols) => cols.map(csvField).join(","))
		.join("\n")
		.concat("\n");
}

export async function publishMonthlyReport(deps: ReportDeps, period: BillingPeriod): Promise<PublishedReport> {
	const rows = await buildMonthlyReport(deps, period);
	const key = `reports/${period.period}/monthly-billing-report.csv`;
	await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucketName, Key: key, Body: toCsv(rows), ContentType: "text/csv" }));
	return { monthlyReportKey: key, rows: rows.length };
}
