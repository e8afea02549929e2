import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBillingCycle } from "../../local/cli/operations.js";
import type { Account, Invoice } from "../../shared/core/model.js";
import { formatMoney } from "../../shared/core/money.js";
import { recordPayment } from "../../shared/payments/recording.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { putCharge } from "../../shared/store/charges.js";
import { listInvoicesOfPeriod } from "../../shared/store/records.js";
import { type StoredMail, sentMail, startTestStack } from "../support/embedded.js";
import { pdfText } from "../support/pdf.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let s3: ReturnType<typeof createClients>["s3"];
let september: Invoice[];
let october: Invoice[];
let septemberMail: StoredMail[];

const usd = (amount: number) => formatMoney({ amount, currency: "USD" });
const mailOf = async (accountId: string) =>
	sentMail((m) => m.destination.to.some((to) => to.includes(`${stack.tag}-${accountId.toLowerCase()}@`)));

function account(accountId: string, overrides: Partial<Account> = {}): Account {
	return {
		accountId,
		name: `Customer ${accountId}`,
		email: `ap+${stack.tag}-${accountId.toLowerCase()}@example.com`,
		currency: "USD",
		status: "active",
		taxRatePpm: 100000,
		// Nothing is overdue by the October run, so no dunning email mixes in.
		paymentTermsDays: 60,
		delivery: "email",
		addressLines: ["1 Main St", "Springfield"],
		plan: { code: "team", description: "Team plan", unitAmount: 10_000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
		...overrides,
	};
}

const attachmentBytes = (mail: StoredMail, filename: string) =>
	new Uint8Array(Buffer.from(mail.attachments.find((a) => a.filename === filename)?.content ?? "", "base64"));

const invoiceOf = (invoices: Invoice[], accountId: string) => invoices.find((i) => i.accountId === accountId) as Invoice;

beforeAll(async () => {
	stack = await startTestStack("e2e-statements");
	({ s3 } = createClients());
	deps = { ddb: createClients().ddb, tableName: stack.tableName };
	await putAccount(deps, account("ST-INV"));
	// Billed once in September, nothing in October: its open balance gets a statement of its own.
	await putAccount(deps, account("ST-OPEN", { plan: undefined }));
	await putCharge(deps, {
		accountId: "ST-OPEN",
		period: "2026-09",
		chargeId: "setup",
		description: "Setup",
		quantity: 1,
		unitAmount: 20_000,
	});
	await putAccount(deps, account("ST-POST", { delivery: "postal" }));
	await putAccount(deps, account("ST-IDLE", { plan: undefined }));

	expect((await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-09", asOf: "2026-10-01" })).status).toBe("SUCCEEDED");
	september = await listInvoicesOfPeriod(deps, "2026-09");
	septemberMail = await sentMail((m) => m.destination.to.some((to) => to.includes(stack.tag)));
	const paid = invoiceOf(september, "ST-INV");
	await recordPayment(
		deps,
		{
			provider: "test",
			paymentId: "st-p1",
			eventId: "st-e1",
			invoiceNumber: paid.number,
			amount: 5000,
			currency: "USD",
			receivedAt: new Date().toISOString(),
		},
		"payment.succeeded",
		"{}",
	);
	expect((await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-10", asOf: "2026-11-01" })).status).toBe("SUCCEEDED");
	october = await listInvoicesOfPeriod(deps, "2026-10");
});

afterAll(async () => {
	await stack?.stop();
});

describe("statements in the billing cycle", () => {
	it("attaches the period's statement to the invoice email, with the balances chained from the last statement", async () => {
		const septemberInvoice = invoiceOf(september, "ST-INV");
		const octoberInvoice = invoiceOf(october, "ST-INV");
		const mail = await mailOf("ST-INV");
		expect(mail).toHaveLength(2);
		const [first, second] = [septemberInvoice, octoberInvoice].map((invoice) => mail.find((m) => m.subject.includes(invoice.number)));
		if (!first || !second) throw new Error("an invoice email is missing");

		expect(first.attachments.map((a) => a.filename)).toEqual([`${septemberInvoice.number}.pdf`, "statement-ST-INV-2026-09.pdf"]);
		const septemberText = await pdfText(attachmentBytes(first, "statement-ST-INV-2026-09.pdf"));
		expect(septemberText).toContain(`Opening balance ${usd(0)}`);
		expect(septemberText).toContain(`Closing balance ${usd(septemberInvoice.total)}`);

		expect(second.attachments.map((a) => a.filename)).toEqual([`${octoberInvoice.number}.pdf`, "statement-ST-INV-2026-10.pdf"]);
		expect(second.body.text).toContain("statement of account for 2026-10-01 to 2026-10-31 is attached");
		const octoberBytes = attachmentBytes(second, "statement-ST-INV-2026-10.pdf");
		const stored = await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: "statements/2026-10/ST-INV.pdf" }));
		expect(Buffer.from(octoberBytes).equals(Buffer.from((await stored.Body?.transformToByteArray()) as Uint8Array))).toBe(true);
		const octoberText = await pdfText(octoberBytes);
		expect(octoberText).toContain(`Opening balance ${usd(septemberInvoice.total)}`);
		expect(octoberText).toContain(octoberInvoice.number);
		expect(octoberText).toContain(`-${usd(5000)}`);
		expect(octoberText).toContain(`Closing balance ${usd(septemberInvoice.total - 5000 + octoberInvoice.total)}`);
	});

	it("emails an account with an open balance and no new invoice its statement on its own", async () => {
		expect(october.find((i) => i.accountId === "ST-OPEN")).toBeUndefined();
		const open = invoiceOf(september, "ST-OPEN");
		const mail = (await mailOf("ST-OPEN")).filter((m) => !septemberMail.some((s) => s.messageId === m.messageId));
		expect(mail).toHaveLength(1);
		const statement = mail[0] as StoredMail;
		expect(statement.subject).toBe(
			`Statement of account 2026-10-01 to 2026-10-31 from ${sellerConfig().name} \u2014 balance ${usd(open.total)}`,
		);
		expect(statement.attachments.map((a) => a.filename)).toEqual(["statement-ST-OPEN-2026-10.pdf"]);
		const text = await pdfText(attachmentBytes(statement, "statement-ST-OPEN-2026-10.pdf"));
		expect(text).toContain(`Opening balance ${usd(open.total)}`);
		expect(text).toContain(`Closing balance ${usd(open.total)}`);
	});

	it("sends nothing to an account with neither activity nor a balance", async () => {
		expect(await mailOf("ST-IDLE")).toHaveLength(0);
	});

	it("puts the postal account's statement into the print batch right after its invoice", async () => {
		const postal = invoiceOf(october, "ST-POST");
		const manifest = await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: "print/2026-10/manifest.csv" }));
		const rows = (await manifest.Body?.transformToString())?.trim().split("\r\n") ?? [];
		expect(rows.slice(1).map((r) => r.split(",").slice(0, 3).join(","))).toEqual([
			`1,${postal.number},ST-POST`,
			"2,statement-ST-POST-2026-10,ST-POST",
		]);
		expect(await mailOf("ST-POST")).toHaveLength(0);
	});

	it("a re-run of the period sends no invoice or statement twice", async () => {
		const before = (await sentMail((m) => m.destination.to.some((to) => to.includes(stack.tag)))).length;
		const rerun = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-10", asOf: "2026-11-01", rerun: true });
		expect(rerun.status).toBe("SUCCEEDED");
		expect((await sentMail((m) => m.destination.to.some((to) => to.includes(stack.tag)))).length).toBe(before);
		const manifest = await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: "print/2026-10/manifest.csv" }));
		expect((await manifest.Body?.transformToString())?.trim().split("\r\n")).toHaveLength(3);
	});
});
