import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { PDFParse } from "pdf-parse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executionArnFor, PeriodAlreadyRunError, postStripeEvent, runBillingCycle, statesFromHistory } from "../../local/cli/operations.js";
import { buildSeedData, seedDemoData } from "../../local/demo/seed.js";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../local/emulator/environment.js";
import { invokeLocalFunction, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import type { EscalationResult } from "../../shared/collections/dunning.js";
import type { Invoice } from "../../shared/core/model.js";
import { formatMoney } from "../../shared/core/money.js";
import { addDays } from "../../shared/core/period.js";
import type { InvoicingSummary } from "../../shared/cycle/run-records.js";
import { createClients } from "../../shared/platform/clients.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { executionHistory } from "../../shared/runs/history.js";
import { getAccount, getInvoice, listInvoicesOfPeriod, listPayments } from "../../shared/store/records.js";
import { sentMail, startTestStack } from "../support/embedded.js";
import { pdfText } from "../support/pdf.js";

const PERIOD = "2026-10";
const AS_OF = "2026-11-01";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let s3: ReturnType<typeof createClients>["s3"];
let invoices: Invoice[];
let seed: ReturnType<typeof buildSeedData>;
let runOutput: { invoicing: InvoicingSummary };

const mailOfThisTest = () => sentMail((m) => m.destination.to.some((to) => to.includes(stack.tag)));

function paymentEvent(id: string, piId: string, invoice: Pick<Invoice, "number" | "currency">, amount: number) {
	return {
		id,
		object: "event",
		type: "payment_intent.succeeded",
		created: Math.floor(Date.now() / 1000),
		data: {
			object: {
				id: piId,
				object: "payment_intent",
				amount_received: amount,
				currency: invoice.currency.toLowerCase(),
				metadata: { invoice_number: invoice.number },
			},
		},
	};
}

beforeAll(async () => {
	stack = await startTestStack("e2e", { http: true });
	({ s3 } = createClients());
	deps = { ddb: createClients().ddb, tableName: stack.tableName };
	seed = buildSeedData(20, 7, PERIOD, { emailTag: stack.tag });
	await seedDemoData(deps, seed, PERIOD, join(stack.dataDir, "seed"));
	const result = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: PERIOD, asOf: AS_OF });
	expect(result.status).toBe("SUCCEEDED");
	runOutput = result.output as typeof runOutput;
	invoices = (await listInvoicesOfPeriod(deps, PERIOD)).sort((a, b) => a.number.localeCompare(b.number));
});

afterAll(async () => {
	await stack?.stop();
});

