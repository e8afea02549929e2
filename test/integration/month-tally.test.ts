import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeOffInvoice } from "../../shared/collections/write-off.js";
import type { Account } from "../../shared/core/model.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { verifyLedgersOf } from "../../shared/cycle/account-review.js";
import { publishMonthlyReport, publishQuarterlyReport } from "../../shared/cycle/month-tally.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { identifyOutstandingAccounts } from "../../shared/invoicing/manifest.js";
import { recordPayment } from "../../shared/payments/recording.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { exportJournal, trialBalanceCsv } from "../../shared/reporting/book-files.js";
import { periodBooks } from "../../shared/reporting/books.js";
import { DEFAULT_CHART } from "../../shared/reporting/journal.js";
import { parseReportPeriod } from "../../shared/reporting/report-period.js";
import { computeReport, loadReportInputs, paymentsReceivedIn, reportCsv } from "../../shared/reporting/reports.js";
import { putAccount } from "../../shared/store/accounts.js";
import { getAccount, listInvoicesOfAccount } from "../../shared/store/records.js";
import { startTestStack } from "../support/embedded.js";
import { putMapResults } from "../support/map-results.js";

/**
 * The month's books and reports as the cycle publishes them: each Review Accounts batch
 * tallies its accounts, Publish Monthly Report adds the tallies up. The files must be the
 * same bytes as the books and report read from every account at once, closed accounts
 * included, and a failed batch must leave books that say they are incomplete.
 */
type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: Parameters<typeof publishMonthlyReport>[0] & Parameters<typeof issueInvoiceForAccount>[0];

const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date());

function account(accountId: string, currency: string): Account {
	return {
		accountId,
		name: `Customer ${accountId}`,
		email: `ap+${accountId.toLowerCase()}@example.com`,
		currency,
		status: "active",
		taxRatePpm: 0,
		paymentTermsDays: 30,
		delivery: "email",
		addressLines: ["1 Main St"],
		plan: { code: "team", description: "Team plan", unitAmount: 10_000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
	};
}

async function pay(invoiceNumber: string, amount: number, currency: string, receivedAt: string, id: string): Promise<void> {
	await recordPayment(
		deps,
		{ provider: "test", paymentId: id, eventId: `evt-${id}`, invoiceNumber, amount, currency, receivedAt },
		"payment.succeeded",
		"{}",
	);
}

/** The number of the invoice just issued. */
async function issue(accountId: string, period: ReturnType<typeof resolveBillingPeriod>): Promise<string> {
	const issued = await issueInvoiceForAccount(deps, accountId, period);
	if (issued.outcome === "nothing_to_bill") throw new Error(`${accountId} has nothing to bill in ${period.period}`);
	return issued.invoiceNumber;
}

async function text(key: string): Promise<string> {
	const object = await deps.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: key }));
	return (await object.Body?.transformToString()) ?? "";
}

beforeAll(async () => {
	stack = await startTestStack("month-tally");
	const { ddb, s3 } = createClients();
	deps = { ddb, s3, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig(), sellerName: "Example Co" };
	const august = resolveBillingPeriod({ period: "2026-08", asOf: "2026-09-01" }, new Date());
	const september = resolveBillingPeriod({ period: "2026-09", asOf: "2026-10-01" }, new Date());
	for (const [id, currency] of [
		["TAL-1", "USD"],
		["TAL-2", "EUR"],
		["TAL-3", "USD"],
		["TAL-4", "USD"],
	] as const)
		await putAccount(deps, account(id, currency));
	// TAL-3 was billed in August, paid in September and closed: no run bills it again, its revenue stays in the books.
	await pay(await issue("TAL-3", august), 10_000, "USD", "2026-09-15T00:00:00.000Z", "p-tal-3");
	const paid = await getAccount(deps, "TAL-3");
	if (!paid) throw new Error("TAL-3 is missing");
	await putAccount(deps, { ...paid, status: "closed", closedOn: "2026-09-30" });
	await issue("TAL-1", august);
	const september1 = await issue("TAL-1", september);
	const september2 = await issue("TAL-2", september);
	const september4 = await issue("TAL-4", september);
	await pay(september1, 4_000, "USD", "2026-10-10T00:00:00.000Z", "p-tal-1");
	// 2,000 more than TAL-2 owes: account credit.
	await pay(september2, 12_000, "EUR", "2026-10-12T00:00:00.000Z", "p-tal-2");
	await writeOffInvoice(deps, september4, "customer gone", new Date("2026-10-20T12:00:00.000Z"));
});

afterAll(async () => {
	await stack?.stop();
});

