import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { recordPayment } from "../../shared/payments/recording.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { listPeriodCloses } from "../../shared/store/books.js";
import { listLedgerEntries } from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

/**
 * Closing a month (DESIGN.md section 10): after `billing books close`, a write-off or a
 * payment dated into it is dated into the first open month and says so, and the closed
 * month's journal and trial balance come out the same bytes as when it was closed.
 */

/** A customer name a spreadsheet would run as a formula: the exports must write it as text. */
const HOSTILE_NAME = '=HYPERLINK("http://evil","x")';

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
const invoices: Record<string, string> = {};

const pay = (paymentId: string, amount: number, named: { accountId?: string; invoiceNumber?: string }, receivedAt: string) =>
	recordPayment(
		table,
		{ provider: "stripe", eventId: `evt_${paymentId}`, paymentId, amount, currency: "USD", receivedAt, ...named },
		"payment_intent.succeeded",
		"{}",
	);

beforeAll(async () => {
	stack = await startTestStack("close");
	billing = cliInProcess(stack);
	const clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
	for (const id of ["CLOSE-A", "CLOSE-B", "CLOSE-C", "CLOSE-D"]) {
		await putAccount(
			table,
			testAccount(id, {
				...(id === "CLOSE-A" ? { name: HOSTILE_NAME } : {}),
				plan: { code: "p", description: "Plan", unitAmount: 10_000, quantity: 1 },
			}),
		);
		const issued = await issueInvoiceForAccount(
			{ ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() },
			id,
			october,
		);
		invoices[id] = "invoiceNumber" in issued ? issued.invoiceNumber : "";
	}
	expect(await pay("pi_close_b", 10_000, { invoiceNumber: invoices["CLOSE-B"] }, "2026-11-05T10:00:00.000Z")).toMatchObject({
		result: "applied",
	});
	// Cash no one could apply: an open exception of November.
	expect(await pay("pi_close_typo", 700, { accountId: "CLOSE-TYPO" }, "2026-11-06T10:00:00.000Z")).toMatchObject({ result: "unapplied" });
}, 60_000);

afterAll(async () => {
	await stack?.stop();
});

