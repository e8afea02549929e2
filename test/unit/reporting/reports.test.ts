import { describe, expect, it } from "vitest";
import { renderReportHtml } from "../../../shared/documents/report-html.js";
import { isQuarterEnd, parseReportPeriod, quarterOf } from "../../../shared/reporting/report-period.js";
import { computeReport, reportCsv } from "../../../shared/reporting/reports.js";

/**
 * A hand-computed fixture, as of 2026-12-31. Open invoices (USD unless said):
 *   A1: 10,000 due 2027-01-10 (current) and 2,000 due 2026-12-31 (0 days: current)
 *   A2: 3,000 due 2026-12-01 (30 days: 1-30) and 4,000 due 2026-11-30 (31 days: 31-60)
 *   A3: 5,000 due 2026-10-01 (91 days: over 90) and 1,000 due 2026-10-02 (90 days: 61-90)
 *   B1: JPY 7,000 due 2026-12-15 (16 days: 1-30)
 * USD aging: current 12,000; 1-30 3,000; 31-60 4,000; 61-90 1,000; over 90 5,000 (total 25,000).
 */
const asOf = "2026-12-31";
const openInvoices = [
	{ accountId: "A1", currency: "USD", amountDue: 10_000, dueDate: "2027-01-10" },
	{ accountId: "A1", currency: "USD", amountDue: 2_000, dueDate: "2026-12-31" },
	{ accountId: "A2", currency: "USD", amountDue: 3_000, dueDate: "2026-12-01" },
	{ accountId: "A2", currency: "USD", amountDue: 4_000, dueDate: "2026-11-30" },
	{ accountId: "A3", currency: "USD", amountDue: 5_000, dueDate: "2026-10-01" },
	{ accountId: "A3", currency: "USD", amountDue: 1_000, dueDate: "2026-10-02" },
	{ accountId: "B1", currency: "JPY", amountDue: 7_000, dueDate: "2026-12-15" },
];
/**
 * Q4 activity (USD): October invoiced 2 invoices, 30,000; November 1 invoice, 20,000;
 * December 2 invoices, 12,000 + 13,000 = 25,000. JPY: December 1 invoice, 7,000.
 * Ledger in December: payment applied −9,000, credit memo −1,000, refund +500, write-off −2,500;
 * in November: payment applied −6,000. A September entry (outside) must not count.
 * Payments received: December 9,500 (500 of it unapplied), November 6,000.
 */
const invoices = [
	{ period: "2026-10", currency: "USD", total: 10_000 },
	{ period: "2026-10", currency: "USD", total: 20_000 },
	{ period: "2026-11", currency: "USD", total: 20_000 },
	{ period: "2026-12", currency: "USD", total: 12_000 },
	{ period: "2026-12", currency: "USD", total: 13_000 },
	{ period: "2026-12", currency: "JPY", total: 7_000 },
	{ period: "2026-09", currency: "USD", total: 99_999 },
];
const ledger = [
	{ type: "invoice_issued" as const, amount: 12_000, currency: "USD", effectiveDate: "2026-12-01" },
	{ type: "payment_applied" as const, amount: -9_000, currency: "USD", effectiveDate: "2026-12-10" },
	{ type: "credit_memo" as const, amount: -1_000, currency: "USD", effectiveDate: "2026-12-11" },
	{ type: "refund" as const, amount: 500, currency: "USD", effectiveDate: "2026-12-12" },
	{ type: "write_off" as const, amount: -2_500, currency: "USD", effectiveDate: "2026-12-31" },
	{ type: "payment_applied" as const, amount: -6_000, currency: "USD", effectiveDate: "2026-11-15" },
	{ type: "payment_applied" as const, amount: -1_234, currency: "USD", effectiveDate: "2026-09-30" },
];
const payments = [
	{ amount: 9_500, currency: "USD", receivedAt: "2026-12-10T08:00:00.000Z" },
	{ amount: 6_000, currency: "USD", receivedAt: "2026-11-15T08:00:00.000Z" },
];