describe("the month's books and reports, tallied per batch and added up", () => {
	it("publishes the same books and report as reading every account, closed accounts included", async () => {
		const manifests = await identifyOutstandingAccounts(deps, october);
		const listed = async (key: string) => (JSON.parse(await text(key)) as { accountId: string }[]).map((a) => a.accountId);
		expect(await listed(manifests.manifest.key)).toEqual(["TAL-1", "TAL-2", "TAL-4"]);
		expect(await listed(manifests.reviewManifest.key)).toEqual(["TAL-1", "TAL-2", "TAL-3", "TAL-4"]);

		const batches = [["TAL-3", "TAL-1"], ["TAL-2"], ["TAL-4"]];
		const outputs = [];
		for (const batch of batches) outputs.push({ ledgers: await verifyLedgersOf(deps, october, batch) });
		expect(outputs.map((o) => o.ledgers.tally.key)).toEqual([
			"runs/2026-10/review-accounts/tallies/TAL-3.json",
			"runs/2026-10/review-accounts/tallies/TAL-2.json",
			"runs/2026-10/review-accounts/tallies/TAL-4.json",
		]);
		const results = await putMapResults(deps.s3, stack.bucketName, "runs/2026-10/review-accounts", { succeeded: outputs });
		const published = await publishMonthlyReport(deps, october, results);
		expect(published).toMatchObject({ accountsNotTallied: 0, books: { ties: true }, quarter: "2026-Q4", quarterEnd: false });

		const whole = await periodBooks(deps, "2026-10", DEFAULT_CHART);
		expect(await text("books/2026-10/trial-balance.csv")).toBe(trialBalanceCsv(whole.trialBalance));
		expect(await text("books/2026-10/journal.csv")).toBe(exportJournal(whole, "csv", DEFAULT_CHART));
		expect(await text("books/2026-10/journal-quickbooks.csv")).toBe(exportJournal(whole, "quickbooks", DEFAULT_CHART));
		expect(await text("books/2026-10/journal-xero.csv")).toBe(exportJournal(whole, "xero", DEFAULT_CHART));
		const month = parseReportPeriod("2026-10");
		const report = computeReport("2026-10", "monthly", await loadReportInputs(deps, month, october.asOf));
		expect(await text(published.csvKey)).toBe(reportCsv(report));

		// What the auditor checks by hand, in cents.
		const row = (code: string, currency: string) => whole.trialBalance.rows.find((r) => r.code === code && r.currency === currency);
		expect(row("1200", "USD")).toMatchObject({ opening: 10_000, debits: 20_000, credits: 14_000, closing: 16_000 });
		// Both August invoices, the closed account's among them.
		expect(row("4000", "USD")).toMatchObject({ opening: -20_000, credits: 20_000, closing: -40_000 });
		expect(row("6100", "USD")).toMatchObject({ debits: 10_000, closing: 10_000 });
		expect(row("2300", "EUR")).toMatchObject({ closing: -2_000 });
		expect(report.months[0]?.byCurrency.USD).toMatchObject({ paymentsReceived: 4_000, writeOffs: 10_000 });
		expect(report.months[0]?.byCurrency.EUR).toMatchObject({ paymentsReceived: 12_000 });
		expect(report.agingByAccount.map((a) => [a.accountId, a.total])).toEqual([["TAL-1", 16_000]]);
		expect(await text("reports/2026-10/monthly-billing-report.csv")).toContain("receivables,open_receivables_minor,USD,16000");

		// The quarter's report from the same tallies equals the quarter read whole (October is its first month).
		const quarter = await publishQuarterlyReport(deps, october, "2026-Q4", results);
		const q4 = computeReport("2026-Q4", "quarterly", await loadReportInputs(deps, parseReportPeriod("2026-Q4"), october.asOf));
		expect(await text(quarter.csvKey)).toBe(reportCsv(q4));
	});

	it("counts a payment in the month it was received, to the millisecond at either end", async () => {
		const [august] = (await listInvoicesOfAccount(deps, "TAL-1")).filter((i) => i.period === "2026-08");
		for (const [id, at] of [
			["b-sep-last", "2026-09-30T23:59:59.999Z"],
			["b-oct-first", "2026-10-01T00:00:00.000Z"],
			["b-oct-last", "2026-10-31T23:59:59.999Z"],
			["b-nov-first", "2026-11-01T00:00:00.000Z"],
		] as const)
			await pay(august?.number ?? "", 1, "USD", at, id);
		const october = await paymentsReceivedIn(deps, parseReportPeriod("2026-10").months);
		expect(october.map((p) => p.paymentId)).toEqual(["b-oct-first", "p-tal-1", "p-tal-2", "b-oct-last"]);
		expect(october.map((p) => p.amount)).toEqual([1, 4_000, 12_000, 1]);
	});

	it("says the books are incomplete when a batch failed, and names how many accounts are missing", async () => {
		const tallied = { ledgers: await verifyLedgersOf(deps, october, ["TAL-1", "TAL-2"]) };
		const results = await putMapResults(deps.s3, stack.bucketName, "runs/2026-10/review-accounts", {
			succeeded: [tallied],
			failed: [
				{
					input: { BatchInput: { billing: october }, Items: [{ accountId: "TAL-3" }, { accountId: "TAL-4" }] },
					error: "States.TaskFailed",
					cause: "DynamoDB unavailable",
				},
			],
		});
		const published = await publishMonthlyReport(deps, october, results);
		expect(published).toMatchObject({ accountsNotTallied: 2, books: { ties: false } });
		const report = JSON.parse(await text(published.jsonKey)) as { books: { ties: boolean } };
		expect(report.books.ties).toBe(false);
	});
});