describe("billing books close", () => {
	let journalAtClose = "";
	let trialBalanceAtClose = "";

	it("is refused while the month's exceptions are open, and without a reason when forced", async () => {
		const refused = await billing("books", "close", "--period", "2026-11");
		expect(refused.code).toBe(2);
		expect(refused.stderr).toMatch(
			/1 exception\(s\) from 2026-11 or before are open \(billing worklist\): payment:stripe:pi_close_typo; resolve them, or close with --force --reason/,
		);
		const noReason = await billing("books", "close", "--period", "2026-11", "--force");
		expect(noReason.code).toBe(2);
		expect(noReason.stderr).toMatch(/--force needs --reason/);
		expect(await listPeriodCloses(table)).toEqual([]);
	});

	it("closes the month with its books written one last time", async () => {
		journalAtClose = (await billing("books", "export", "--period", "2026-11", "--format", "csv")).stdout;
		trialBalanceAtClose = (await billing("books", "trial-balance", "--period", "2026-11", "--json")).stdout;
		expect(journalAtClose).toMatch(/2026-11-01,USD,1200,Accounts Receivable,100\.00,,invoice issued/);
		expect((await billing("report", "--period", "2026-11", "--as-of", "2026-12-01")).code).toBe(0);
		const closed = await billing(
			"books",
			"close",
			"--period",
			"2026-11",
			"--force",
			"--reason",
			"the agency takes the typo",
			"--actor",
			"cli:controller",
		);
		expect(closed.code).toBe(0);
		expect(JSON.parse(closed.stdout)).toMatchObject({ period: "2026-11", openItems: 1, ties: true });
		expect(await listPeriodCloses(table)).toEqual([
			expect.objectContaining({ period: "2026-11", actor: "cli:controller", reason: "the agency takes the typo", openItems: 1 }),
		]);
		const stored = await createClients().s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: "books/2026-11/journal.csv" }));
		expect(await stored.Body?.transformToString()).toBe(journalAtClose);

		const again = await billing("books", "close", "--period", "2026-11");
		expect(again.code).toBe(2);
		expect(again.stderr).toMatch(/the books are closed through 2026-11 already/);
	});

	it("exports a customer name that would run as a formula with a single quote before it, and amounts as they are", async () => {
		const quickbooks = (await billing("books", "export", "--period", "2026-11", "--format", "quickbooks")).stdout;
		const memo = `invoice issued: ${invoices["CLOSE-A"]} (CLOSE-A)`;
		expect(quickbooks).toContain(`2026-11-0001,11/01/2026,USD,Accounts Receivable,100.00,,${memo},"'=HYPERLINK(""http://evil"",""x"")"\n`);
		expect(quickbooks).not.toMatch(/,"?=HYPERLINK/);
		// Xero's credits are negative amounts: they stay numbers its import reads.
		const xero = (await billing("books", "export", "--period", "2026-11", "--format", "xero")).stdout;
		expect(xero).toContain(`2026-11-0001 USD ${memo},01/11/2026,${memo},4000,Tax Exempt,-100.00\n`);
	});

	it("dates a write-off or a payment dated into the closed month into the first open one, says where it went, and the closed month's books do not change", async () => {
		const writeOff = await billing(
			"write-off",
			"--invoice",
			invoices["CLOSE-A"] as string,
			"--reason",
			"customer gone",
			"--as-of",
			"2026-11-20",
		);
		expect(writeOff.code).toBe(0);
		expect(writeOff.stderr).toContain(`${invoices["CLOSE-A"]} written off on 2026-12-01 (asked for 2026-11-20; November 2026 is closed)`);
		const ledgerA = await listLedgerEntries(table, "CLOSE-A");
		expect(ledgerA.find((e) => e.type === "write_off")).toMatchObject({
			amount: -10_000,
			effectiveDate: "2026-12-01",
			datedFrom: "2026-11-20",
		});
		expect((await listAuditEntries(table, "invoice", invoices["CLOSE-A"] as string)).at(-1)).toMatchObject({
			action: "written_off",
			reason: "customer gone",
			requestedOn: "2026-11-20",
			bookedOn: "2026-12-01",
		});

		// A cheque entered by hand with the day it came in, in the closed month.
		const cheque = await billing(
			"payments",
			"record",
			"--account",
			"CLOSE-D",
			"--amount",
			"100.00",
			"--currency",
			"USD",
			"--reference",
			`cheque 1001 ${invoices["CLOSE-D"]}`,
			"--received",
			"2026-11-25",
		);
		expect(cheque.code).toBe(0);
		expect(JSON.parse(cheque.stdout)).toMatchObject({ result: "applied", invoiceNumbers: [invoices["CLOSE-D"]] });
		expect(cheque.stderr).toContain("payment booked on 2026-12-01 (asked for 2026-11-25; November 2026 is closed)");
		expect((await listAuditEntries(table, "invoice", invoices["CLOSE-D"] as string)).at(-1)).toMatchObject({
			action: "payment_applied",
			requestedOn: "2026-11-25",
			bookedOn: "2026-12-01",
		});

		// An invoice issued by hand with an issue date in the closed month: its ledger entry goes to December.
		const oneOff = await billing("invoices", "issue", "--account", "CLOSE-D", "--line", "Setup fee,1,50.00", "--date", "2026-11-15");
		expect(oneOff.code).toBe(0);
		const setupFee = JSON.parse(oneOff.stdout).invoice.number as string;
		expect(oneOff.stderr).toContain(`${setupFee} booked on 2026-12-01 (asked for 2026-11-15; November 2026 is closed)`);
		expect((await listAuditEntries(table, "invoice", setupFee)).at(-1)).toMatchObject({
			action: "finalized",
			requestedOn: "2026-11-15",
			bookedOn: "2026-12-01",
		});

		// A webhook that arrives late for a payment received in the closed month.
		expect(await pay("pi_close_c", 10_000, { invoiceNumber: invoices["CLOSE-C"] }, "2026-11-28T10:00:00.000Z")).toMatchObject({
			result: "applied",
		});
		expect((await listLedgerEntries(table, "CLOSE-C")).find((e) => e.type === "payment_applied")).toMatchObject({
			effectiveDate: "2026-12-01",
			datedFrom: "2026-11-28",
		});
		expect((await listAuditEntries(table, "invoice", invoices["CLOSE-C"] as string)).at(-1)).toMatchObject({
			action: "payment_applied",
			requestedOn: "2026-11-28",
			bookedOn: "2026-12-01",
		});

		expect((await billing("books", "export", "--period", "2026-11", "--format", "csv")).stdout).toBe(journalAtClose);
		const trialBalance = JSON.parse((await billing("books", "trial-balance", "--period", "2026-11", "--json")).stdout);
		expect(trialBalance.rows).toEqual(JSON.parse(trialBalanceAtClose).rows);
		// The month's report made again after the close: its files stay as they were closed.
		const s3 = createClients().s3;
		const read = async (key: string) =>
			(await (await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: key }))).Body?.transformToString()) ?? "";
		const reportAtClose = await read("reports/2026-11/monthly-billing-report.json");
		expect((await billing("report", "--period", "2026-11", "--as-of", "2027-01-15")).code).toBe(0);
		expect(await read("reports/2026-11/monthly-billing-report.json")).toBe(reportAtClose);
		const december = (await billing("books", "export", "--period", "2026-12", "--format", "csv")).stdout;
		expect(december).toMatch(/2026-12-01,USD,6100,Bad Debt Expense,100\.00,,write off/);
		expect(december).toMatch(/2026-12-01,USD,1010,Cash Clearing - Stripe,100\.00,,payment applied: stripe:pi_close_c/);
	});
});