describe("the monthly report", () => {
	const december = computeReport("2026-12", "monthly", {
		months: parseReportPeriod("2026-12").months,
		asOf,
		invoices,
		ledger,
		payments,
		openInvoices,
	});

	it("buckets receivables by days past due as of the as-of date, per currency", () => {
		// The bucket boundaries themselves are tested with the one definition, test/unit/core/aging.test.ts.
		expect(december.agingByCurrency).toEqual({
			USD: { current: 12_000, "1-30": 3_000, "31-60": 4_000, "61-90": 1_000, "over 90": 5_000 },
			JPY: { current: 0, "1-30": 7_000, "31-60": 0, "61-90": 0, "over 90": 0 },
		});
	});

	it("ages each account and ranks the top overdue accounts, most overdue first", () => {
		expect(december.agingByAccount.map((a) => [a.accountId, a.total, a.overdue, a.maxDaysOverdue])).toEqual([
			["B1", 7_000, 7_000, 16],
			["A1", 12_000, 0, 0],
			["A2", 7_000, 7_000, 31],
			["A3", 6_000, 6_000, 91],
		]);
		expect(december.topOverdueAccounts.map((a) => a.accountId)).toEqual(["A3", "A2", "B1"]);
	});

	it("totals the month's activity from its invoices, payments and ledger entries", () => {
		expect(december.totals.USD).toEqual({
			invoicesIssued: 2,
			invoicedAmount: 25_000,
			creditMemos: 1_000,
			paymentsReceived: 9_500,
			paymentsApplied: 9_000,
			refunds: 500,
			writeOffs: 2_500,
			// 25,000 + 500 − 9,000 − 1,000 − 2,500
			netChangeInReceivables: 13_000,
		});
		expect(december.totals.JPY).toMatchObject({ invoicesIssued: 1, invoicedAmount: 7_000, netChangeInReceivables: 7_000 });
	});

	it("computes days sales outstanding: receivables ÷ invoiced × days", () => {
		// USD 25,000 / 25,000 × 31 days; JPY 7,000 / 7,000 × 31.
		expect(december.daysSalesOutstanding).toEqual({ USD: 31, JPY: 31 });
	});

	it("writes one CSV row per figure and an HTML page with its charts", () => {
		const csv = reportCsv(december);
		expect(csv.split("\n")[0]).toBe("section,metric,period,currency,account,value");
		expect(csv).toContain("aging,over 90,2026-12-31,USD,,5000\n");
		expect(csv).toContain("activity_total,netChangeInReceivables,2026-12,USD,,13000\n");
		expect(csv).toContain("dso,days_sales_outstanding,2026-12,USD,,31\n");
		expect(csv).toContain("top_overdue,overdue_minor,2026-12-31,USD,A3,6000\n");
		const html = renderReportHtml(december, "Example <Billing> Co.");
		expect(html).toContain("Example &lt;Billing&gt; Co.");
		expect(html.match(/<svg /g)).toHaveLength(4);
		expect(html).toContain("USD 50.00");
		expect(html).toContain("JPY 7,000");
		expect(html).toContain("<th>Current</th><th>1-30 days</th><th>31-60 days</th><th>61-90 days</th><th>Over 90 days</th>");
	});
});

describe("net change in receivables", () => {
	it("counts chargebacks and voids like every other entry that moves what customers owe", () => {
		const report = computeReport("2026-12", "monthly", {
			months: parseReportPeriod("2026-12").months,
			asOf,
			invoices: [
				{ period: "2026-12", currency: "USD", total: 10_000 },
				{ period: "2026-12", currency: "USD", total: 4_000 },
			],
			ledger: [
				{ type: "payment_applied" as const, amount: -10_000, currency: "USD", effectiveDate: "2026-12-05" },
				{ type: "chargeback" as const, amount: 10_000, currency: "USD", effectiveDate: "2026-12-20" },
				{ type: "invoice_voided" as const, amount: -4_000, currency: "USD", effectiveDate: "2026-12-21" },
				{ type: "account_credit" as const, amount: -500, currency: "USD", effectiveDate: "2026-12-22" },
			],
			payments: [],
			openInvoices: [{ accountId: "A1", currency: "USD", amountDue: 10_000, dueDate: "2027-01-10" }],
		});
		// 14,000 invoiced − 10,000 applied + 10,000 charged back − 4,000 voided: the 10,000 the customer owes again.
		expect(report.totals.USD?.netChangeInReceivables).toBe(10_000);
		// The voided 4,000 is not sales: invoicing is net of it, and DSO counts only the 10,000.
		expect(report.totals.USD).toMatchObject({ invoicesIssued: 2, invoicedAmount: 10_000 });
		expect(report.daysSalesOutstanding.USD).toBe(31);
	});
});

describe("the quarterly report", () => {
	const q4 = computeReport("2026-Q4", "quarterly", {
		months: parseReportPeriod("2026-Q4").months,
		asOf,
		invoices,
		ledger,
		payments,
		openInvoices,
	});

	it("has the quarter's months as columns and their sum as the total", () => {
		expect(q4.months.map((m) => [m.period, m.byCurrency.USD?.invoicedAmount ?? 0, m.byCurrency.USD?.paymentsApplied ?? 0])).toEqual([
			["2026-10", 30_000, 0],
			["2026-11", 20_000, 6_000],
			["2026-12", 25_000, 9_000],
		]);
		expect(q4.totals.USD).toMatchObject({
			invoicesIssued: 5,
			invoicedAmount: 75_000,
			paymentsReceived: 15_500,
			netChangeInReceivables: 57_000,
		});
		// USD 25,000 / 75,000 × 92 days = 30.67 → 30.7.
		expect(q4.daysSalesOutstanding.USD).toBe(30.7);
	});

	it("knows the quarters", () => {
		expect(["2026-03", "2026-06", "2026-09", "2026-12", "2026-10"].map(isQuarterEnd)).toEqual([true, true, true, true, false]);
		expect(quarterOf("2026-11")).toBe("2026-Q4");
		expect(parseReportPeriod("2026-Q1").months.map((m) => [m.periodStart, m.periodEnd])).toEqual([
			["2026-01-01", "2026-01-31"],
			["2026-02-01", "2026-02-28"],
			["2026-03-01", "2026-03-31"],
		]);
		expect(() => parseReportPeriod("2026-Q5")).toThrow(/YYYY-MM or YYYY-Qn/);
	});
});
