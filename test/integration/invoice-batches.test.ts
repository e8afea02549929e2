import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../../shared/core/model.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { issueInvoicesForBatch } from "../../shared/invoicing/invoice-batch.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { issueStatementsForBatch } from "../../shared/invoicing/statements.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { balanceChange, putAccount, statementCut } from "../../shared/store/accounts.js";
import { cycleAccountKeys, RecordsRead } from "../../shared/store/batch-reads.js";
import { keys } from "../../shared/store/keys.js";
import { ledgerEntryPut } from "../../shared/store/ledger.js";
import { getAccount, getInvoice, listInvoicesOfPeriod } from "../../shared/store/records.js";
import { getStatement } from "../../shared/store/statements.js";
import { transactWrite } from "../../shared/store/transact.js";
import { startTestStack } from "../support/embedded.js";
import { storedPdfText } from "../support/pdf.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
type Handler = (event: unknown, context: Context) => Promise<Record<string, unknown>>;
let stack: Stack;
let deps: Parameters<typeof issueInvoiceForAccount>[0];
let generate: Handler;
let deliver: Handler;
const context = { functionName: "test", awsRequestId: "req-1", getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
const october = { period: "2026-10", periodStart: "2026-10-01", periodEnd: "2026-10-31", asOf: "2026-11-01" };
const november = resolveBillingPeriod({ period: "2026-11", asOf: "2026-12-01" }, new Date("2026-12-01"));
const noFailure = async () => undefined;

function account(accountId: string, overrides: Partial<Account> = {}): Account {
	return {
		accountId,
		name: `Customer ${accountId}`,
		email: `ap+${stack.tag}-${accountId.toLowerCase()}@example.com`,
		currency: "USD",
		status: "active",
		taxRatePpm: 0,
		paymentTermsDays: 30,
		delivery: "email",
		addressLines: ["1 Main St", "Springfield"],
		plan: { code: "p", description: "Plan", unitAmount: 10_000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
		...overrides,
	};
}

const batch: Account[] = [];
const items = () => batch.map((a) => ({ accountId: a.accountId }));

/** Invoices of the period by currency, as Summarize Invoicing used to count them from the table. */
async function storedTotals(period: string) {
	const totals: Record<string, { invoices: number; total: number }> = {};
	for (const invoice of await listInvoicesOfPeriod(deps, period)) {
		const bucket = totals[invoice.currency] ?? { invoices: 0, total: 0 };
		bucket.invoices += 1;
		bucket.total += invoice.total;
		totals[invoice.currency] = bucket;
	}
	return totals;
}

beforeAll(async () => {
	stack = await startTestStack("invoice-batches");
	const { ddb, s3 } = createClients();
	deps = { ddb, s3, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
	batch.push(
		account("ACC-B1"),
		account("ACC-B2", { plan: { code: "p", description: "Plan", unitAmount: 20_000, quantity: 2 } }),
		account("ACC-B3", { email: "not an address" }),
		account("ACC-B4", { currency: "EUR", plan: { code: "p", description: "Plan", unitAmount: 9_900, quantity: 1 } }),
		account("ACC-B5", { currency: "EUR", delivery: "postal", plan: { code: "p", description: "Plan", unitAmount: 4_500, quantity: 3 } }),
		account("ACC-B6", { currency: "JPY", plan: undefined }),
	);
	for (const a of batch) await putAccount(deps, a);
	// The handlers read the stack's names from the environment startTestStack set.
	generate = (await import("../../functions/generate-invoices/handler.js")).handler as unknown as Handler;
	deliver = (await import("../../functions/deliver-invoices/handler.js")).handler as unknown as Handler;
});

afterAll(async () => {
	await stack?.stop();
});

describe("a batch of the Invoice Accounts map", () => {
	it("Generate Invoices totals the batch's invoices for the period by currency, each account's once, issued now or before", async () => {
		// Issued by an earlier attempt: counted, not issued again.
		await issueInvoiceForAccount(deps, "ACC-B1", resolveBillingPeriod(october, new Date("2026-11-01")));
		const first = await generate({ billing: october, items: items() }, context);
		expect(first).toMatchObject({ issued: 4, alreadyIssued: 1, nothingToBill: 1, failed: 0, statements: 5 });
		expect(first.totalsByCurrency).toEqual({
			USD: { invoices: 3, total: 10_000 + 40_000 + 10_000 },
			EUR: { invoices: 2, total: 9_900 + 13_500 },
		});
		expect(first.totalsByCurrency).toEqual(await storedTotals("2026-10"));
		// The statement ages what the account owes: here its new invoice alone.
		expect((await getStatement(deps, "ACC-B2", "2026-10"))?.aging).toMatchObject({ current: 40_000 });

		const again = await generate({ billing: october, items: items() }, context);
		expect(again).toMatchObject({ issued: 0, alreadyIssued: 5, nothingToBill: 1, failed: 0, statements: 5 });
		expect(again.totalsByCurrency).toEqual(first.totalsByCurrency);
		expect(again.invoiceNumbers).toEqual(first.invoiceNumbers);
	});

	it("Deliver Invoices counts the batch's invoices emailed and queued for print, now or before", async () => {
		const invoiceNumbers = (await listInvoicesOfPeriod(deps, "2026-10")).map((i) => i.number);
		const first = await deliver({ billing: october, invoiceNumbers, items: items() }, context);
		// ACC-B3's address cannot be delivered to; ACC-B5 is postal.
		expect(first).toMatchObject({ emailed: 3, queuedForPrint: 1, failed: 1, invoiceEmailsSent: 3, postalInvoices: 1 });
		const again = await deliver({ billing: october, invoiceNumbers, items: items() }, context);
		expect(again).toMatchObject({ emailed: 0, alreadyDelivered: 4, failed: 1, invoiceEmailsSent: 3, postalInvoices: 1 });
		for (const number of invoiceNumbers) {
			const invoice = await getInvoice(deps, number);
			const email = await deps.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.delivery(number, "email") }));
			expect(email.Item?.status).toBe(invoice?.accountId === "ACC-B3" ? "failed" : invoice?.accountId === "ACC-B5" ? undefined : "sent");
		}
	});

	it("numbers a batch's invoices gapless and starts over only the accounts that changed since they were read", async () => {
		const ids = batch.map((a) => a.accountId);
		const read = await RecordsRead.of(deps, cycleAccountKeys(ids, november.period));
		// After the batch read them: ACC-B1 gets its invoice from elsewhere, ACC-B2 gets account credit.
		const elsewhere = await issueInvoiceForAccount(deps, "ACC-B1", november);
		const recordedAt = new Date().toISOString();
		await transactWrite(deps, [
			ledgerEntryPut(deps.tableName, {
				accountId: "ACC-B2",
				type: "account_credit",
				amount: -500,
				currency: "USD",
				reference: "credit",
				effectiveDate: recordedAt.slice(0, 10),
				recordedAt,
			}),
			balanceChange(deps.tableName, { accountId: "ACC-B2", balanceDelta: -500, creditDelta: 500, recordedAt }),
		]);

		const result = await issueInvoicesForBatch(deps, ids, november, noFailure, read);
		expect(result).toMatchObject({ issued: 4, alreadyIssued: 1, nothingToBill: 1, failed: 0 });
		expect(result.invoiceNumbers[0]).toBe("invoiceNumber" in elsewhere ? elsewhere.invoiceNumber : "");
		const invoices = await listInvoicesOfPeriod(deps, november.period);
		expect(invoices).toHaveLength(5);
		// Gapless and unique in the series, October's 5 before them.
		const sequence = invoices.map((i) => Number(i.number.slice(-6))).sort((a, b) => a - b);
		expect(sequence).toEqual([6, 7, 8, 9, 10]);
		const series = await deps.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.invoiceSeries("INV-2026") }));
		expect(series.Item?.last).toBe(10);
		// ACC-B2's invoice was priced again on the account as it is now: the credit pays part of it.
		const b2 = invoices.find((i) => i.accountId === "ACC-B2");
		expect(b2).toMatchObject({ total: 40_000, creditApplied: 500, amountDue: 39_500 });
		expect(await getAccount(deps, "ACC-B2")).toMatchObject({ balance: 40_000 + 40_000 - 500, creditBalance: 0 });
		expect(result.totalsByCurrency).toEqual(await storedTotals(november.period));
	});

	it("keeps the statement PDF an earlier attempt stored before it failed, and writes a new statement's", async () => {
		// An attempt cut ACC-B4's ledger and stored the PDF, then failed before storing the statement.
		await transactWrite(deps, [statementCut(deps.tableName, "ACC-B4", new Date().toISOString())]);
		const earlier = new TextEncoder().encode("%PDF-1.7 the earlier attempt's");
		await deps.s3.send(
			new PutObjectCommand({
				Bucket: stack.bucketName,
				Key: "statements/2026-11/ACC-B4.pdf",
				Body: earlier,
				ContentType: "application/pdf",
			}),
		);
		const issued = await issueStatementsForBatch(deps, ["ACC-B4", "ACC-B2"], "2026-11", "2026-12-01", noFailure);
		expect(issued).toBe(2);
		const kept = await deps.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: "statements/2026-11/ACC-B4.pdf" }));
		expect(Buffer.from((await kept.Body?.transformToByteArray()) as Uint8Array).equals(Buffer.from(earlier))).toBe(true);
		const b2 = await getStatement(deps, "ACC-B2", "2026-11");
		expect(b2).toMatchObject({ openingBalance: 40_000, closingBalance: 40_000 + 40_000 - 500 });
		// October's invoice is still due besides November's (less the credit it consumed): both are aged.
		expect(b2?.aging).toEqual({ current: 40_000 + 39_500, "1-30": 0, "31-60": 0, "61-90": 0, "over 90": 0 });
		expect(await storedPdfText(deps.s3, stack.bucketName, "statements/2026-11/ACC-B2.pdf")).toContain("ACC-B2");
	});
});