describe("a billing month on the embedded stack", () => {
	it("issues one invoice per billable account, numbered gapless from 1", () => {
		const billable = seed.accounts.filter((a) => a.status !== "closed");
		expect(invoices.map((i) => i.accountId).sort()).toEqual(billable.map((a) => a.accountId).sort());
		expect(invoices.map((i) => i.number)).toEqual(billable.map((_, i) => `INV-2026-${String(i + 1).padStart(6, "0")}`));
		for (const invoice of invoices) {
			expect(invoice.total).toBe(invoice.lines.reduce((a, l) => a + l.amount + l.tax, 0));
			expect(invoice.amountDue).toBe(invoice.total);
			expect(invoice.issueDate).toBe(AS_OF);
		}
	});

	it("stores each invoice's PDF in S3 with its number and total in its text", async () => {
		for (const invoice of invoices) {
			const object = await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: invoice.pdfKey }));
			const bytes = await object.Body?.transformToByteArray();
			expect(bytes && Buffer.from(bytes.slice(0, 5)).toString()).toBe("%PDF-");
			const text = await pdfText(bytes as Uint8Array);
			expect(text).toContain(invoice.number);
			expect(text).toContain(formatMoney({ amount: invoice.total, currency: invoice.currency }));
		}
	});

	it("emails each email-delivery invoice once with its PDF and the account's statement attached; postal goes to print", async () => {
		const mail = await mailOfThisTest();
		const emailed = invoices.filter((i) => i.accountId !== "ACC-0005" && i.accountId !== "ACC-0007");
		expect(mail).toHaveLength(emailed.length);
		for (const invoice of emailed) {
			const messages = mail.filter((m) => m.subject.includes(invoice.number));
			expect(messages).toHaveLength(1);
			const message = messages[0] as (typeof messages)[number];
			expect(message.destination.to.join()).toContain(invoice.billTo.email);
			expect(message.attachments.map((a) => a.filename)).toEqual([`${invoice.number}.pdf`, `statement-${invoice.accountId}-${PERIOD}.pdf`]);
			const object = await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: invoice.pdfKey }));
			const pdf = Buffer.from((await object.Body?.transformToByteArray()) as Uint8Array);
			expect(Buffer.from(message.attachments[0]?.content ?? "", "base64").equals(pdf)).toBe(true);
			// The expiring link in the email, a CloudFront-style signed URL served by the embedded front, serves the same PDF
			// (test/e2e/document-links.test.ts checks its expiry and signature).
			const link = /Download invoice \S+ \(PDF\): (\S+)/.exec(message.body.text ?? "")?.[1];
			expect(link?.startsWith(`${stack.endpoints.http}/${invoice.pdfKey}?`), link).toBe(true);
			expect(new URL(link as string).searchParams.get("Expires")).toMatch(/^\d+$/);
			const downloaded = await fetch(link as string);
			expect(downloaded.status).toBe(200);
			expect(Buffer.from(await downloaded.arrayBuffer()).equals(pdf)).toBe(true);
		}
		expect(runOutput.invoicing.postalInvoices).toBe(1);
		expect(runOutput.invoicing.emailsSent).toBe(emailed.length);
	});

	it("puts the postal invoice and its statement into the period's print batch: one merged PDF and a manifest", async () => {
		const postal = invoices.find((i) => i.accountId === "ACC-0005") as (typeof invoices)[number];
		const manifest = await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: `print/${PERIOD}/manifest.csv` }));
		const rows = (await manifest.Body?.transformToString())?.trim().split("\r\n") ?? [];
		expect(rows).toHaveLength(3);
		expect(rows[1]).toMatch(new RegExp(`^1,${postal.number},ACC-0005,.*,1,1$`));
		expect(rows[2]).toMatch(new RegExp(`^2,statement-ACC-0005-${PERIOD},ACC-0005,.*,1,3$`));
		const batch = await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: `print/${PERIOD}/print-batch.pdf` }));
		const parser = new PDFParse({ data: (await batch.Body?.transformToByteArray()) as Uint8Array });
		const { text, pages } = await parser.getText();
		await parser.destroy();
		expect(pages).toHaveLength(4);
		expect(text).toContain(postal.number);
		expect(text).toContain("Closing balance");
	});

	it("records the account with an invalid email in the run's output without stopping the run", () => {
		expect(runOutput.invoicing.failedAccountCount).toBe(1);
		expect(runOutput.invoicing.failedAccounts[0]).toMatchObject({ accountId: "ACC-0007", stage: "deliver" });
		expect(runOutput.invoicing.failedAccounts[0]?.reason).toMatch(/invalid email address/);
	});

	it("writes the month's books beside the report: a trial balance that ties out and the three journals, linked from the report", async () => {
		const read = async (key: string) =>
			(await (await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: key }))).Body?.transformToString()) ?? "";
		expect(await read("books/2026-10/trial-balance.csv")).toMatch(/^currency,account_code,account_name,opening,debits,credits,closing\n/);
		expect(await read("books/2026-10/journal.csv")).toMatch(/^entry_id,date,currency,account_code,account_name,debit,credit,memo\n/);
		expect(await read("books/2026-10/journal-quickbooks.csv")).toMatch(
			/^Journal No,Journal Date,Currency Code,Account Name,Debits,Credits,Description,Name\n/,
		);
		expect(await read("books/2026-10/journal-xero.csv")).toMatch(/^Narration,Date,Description,AccountCode,TaxRate,Amount\n/);
		const html = await read("reports/2026-10/monthly-billing-report.html");
		expect(html).toContain("The trial balance ties out");
		expect(html).toContain('href="../../books/2026-10/journal-quickbooks.csv"');
	});

	it("publishes the monthly report to S3 with the month's figures per currency, in minor units", async () => {
		const object = await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: "reports/2026-10/monthly-billing-report.csv" }));
		const csv = (await object.Body?.transformToString()) ?? "";
		const rows = csv
			.trim()
			.split("\n")
			.slice(1)
			.map((line) => line.split(","));
		const value = (metric: string, currency: string) => Number(rows.find((r) => r[1] === metric && r[2] === currency)?.[3]);
		for (const currency of ["USD", "EUR", "GBP", "JPY"]) {
			const ofCurrency = invoices.filter((i) => i.currency === currency);
			expect(value("invoices_issued", currency)).toBe(ofCurrency.length);
			expect(value("invoiced_total_minor", currency)).toBe(ofCurrency.reduce((a, i) => a + i.total, 0));
			expect(value("open_receivables_minor", currency)).toBe(ofCurrency.reduce((a, i) => a + i.amountDue, 0));
			expect(value("payments_received_minor", currency)).toBe(0);
		}
	});

	it("shows every state of the execution with its output, as an operator reads it", async () => {
		const states = statesFromHistory(await executionHistory(stack.sfn, executionArnFor(stack.stateMachineArn, "billing-2026-10")));
		const names = states.map((s) => s.name);
		for (const name of [
			"Resolve Billing Period",
			"Identify Outstanding Accounts",
			"Invoice Accounts",
			"Generate Invoices",
			"Deliver Invoices",
			"Summarize Invoicing",
			"Assemble Print Batch",
			"Reconcile Payments",
			"Escalate Overdue Accounts",
			"Publish Monthly Report",
		]) {
			expect(names).toContain(name);
		}
		expect(states.find((s) => s.name === "Identify Outstanding Accounts")?.output).toMatchObject({ outstanding: { accountCount: 19 } });
		expect(states.every((s) => s.status === "SUCCEEDED")).toBe(true);
	});

	it("marks invoices paid from signed Stripe webhooks, once, and keeps unknown payments unapplied", async () => {
		const http = stack.endpoints.http as string;
		const [full, partial] = invoices;
		if (!full || !partial) throw new Error("need two invoices");
		const fullEvent = paymentEvent("evt_e2e_full", "pi_e2e_full", full, full.total);
		const first = await postStripeEvent(http, fullEvent, LOCAL_STRIPE_WEBHOOK_SECRET);
		expect(first.status).toBe(200);
		expect(JSON.parse(first.body)).toMatchObject({ result: "applied", invoiceNumber: full.number });
		const again = await postStripeEvent(http, fullEvent, LOCAL_STRIPE_WEBHOOK_SECRET);
		expect(again.status).toBe(200);
		expect(JSON.parse(again.body)).toMatchObject({ result: "duplicate_event" });
		expect(await getInvoice(deps, full.number)).toMatchObject({ status: "paid", amountPaid: full.total, amountDue: 0 });
		expect((await getAccount(deps, full.accountId))?.balance).toBe(0);

		const half = Math.floor(partial.total / 2);
		const partialRes = await postStripeEvent(
			http,
			paymentEvent("evt_e2e_partial", "pi_e2e_partial", partial, half),
			LOCAL_STRIPE_WEBHOOK_SECRET,
		);
		expect(JSON.parse(partialRes.body)).toMatchObject({ result: "applied" });
		expect(await getInvoice(deps, partial.number)).toMatchObject({
			status: "partially_paid",
			amountPaid: half,
			amountDue: partial.total - half,
		});

		const unknown = await postStripeEvent(
			http,
			paymentEvent("evt_e2e_unknown", "pi_e2e_unknown", { number: "INV-1999-000999", currency: "USD" }, 777),
			LOCAL_STRIPE_WEBHOOK_SECRET,
		);
		expect(unknown.status).toBe(200);
		const payments = await listPayments(deps);
		expect(payments.find((p) => p.paymentId === "pi_e2e_unknown")).toMatchObject({
			status: "unapplied",
			amount: 777,
			unappliedAmount: 777,
			unappliedReason: "invoice INV-1999-000999 does not exist",
		});

		const forged = await postStripeEvent(http, paymentEvent("evt_e2e_forged", "pi_e2e_forged", partial, partial.total), "whsec_wrong");
		expect(forged.status).toBe(401);
		expect((await listPayments(deps)).some((p) => p.paymentId === "pi_e2e_forged")).toBe(false);
		expect(payments).toHaveLength(3);
	});

	it("escalates an overdue account to collections 35 days after its due date, never twice", async () => {
		const unpaid = invoices.filter((i) => i.accountId !== invoices[0]?.accountId);
		const latestDue = unpaid
			.map((i) => i.dueDate)
			.sort()
			.at(-1) as string;
		const asOf = addDays(latestDue, 35);
		const first = (await invokeLocalFunction(localFunctionArn("EscalateOverdueAccounts"), { asOf })) as EscalationResult;
		// ACC-0007's address is invalid: its notice is recorded as failed, not sent.
		expect(first.noticesSent.collections).toBe(unpaid.length - 1);
		expect(first.failed).toBe(1);
		expect(first.accountsSentToCollections).toContain(unpaid[0]?.accountId);
		expect((await getAccount(deps, unpaid[0]?.accountId as string))?.status).toBe("in_collections");
		const paidAccount = await getAccount(deps, invoices[0]?.accountId as string);
		expect(paidAccount?.status).toBe("active");
		const dunningMail = (await mailOfThisTest()).filter((m) => /collections/i.test(m.subject));
		expect(dunningMail.length).toBe(unpaid.filter((i) => i.accountId !== "ACC-0007").length);

		const second = (await invokeLocalFunction(localFunctionArn("EscalateOverdueAccounts"), { asOf })) as EscalationResult;
		expect(second.noticesSent).toEqual({});
		expect((await mailOfThisTest()).filter((m) => /collections/i.test(m.subject))).toHaveLength(dunningMail.length);
	});

	it("refuses a second run of the period, and a forced re-run issues and sends nothing new", async () => {
		const mailBefore = (await mailOfThisTest()).length;
		await expect(runBillingCycle(stack.sfn, stack.stateMachineArn, { period: PERIOD, asOf: AS_OF })).rejects.toBeInstanceOf(
			PeriodAlreadyRunError,
		);
		const rerun = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: PERIOD, asOf: AS_OF, rerun: true });
		expect(rerun.status).toBe("SUCCEEDED");
		expect(await listInvoicesOfPeriod(deps, PERIOD)).toHaveLength(invoices.length);
		expect((await mailOfThisTest()).length).toBe(mailBefore);
	});

	it("keeps the ledger invariants after everything", async () => {
		const report = await verifyLedgerInvariants(deps);
		expect(report.violations).toEqual([]);
		expect(report.invariantsHold).toBe(true);
		expect(report.accountsChecked).toBe(20);
	});

	it("refuses a period in the wrong form before anything starts", async () => {
		await expect(runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-13" })).rejects.toThrow(/YYYY-MM/);
	});
});
