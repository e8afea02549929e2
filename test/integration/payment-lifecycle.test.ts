import { GetObjectCommand } from "@aws-sdk/client-s3";
import { DeleteCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postStripeEvent } from "../../local/cli/operations.js";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../local/emulator/environment.js";
import { invokeLocalFunction, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import { escalateOverdueAccounts } from "../../shared/collections/dunning.js";
import { writeOffInvoice } from "../../shared/collections/write-off.js";
import { addDays, resolveBillingPeriod } from "../../shared/core/period.js";
import { holdInvoice, releaseInvoice } from "../../shared/invoicing/holds.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { voidInvoice } from "../../shared/invoicing/void.js";
import { applyParkedAdjustments } from "../../shared/payments/adjustments.js";
import { applyPaymentByHand } from "../../shared/payments/manual-application.js";
import { reapplyUnappliedPayments } from "../../shared/payments/reapply.js";
import { createClients } from "../../shared/platform/clients.js";
import { collectionsEmail, dunningConfig, sellerConfig } from "../../shared/platform/config.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { buildReconciliationReport } from "../../shared/reporting/reconciliation.js";
import { buildWorklist, type WorklistItem } from "../../shared/reporting/worklist.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { GSI2, keys } from "../../shared/store/keys.js";
import { getPayment } from "../../shared/store/payments.js";
import {
	getAccount,
	getInvoice,
	listLedgerEntries,
	listOpenInvoicesDueBy,
	listUnappliedPayments,
	queryAll,
} from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { startTestStack } from "../support/embedded.js";
import { stripeEvents } from "../support/stripe-events.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let http: string;
let clients: ReturnType<typeof createClients>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
const september = resolveBillingPeriod({ period: "2026-09", asOf: "2026-10-01" }, new Date("2026-10-01"));
const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
const invoices: Record<string, string[]> = {};

const { paymentIntent, refund, dispute } = stripeEvents("l");

async function post(e: unknown): Promise<Record<string, unknown>> {
	const res = await postStripeEvent(http, e, LOCAL_STRIPE_WEBHOOK_SECRET);
	expect(res.status).toBe(200);
	return JSON.parse(res.body) as Record<string, unknown>;
}

async function ledgerOf(accountId: string): Promise<{ type: unknown; amount: unknown }[]> {
	return (await listLedgerEntries(table, accountId)).map((e) => ({ type: e.type, amount: e.amount }));
}

/** A USD customer on net 30; `unitAmount` gives it a monthly plan to invoice. */
async function putLifecycleAccount(id: string, unitAmount?: number): Promise<void> {
	await putAccount(
		table,
		testAccount(`ACC-${id}`, {
			name: `Lifecycle ${id} Ltd`,
			email: `ap+${stack.tag}@example.com`,
			...(unitAmount ? { plan: { code: "p", description: "Plan", unitAmount, quantity: 1 } } : {}),
			createdAt: new Date().toISOString(),
		}),
	);
}

/**
 * The table's client, except that right after the first Query of `accountId`'s records
 * under `prefix` it runs `between` (a webhook landing mid-step), once; `ran` says whether it did.
 */
function clientRunningBetween(accountId: string, prefix: string, between: () => Promise<void>) {
	const state = { ran: false };
	const ddb = new Proxy(clients.ddb, {
		get(target, prop, receiver) {
			if (prop !== "send") return Reflect.get(target, prop, receiver);
			return async (command: Parameters<typeof target.send>[0]) => {
				const out = await target.send(command);
				const values = command instanceof QueryCommand ? command.input.ExpressionAttributeValues : undefined;
				if (!state.ran && values?.[":pk"] === `ACCOUNT#${accountId}` && values[":prefix"] === prefix) {
					state.ran = true;
					await between();
				}
				return out;
			};
		},
	});
	return { ddb, state };
}

beforeAll(async () => {
	stack = await startTestStack("lifecycle", { http: true });
	http = stack.endpoints.http as string;
	clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
	for (const id of ["L1", "L2", "L3", "L4", "L5", "L6", "L7", "L9", "L10", "L11", "L12", "L20", "L21"]) {
		await putLifecycleAccount(id, 10000);
		const periods = id === "L1" ? [september, october] : [october];
		invoices[id] = [];
		for (const period of periods) {
			const issued = await issueInvoiceForAccount(deps, `ACC-${id}`, period);
			if (issued.outcome === "nothing_to_bill") throw new Error("expected an invoice");
			invoices[id]?.push(issued.invoiceNumber);
		}
	}
}, 60_000);

afterAll(async () => {
	expect((await verifyLedgerInvariants(table)).invariantsHold).toBe(true);
	await stack?.stop();
});

const inv = (id: string, i = 0): string => invoices[id]?.[i] as string;

async function worklistItem(id: string): Promise<WorklistItem | undefined> {
	return (await buildWorklist(table, "2026-12-01")).find((i) => i.id === id);
}

/** The invoice numbers on the held invoices' queue. */
async function heldQueue(): Promise<string[]> {
	const markers = await queryAll(table, {
		IndexName: GSI2,
		KeyConditionExpression: "gsi2pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.heldInvoiceQueued("", "").gsi2pk },
	});
	return markers.map((m) => String(m.invoiceNumber));
}

describe("Stripe payments matched, refunded and disputed", () => {
	it("settles several invoices of a customer, oldest due first, when the payment names only the customer", async () => {
		const out = await post(paymentIntent("pi_L1", 20000, { account_id: "ACC-L1" }));
		expect(out).toMatchObject({ result: "applied", invoiceNumbers: [inv("L1", 0), inv("L1", 1)], creditedAmount: 0 });
		expect(await getInvoice(table, inv("L1", 0))).toMatchObject({ status: "paid", amountDue: 0 });
		expect(await getInvoice(table, inv("L1", 1))).toMatchObject({ status: "paid", amountDue: 0 });
		expect(await getAccount(table, "ACC-L1")).toMatchObject({ balance: 0, creditBalance: 0 });
	});

	it("keeps a payment unapplied with its reason when no amount matches or the currency differs", async () => {
		expect(await post(paymentIntent("pi_L2_odd", 7000, { account_id: "ACC-L2" }))).toMatchObject({
			result: "unapplied",
			unappliedReason: expect.stringMatching(/due exactly 7000/),
		});
		expect(await post(paymentIntent("pi_L2_eur", 10000, { invoice_number: inv("L2") }, "eur"))).toMatchObject({
			result: "unapplied",
			unappliedReason: "payment currency EUR differs from invoice currency USD",
		});
		expect(await getInvoice(table, inv("L2"))).toMatchObject({ amountDue: 10000 });
	});

	it("applies by customer and exact amount, then a partial and a full refund reopen the invoice", async () => {
		expect(await post(paymentIntent("pi_L2", 10000, { account_id: "ACC-L2" }))).toMatchObject({
			result: "applied",
			invoiceNumber: inv("L2"),
		});
		const partial = refund("pi_L2", 4000);
		expect(await post(partial)).toMatchObject({ result: "refunded", amount: 4000, invoiceNumbers: [inv("L2")] });
		expect(await post(partial)).toMatchObject({ result: "duplicate_event" });
		expect(await getInvoice(table, inv("L2"))).toMatchObject({ status: "partially_paid", amountPaid: 6000, amountDue: 4000 });
		expect(await post(refund("pi_L2", 10000))).toMatchObject({ result: "refunded", amount: 6000 });
		expect(await getInvoice(table, inv("L2"))).toMatchObject({ status: "open", amountPaid: 0, amountDue: 10000 });
		expect(await getPayment(table, "stripe", "pi_L2")).toMatchObject({ amount: 10000, appliedAmount: 10000, refundedAmount: 10000 });
		expect(await getAccount(table, "ACC-L2")).toMatchObject({ balance: 10000 });
		expect(await ledgerOf("ACC-L2")).toEqual(
			expect.arrayContaining([
				{ type: "payment_applied", amount: -10000 },
				{ type: "refund", amount: 4000 },
				{ type: "refund", amount: 6000 },
			]),
		);
	});

	it("holds the invoice while a dispute is open and releases it when the dispute is won", async () => {
		await post(paymentIntent("pi_L3", 10000, { invoice_number: inv("L3") }));
		expect(await post(dispute("created", "pi_L3", 10000, "needs_response"))).toMatchObject({ result: "dispute_opened" });
		expect((await getInvoice(table, inv("L3")))?.hold?.reason).toMatch(/dispute dp_pi_L3 \(fraudulent\)/);
		expect(await worklistItem("dispute:stripe:dp_pi_L3")).toMatchObject({
			kind: "open_dispute",
			accountId: "ACC-L3",
			amount: 10000,
			currency: "USD",
		});
		expect(await post(dispute("closed", "pi_L3", 10000, "won"))).toMatchObject({ result: "dispute_won", amount: 0 });
		expect(await worklistItem("dispute:stripe:dp_pi_L3")).toBeUndefined();
		const invoice = await getInvoice(table, inv("L3"));
		expect(invoice).toMatchObject({ status: "paid", amountDue: 0 });
		expect(invoice?.hold).toBeUndefined();
		expect(await getPayment(table, "stripe", "pi_L3")).toMatchObject({ dispute: { status: "won" }, chargebackAmount: 0 });
		const trail = await listAuditEntries(table, "invoice", inv("L3"));
		expect(trail.map((e) => [e.action, e.actor, e.reason])).toEqual([
			["finalized", "billing-cycle", undefined],
			["payment_applied", "stripe", "stripe:pi_L3"],
			["dispute_opened", "stripe", "stripe:pi_L3"],
			["dispute_closed", "stripe", "stripe:pi_L3"],
		]);
		expect(trail[2]?.after.hold).toMatchObject({ reason: expect.stringMatching(/dispute dp_pi_L3/) });
		expect(trail[3]).toMatchObject({ before: { hold: expect.objectContaining({ since: expect.any(String) }) }, after: { hold: null } });
	});

	it("does not dun an invoice on hold while its dispute is open", async () => {
		await post(paymentIntent("pi_L7", 4000, { invoice_number: inv("L7") }));
		await post(dispute("created", "pi_L7", 4000, "needs_response"));
		const invoice = await getInvoice(table, inv("L7"));
		expect(invoice).toMatchObject({ status: "partially_paid", amountDue: 6000, hold: { since: expect.any(String) } });
		const result = await escalateOverdueAccounts(
			{
				...clients,
				tableName: stack.tableName,
				bucketName: stack.bucketName,
				seller: sellerConfig(),
				stages: dunningConfig(),
				collectionsEmail: collectionsEmail(),
			},
			addDays(invoice?.dueDate as string, 40),
		);
		expect(result.overdueInvoices).toBeGreaterThan(0);
		const notices = await queryAll(table, {
			KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
			ExpressionAttributeValues: { ":pk": `INVOICE#${inv("L7")}`, ":prefix": "DUNNING#" },
		});
		expect(notices).toEqual([]);
		expect((await getAccount(table, "ACC-L7"))?.status).toBe("active");
	});

	it("reopens the disputed amount on the invoice with a chargeback entry when the dispute is lost", async () => {
		await post(paymentIntent("pi_L4", 10000, { invoice_number: inv("L4") }));
		await post(dispute("created", "pi_L4", 10000, "needs_response"));
		expect(await post(dispute("closed", "pi_L4", 10000, "lost"))).toMatchObject({ result: "dispute_lost", amount: 10000 });
		const invoice = await getInvoice(table, inv("L4"));
		expect(invoice).toMatchObject({ status: "open", amountPaid: 0, amountDue: 10000 });
		expect(invoice?.hold).toBeUndefined();
		expect(await getAccount(table, "ACC-L4")).toMatchObject({ balance: 10000 });
		expect(await ledgerOf("ACC-L4")).toContainEqual({ type: "chargeback", amount: 10000 });
		expect((await listAuditEntries(table, "invoice", inv("L4"))).at(-1)).toMatchObject({
			action: "chargeback",
			actor: "stripe",
			before: { status: "paid", amountPaid: 10000, amountDue: 0 },
			after: { status: "open", amountPaid: 0, amountDue: 10000, hold: null },
		});
	});

	it("refunds an overpayment's credit before reopening the invoice", async () => {
		expect(await post(paymentIntent("pi_L6", 12500, { invoice_number: inv("L6") }))).toMatchObject({
			result: "applied",
			creditedAmount: 2500,
		});
		expect(await getAccount(table, "ACC-L6")).toMatchObject({ balance: -2500, creditBalance: 2500 });
		expect(await post(refund("pi_L6", 3000))).toMatchObject({ result: "refunded", amount: 3000 });
		expect(await getAccount(table, "ACC-L6")).toMatchObject({ balance: 500, creditBalance: 0 });
		expect(await getInvoice(table, inv("L6"))).toMatchObject({ status: "partially_paid", amountDue: 500 });
		expect(await ledgerOf("ACC-L6")).toEqual(
			expect.arrayContaining([
				{ type: "account_credit", amount: -2500 },
				{ type: "refund", amount: 2500 },
				{ type: "refund", amount: 500 },
			]),
		);
	});

	it("parks a refund that arrives before its payment and applies it when the payment arrives", async () => {
		expect(await post(refund("pi_L5", 2500))).toMatchObject({ result: "parked", reason: "payment stripe:pi_L5 has not arrived yet" });
		expect(await getInvoice(table, inv("L5"))).toMatchObject({ amountDue: 10000 });
		expect(await post(paymentIntent("pi_L5", 10000, { invoice_number: inv("L5") }))).toMatchObject({ result: "applied" });
		expect(await getInvoice(table, inv("L5"))).toMatchObject({ status: "partially_paid", amountPaid: 7500, amountDue: 2500 });
		expect(await getPayment(table, "stripe", "pi_L5")).toMatchObject({ refundedAmount: 2500 });
		expect(await getAccount(table, "ACC-L5")).toMatchObject({ balance: 2500 });
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("reconciles: writes the report per provider and currency with every mismatch, and re-running changes nothing", async () => {
		await post(dispute("created", "pi_L1", 5000, "needs_response"));
		const neverPaid = refund("pi_never", 500);
		await post(neverPaid);
		const outcome = (await invokeLocalFunction(localFunctionArn("ReconcilePayments"), { billing: october })) as {
			reportKey: string;
			csvKey: string;
			mismatches: number;
			invariants: { invariantsHold: boolean };
		};
		expect(outcome).toMatchObject({
			reportKey: "reports/2026-10/payment-reconciliation.json",
			csvKey: "reports/2026-10/payment-reconciliation.csv",
			mismatches: 3,
			invariants: { invariantsHold: true },
		});
		// The cycle's step verifies the payments; each account's ledger is verified by Review Accounts, here at once.
		expect((await verifyLedgerInvariants(table)).invariantsHold).toBe(true);
		const read = async (key: string) =>
			(await clients.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: key }))).Body?.transformToString() ?? "";
		const report = JSON.parse(await read(outcome.reportKey));
		expect(report.rows).toEqual([
			{
				provider: "stripe",
				currency: "EUR",
				payments: 1,
				received: 10000,
				applied: 0,
				credited: 0,
				unapplied: 10000,
				refunded: 0,
				disputed: 0,
				chargedBack: 0,
			},
			{
				provider: "stripe",
				currency: "USD",
				payments: 8,
				received: 83500,
				applied: 74000,
				credited: 2500,
				unapplied: 7000,
				refunded: 15500,
				disputed: 9000,
				chargedBack: 10000,
			},
		]);
		expect(report.mismatches.map((m: { kind: string; subject: string }) => `${m.kind} ${m.subject}`).sort()).toEqual([
			`parked_event ${neverPaid.id}`,
			"unapplied_payment pi_L2_eur",
			"unapplied_payment pi_L2_odd",
		]);
		const csv = await read(outcome.csvKey);
		expect(csv).toContain("stripe,USD,8,83500,74000,2500,7000,15500,9000,10000");
		expect(csv).toContain("unapplied_payment,stripe,USD,pi_L2_odd,7000,");
		expect((await getInvoice(table, inv("L1", 0)))?.hold?.reason).toMatch(/dispute dp_pi_L1/);
		const again = (await invokeLocalFunction(localFunctionArn("ReconcilePayments"), { billing: october })) as {
			reapplied: { applied: number };
			parkedApplied: number;
		};
		expect(again).toMatchObject({ reapplied: { applied: 0 }, parkedApplied: 0 });
	});

	it("applies a refund that arrives together with its payment exactly once, whichever is stored first", async () => {
		await putLifecycleAccount("L8");
		const ids = ["pi_L8_a", "pi_L8_b", "pi_L8_c", "pi_L8_d", "pi_L8_e"];
		for (const pi of ids) {
			await Promise.all([post(refund(pi, 300)), post(paymentIntent(pi, 1000, { account_id: "ACC-L8" }))]);
		}
		for (const pi of ids) {
			expect(await getPayment(table, "stripe", pi)).toMatchObject({ status: "applied", creditedAmount: 1000, refundedAmount: 300 });
		}
		expect(await getAccount(table, "ACC-L8")).toMatchObject({ balance: -3500, creditBalance: 3500 });
		expect((await ledgerOf("ACC-L8")).filter((e) => e.type === "refund")).toHaveLength(ids.length);
		const stillParked = await queryAll(table, {
			IndexName: GSI2,
			KeyConditionExpression: "gsi2pk = :pk",
			ExpressionAttributeValues: { ":pk": keys.parkedListing("", "", "", "").gsi2pk },
		});
		expect(stillParked.filter((p) => String(p.gsi2sk).includes("pi_L8_"))).toEqual([]);
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("keeps an invoice on hold while any dispute on a payment that paid it is open", async () => {
		await post(paymentIntent("pi_L12_a", 4000, { invoice_number: inv("L12") }));
		await post(paymentIntent("pi_L12_b", 6000, { invoice_number: inv("L12") }));
		await post(dispute("created", "pi_L12_a", 4000, "needs_response"));
		await post(dispute("created", "pi_L12_b", 6000, "needs_response"));
		expect((await getInvoice(table, inv("L12")))?.hold?.disputeIds).toEqual(["dp_pi_L12_a", "dp_pi_L12_b"]);

		expect(await post(dispute("closed", "pi_L12_a", 4000, "won"))).toMatchObject({ result: "dispute_won" });
		const stillHeld = await getInvoice(table, inv("L12"));
		expect(stillHeld?.hold).toMatchObject({
			disputeIds: ["dp_pi_L12_b"],
			reason: expect.stringMatching(/^dispute dp_pi_L12_b \(fraudulent\)/),
		});
		expect(stillHeld?.hold?.reason).not.toMatch(/dp_pi_L12_a/);

		expect(await post(dispute("closed", "pi_L12_b", 6000, "lost"))).toMatchObject({ result: "dispute_lost", amount: 6000 });
		const reopened = await getInvoice(table, inv("L12"));
		expect(reopened).toMatchObject({ status: "partially_paid", amountPaid: 4000, amountDue: 6000 });
		expect(reopened?.hold).toBeUndefined();
		expect(await getAccount(table, "ACC-L12")).toMatchObject({ balance: 6000 });
		expect((await listAuditEntries(table, "invoice", inv("L12"))).map((e) => e.action)).toEqual([
			"finalized",
			"payment_applied",
			"payment_applied",
			"dispute_opened",
			"dispute_opened",
			"dispute_closed",
			"chargeback",
		]);
	});

	it("pays off an invoice named with its customer, and decides on the stored invoice when it is not due exactly that", async () => {
		const full = paymentIntent("pi_L9", 10000, { invoice_number: inv("L9"), account_id: "ACC-L9" });
		expect(await post(full)).toMatchObject({ result: "applied", invoiceNumber: inv("L9"), creditedAmount: 0 });
		expect(await post(full)).toMatchObject({ result: "duplicate_event" });
		expect(await getInvoice(table, inv("L9"))).toMatchObject({ status: "paid", amountPaid: 10000, amountDue: 0 });
		expect((await listOpenInvoicesDueBy(table, "2099-12-31")).map((i) => i.number)).not.toContain(inv("L9"));
		expect(await getAccount(table, "ACC-L9")).toMatchObject({ balance: 0, creditBalance: 0 });
		expect(await ledgerOf("ACC-L9")).toEqual(expect.arrayContaining([{ type: "payment_applied", amount: -10000 }]));
		expect((await listAuditEntries(table, "invoice", inv("L9"))).map((e) => [e.action, e.before, e.after])).toEqual([
			["finalized", null, expect.objectContaining({ status: "open", amountDue: 10000 })],
			["payment_applied", { status: "open", amountPaid: 0, amountDue: 10000 }, { status: "paid", amountPaid: 10000, amountDue: 0 }],
		]);

		expect(await post(paymentIntent("pi_L10_a", 4000, { invoice_number: inv("L10"), account_id: "ACC-L10" }))).toMatchObject({
			result: "applied",
			invoiceNumber: inv("L10"),
		});
		expect(await getInvoice(table, inv("L10"))).toMatchObject({ status: "partially_paid", amountPaid: 4000, amountDue: 6000 });
		expect(await post(paymentIntent("pi_L10_b", 7000, { invoice_number: inv("L10"), account_id: "ACC-L10" }))).toMatchObject({
			result: "applied",
			creditedAmount: 1000,
		});
		expect(await getInvoice(table, inv("L10"))).toMatchObject({ status: "paid", amountPaid: 10000, amountDue: 0 });
		expect(await getAccount(table, "ACC-L10")).toMatchObject({ balance: -1000, creditBalance: 1000 });
		expect((await listAuditEntries(table, "invoice", inv("L10"))).map((e) => e.after)).toEqual([
			expect.objectContaining({ status: "open" }),
			{ status: "partially_paid", amountPaid: 4000, amountDue: 6000 },
			{ status: "paid", amountPaid: 10000, amountDue: 0 },
		]);

		expect(await post(paymentIntent("pi_L11_other", 10000, { invoice_number: inv("L11"), account_id: "ACC-L9" }))).toMatchObject({
			result: "unapplied",
			unappliedReason: `payment is for account ACC-L9 but invoice ${inv("L11")} belongs to ACC-L11`,
		});
		expect(await post(paymentIntent("pi_L11_eur", 10000, { invoice_number: inv("L11"), account_id: "ACC-L11" }, "eur"))).toMatchObject({
			result: "unapplied",
			unappliedReason: "payment currency EUR differs from invoice currency USD",
		});
		expect(await getInvoice(table, inv("L11"))).toMatchObject({ status: "open", amountPaid: 0, amountDue: 10000 });
		await voidInvoice(table, inv("L11"), "issued in error");
		expect(await post(paymentIntent("pi_L11_void", 10000, { invoice_number: inv("L11"), account_id: "ACC-L11" }))).toMatchObject({
			result: "unapplied",
			unappliedReason: `invoice ${inv("L11")} is void`,
		});
		expect(await getAccount(table, "ACC-L9")).toMatchObject({ balance: 0, creditBalance: 0 });
		expect(await getAccount(table, "ACC-L11")).toMatchObject({ balance: 0, creditBalance: 0 });
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it(`settles ${22} open invoices of a customer with one payment in one transaction`, async () => {
		await putLifecycleAccount("L13", 1000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		for (let i = 0; i < 22; i++) {
			const month = new Date(Date.UTC(2024, 4 + i, 1)).toISOString().slice(0, 7);
			const next = new Date(Date.UTC(2024, 5 + i, 1)).toISOString().slice(0, 10);
			await issueInvoiceForAccount(deps, "ACC-L13", resolveBillingPeriod({ period: month, asOf: next }, new Date(next)));
		}
		const out = await post(paymentIntent("pi_L13", 1000 * 22 + 1, { account_id: "ACC-L13" }));
		expect(out).toMatchObject({ result: "applied", creditedAmount: 1 });
		expect(out.invoiceNumbers).toHaveLength(22);
		expect(await getAccount(table, "ACC-L13")).toMatchObject({ balance: -1, creditBalance: 1 });
		expect((await ledgerOf("ACC-L13")).filter((e) => e.type === "payment_applied")).toHaveLength(22);
	}, 60_000);

	it("keeps a payment covering 22 invoices unapplied on the worklist when their held markers make the settlement more than one transaction", async () => {
		await putLifecycleAccount("L14", 1000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const numbers: string[] = [];
		for (let i = 0; i < 22; i++) {
			const month = new Date(Date.UTC(2024, 4 + i, 1)).toISOString().slice(0, 7);
			const next = new Date(Date.UTC(2024, 5 + i, 1)).toISOString().slice(0, 10);
			const issued = await issueInvoiceForAccount(deps, "ACC-L14", resolveBillingPeriod({ period: month, asOf: next }, new Date(next)));
			if (issued.outcome === "nothing_to_bill") throw new Error("expected an invoice");
			numbers.push(issued.invoiceNumber);
		}
		// 18 held: each adds its held marker to the settlement (22 x 4 items + 18 markers + the payment's own > 100).
		const held = numbers.slice(0, 18);
		for (const number of held) await holdInvoice({ ...table, actor: "dana@example.com" }, number, "customer disputes the seat count");
		const ledgerBefore = await ledgerOf("ACC-L14");
		const payment = paymentIntent("pi_L14", 22000, { account_id: "ACC-L14" });
		const res = await postStripeEvent(http, payment, LOCAL_STRIPE_WEBHOOK_SECRET);
		expect(res.status).toBe(200);
		const reason = expect.stringMatching(
			/^payment covers all 22 open invoices of account ACC-L14; settling them takes \d+ items, more than the 100 of one transaction$/,
		);
		expect(JSON.parse(res.body)).toMatchObject({ result: "unapplied", invoiceNumbers: [], creditedAmount: 0, unappliedReason: reason });
		expect(await getPayment(table, "stripe", "pi_L14")).toMatchObject({
			status: "unapplied",
			accountId: "ACC-L14",
			amount: 22000,
			appliedAmount: 0,
			creditedAmount: 0,
			unappliedAmount: 22000,
			unappliedReason: reason,
			applications: [],
		});
		// Nothing half-applied: every invoice still owes its 1000, the held ones stay held and queued, the account and ledger are as before.
		for (const number of numbers) expect(await getInvoice(table, number)).toMatchObject({ status: "open", amountPaid: 0, amountDue: 1000 });
		expect(await heldQueue()).toEqual(expect.arrayContaining(held));
		expect(await getAccount(table, "ACC-L14")).toMatchObject({ balance: 22000, creditBalance: 0 });
		expect(await ledgerOf("ACC-L14")).toEqual(ledgerBefore);
		expect(await worklistItem("payment:stripe:pi_L14")).toMatchObject({
			kind: "unapplied_payment",
			accountId: "ACC-L14",
			amount: 22000,
			currency: "USD",
		});
		// Stripe's redelivery is stored once and changes nothing.
		expect(await post(payment)).toMatchObject({ result: "duplicate_event" });
		expect((await listUnappliedPayments(table)).filter((p) => p.paymentId === "pi_L14")).toHaveLength(1);
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	}, 90_000);

	it("keeps a payment by customer unapplied when the account does not exist or has another currency", async () => {
		expect(await post(paymentIntent("pi_ghost", 1200, { account_id: "ACC-GHOST" }))).toMatchObject({
			result: "unapplied",
			unappliedReason: "account ACC-GHOST does not exist",
		});
		expect(await getAccount(table, "ACC-GHOST")).toBeUndefined();
		const eur = await post(paymentIntent("pi_L8_eur", 1200, { account_id: "ACC-L8" }, "eur"));
		expect(eur).toMatchObject({ result: "unapplied", creditedAmount: 0 });
		expect(String(eur.unappliedReason)).toMatch(/differs from account ACC-L8's currency USD/);
		expect(await getAccount(table, "ACC-L8")).toMatchObject({ balance: -3500, creditBalance: 3500 });
		expect(await getPayment(table, "stripe", "pi_L8_eur")).toMatchObject({ status: "unapplied", unappliedAmount: 1200 });
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("adds a second write-off to the first when a refund reopened a written-off invoice", async () => {
		await putLifecycleAccount("WO", 10000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const issued = await issueInvoiceForAccount(deps, "ACC-WO", october);
		invoices.WO = ["invoiceNumber" in issued ? issued.invoiceNumber : ""];
		expect(await post(paymentIntent("pi_WO", 4000, { invoice_number: inv("WO") }))).toMatchObject({ result: "applied" });
		expect((await writeOffInvoice(table, inv("WO"), "customer insolvent")).amount).toBe(6000);
		expect(await post(refund("pi_WO", 4000))).toMatchObject({ result: "refunded", amount: 4000, invoiceNumbers: [inv("WO")] });
		expect(await getInvoice(table, inv("WO"))).toMatchObject({ status: "open", amountPaid: 0, amountDue: 4000, amountWrittenOff: 6000 });
		expect((await writeOffInvoice(table, inv("WO"), "refund not recoverable")).amount).toBe(4000);
		expect(await getInvoice(table, inv("WO"))).toMatchObject({ status: "uncollectible", amountDue: 0, amountWrittenOff: 10000 });
		expect(await getAccount(table, "ACC-WO")).toMatchObject({ balance: 0 });
		expect(await ledgerOf("ACC-WO")).toEqual(
			expect.arrayContaining([
				{ type: "write_off", amount: -6000 },
				{ type: "refund", amount: 4000 },
				{ type: "write_off", amount: -4000 },
			]),
		);
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("books a refund of an overpayment whose credit the next invoice already consumed: that invoice is due again", async () => {
		await putLifecycleAccount("RC", 10000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const first = await issueInvoiceForAccount(deps, "ACC-RC", september);
		const september_ = "invoiceNumber" in first ? first.invoiceNumber : "";
		expect(await post(paymentIntent("pi_RC", 12500, { invoice_number: september_ }))).toMatchObject({
			result: "applied",
			creditedAmount: 2500,
		});
		const second = await issueInvoiceForAccount(deps, "ACC-RC", october);
		const october_ = "invoiceNumber" in second ? second.invoiceNumber : "";
		expect(await getInvoice(table, october_)).toMatchObject({ creditApplied: 2500, amountDue: 7500 });
		expect(await getAccount(table, "ACC-RC")).toMatchObject({ balance: 7500, creditBalance: 0 });

		expect(await post(refund("pi_RC", 12500))).toMatchObject({ result: "refunded", amount: 12500, invoiceNumbers: [september_] });
		expect(await getInvoice(table, september_)).toMatchObject({ status: "open", amountPaid: 0, amountDue: 10000 });
		expect(await getInvoice(table, october_)).toMatchObject({ status: "open", creditApplied: 0, amountDue: 10000 });
		expect(await getAccount(table, "ACC-RC")).toMatchObject({ balance: 20000, creditBalance: 0 });
		expect(await ledgerOf("ACC-RC")).toEqual(
			expect.arrayContaining([
				{ type: "refund", amount: 2500 },
				{ type: "refund", amount: 10000 },
			]),
		);
		expect(await getPayment(table, "stripe", "pi_RC")).toMatchObject({ refundedAmount: 12500 });
		expect((await listOpenInvoicesDueBy(table, "2099-12-31")).map((i) => i.number)).toEqual(expect.arrayContaining([september_, october_]));
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("takes back all of a payment that settled as many invoices as fit, by a full refund or a lost dispute, in one transaction", async () => {
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const settle = async (id: string): Promise<string[]> => {
			await putLifecycleAccount(id, 1000);
			for (let i = 0; i < 23; i++) {
				const month = new Date(Date.UTC(2024, 4 + i, 1)).toISOString().slice(0, 7);
				const next = new Date(Date.UTC(2024, 5 + i, 1)).toISOString().slice(0, 10);
				await issueInvoiceForAccount(deps, `ACC-${id}`, resolveBillingPeriod({ period: month, asOf: next }, new Date(next)));
			}
			const out = await post(paymentIntent(`pi_${id}`, 1000 * 23 + 1, { account_id: `ACC-${id}` }));
			expect(out).toMatchObject({ result: "applied", creditedAmount: 1 });
			expect(out.invoiceNumbers).toHaveLength(23);
			return out.invoiceNumbers as string[];
		};
		const refunded = await settle("RF");
		expect(await post(refund("pi_RF", 23001))).toMatchObject({ result: "refunded", amount: 23001 });
		for (const number of refunded)
			expect(await getInvoice(table, number)).toMatchObject({ status: "open", amountPaid: 0, amountDue: 1000 });
		expect(await getAccount(table, "ACC-RF")).toMatchObject({ balance: 23000, creditBalance: 0 });

		// A lost dispute also releases the holds its opening put on all 23 invoices.
		const charged = await settle("RD");
		expect(await post(dispute("created", "pi_RD", 23001, "needs_response"))).toMatchObject({ result: "dispute_opened" });
		expect(await post(dispute("closed", "pi_RD", 23001, "lost"))).toMatchObject({ result: "dispute_lost", amount: 23001 });
		for (const number of charged) {
			const invoice = await getInvoice(table, number);
			expect(invoice).toMatchObject({ status: "open", amountPaid: 0, amountDue: 1000 });
			expect(invoice?.hold).toBeUndefined();
		}
		expect(await heldQueue()).not.toEqual(expect.arrayContaining([charged[0]]));
		expect(await getAccount(table, "ACC-RD")).toMatchObject({ balance: 23000, creditBalance: 0 });
		expect(await getPayment(table, "stripe", "pi_RD")).toMatchObject({ chargebackAmount: 23001 });
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	}, 120_000);

	it("keeps a refund whose reversal is more than one transaction parked with its reason and on the worklist, changing nothing", async () => {
		await putLifecycleAccount("RL", 1000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const issue = async (i: number): Promise<string> => {
			const month = new Date(Date.UTC(2023, i, 1)).toISOString().slice(0, 7);
			const next = new Date(Date.UTC(2023, i + 1, 1)).toISOString().slice(0, 10);
			const issued = await issueInvoiceForAccount(deps, "ACC-RL", resolveBillingPeriod({ period: month, asOf: next }, new Date(next)));
			if (issued.outcome === "nothing_to_bill") throw new Error("expected an invoice");
			return issued.invoiceNumber;
		};
		const first = await issue(0);
		// An overpayment of 34 months: the next 34 invoices each use 1000 of its credit.
		expect(await post(paymentIntent("pi_RL", 35000, { invoice_number: first }))).toMatchObject({
			result: "applied",
			creditedAmount: 34000,
		});
		const consumers: string[] = [];
		for (let i = 1; i <= 34; i++) consumers.push(await issue(i));
		for (const number of consumers)
			expect(await getInvoice(table, number)).toMatchObject({ status: "paid", creditApplied: 1000, amountDue: 0 });
		expect(await getAccount(table, "ACC-RL")).toMatchObject({ balance: 0, creditBalance: 0 });
		const ledgerBefore = await ledgerOf("ACC-RL");

		// Refunding all of it reopens the paid invoice and makes the 34 credits due again: 35 invoices of 3 items each, more than 100.
		const refunded = refund("pi_RL", 35000);
		const res = await postStripeEvent(http, refunded, LOCAL_STRIPE_WEBHOOK_SECRET);
		expect(res.status).toBe(200);
		const reason = expect.stringMatching(/^reversing it takes \d+ items, more than the 100 of one transaction$/);
		expect(JSON.parse(res.body)).toMatchObject({ result: "parked", paymentId: "pi_RL", reason });
		// Nothing half-applied: the payment, every invoice, the account and the ledger are as before.
		expect(await getPayment(table, "stripe", "pi_RL")).toMatchObject({ status: "applied", refundedAmount: 0, creditedAmount: 34000 });
		expect(await getInvoice(table, first)).toMatchObject({ status: "paid", amountPaid: 1000, amountDue: 0 });
		for (const number of consumers)
			expect(await getInvoice(table, number)).toMatchObject({ status: "paid", creditApplied: 1000, amountDue: 0 });
		expect(await getAccount(table, "ACC-RL")).toMatchObject({ balance: 0, creditBalance: 0 });
		expect(await ledgerOf("ACC-RL")).toEqual(ledgerBefore);
		// The refund is kept: its provider event is stored, and a person sees it on the worklist with the reason.
		const [stored] = await queryAll(table, {
			KeyConditionExpression: "pk = :pk",
			ExpressionAttributeValues: { ":pk": keys.webhookEvent("stripe", refunded.id).pk },
		});
		expect(stored).toMatchObject({ eventType: "charge.refunded", handling: "parked", paymentId: "pi_RL", reason });
		expect(await worklistItem(`parked:stripe:${refunded.id}`)).toMatchObject({
			kind: "parked_event",
			detail: expect.stringMatching(
				/^charge\.refunded for stripe payment pi_RL: reversing it takes \d+ items, more than the 100 of one transaction$/,
			),
		});
		// Stripe's redelivery is a duplicate, and the reconcile step's retry leaves it parked.
		expect(await post(refunded)).toMatchObject({ result: "duplicate_event" });
		expect(await applyParkedAdjustments(table, { provider: "stripe", paymentId: "pi_RL" })).toEqual({ applied: 0, stillParked: 1 });
		const report = await buildReconciliationReport(table, "2026-12", await verifyLedgerInvariants(table), []);
		expect(report.mismatches).toContainEqual(
			expect.objectContaining({
				kind: "parked_event",
				subject: refunded.id,
				detail: expect.stringMatching(
					/^refund of payment pi_RL not booked: reversing it takes \d+ items, more than the 100 of one transaction$/,
				),
			}),
		);
		expect(await getPayment(table, "stripe", "pi_RL")).toMatchObject({ refundedAmount: 0 });
		expect(await ledgerOf("ACC-RL")).toEqual(ledgerBefore);
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);

		// Once fewer invoices hold its credit (ten voided: their 10000 of credit is the account's again), the retry books it, once.
		const voided = consumers.slice(0, 10);
		for (const number of voided) await voidInvoice(table, number, "issued in error");
		expect(await getAccount(table, "ACC-RL")).toMatchObject({ creditBalance: 10000 });
		expect(await applyParkedAdjustments(table, { provider: "stripe", paymentId: "pi_RL" })).toEqual({ applied: 1, stillParked: 0 });
		expect(await getPayment(table, "stripe", "pi_RL")).toMatchObject({ refundedAmount: 35000 });
		expect(await getInvoice(table, first)).toMatchObject({ status: "open", amountPaid: 0, amountDue: 1000 });
		for (const number of consumers.slice(10)) expect(await getInvoice(table, number)).toMatchObject({ creditApplied: 0, amountDue: 1000 });
		expect(await getAccount(table, "ACC-RL")).toMatchObject({ balance: 25000, creditBalance: 0 });
		const [booked] = await queryAll(table, {
			KeyConditionExpression: "pk = :pk",
			ExpressionAttributeValues: { ":pk": keys.webhookEvent("stripe", refunded.id).pk },
		});
		expect(booked).toMatchObject({ handling: "adjustment", outcome: "refunded" });
		expect(booked?.reason).toBeUndefined();
		expect(await worklistItem(`parked:stripe:${refunded.id}`)).toBeUndefined();
		expect(await applyParkedAdjustments(table, { provider: "stripe", paymentId: "pi_RL" })).toEqual({ applied: 0, stillParked: 0 });
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	}, 120_000);

	it("keeps a lost dispute whose chargeback is more than one transaction parked with its reason, the dispute still open and nothing charged back", async () => {
		await putLifecycleAccount("RX", 1000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const numbers: string[] = [];
		for (let i = 0; i < 33; i++) {
			const month = new Date(Date.UTC(2023, i, 1)).toISOString().slice(0, 7);
			const next = new Date(Date.UTC(2023, i + 1, 1)).toISOString().slice(0, 10);
			const issued = await issueInvoiceForAccount(deps, "ACC-RX", resolveBillingPeriod({ period: month, asOf: next }, new Date(next)));
			if (issued.outcome === "nothing_to_bill") throw new Error("expected an invoice");
			numbers.push(issued.invoiceNumber);
		}
		// Too many invoices to settle in one webhook: kept unapplied, then applied by hand to each of the 33.
		expect(await post(paymentIntent("pi_RX", 33000, { account_id: "ACC-RX" }))).toMatchObject({ result: "unapplied" });
		for (const invoiceNumber of numbers)
			await applyPaymentByHand({ ...table, actor: "dana@example.com" }, { provider: "stripe", paymentId: "pi_RX", invoiceNumber });
		expect(await post(dispute("created", "pi_RX", 33000, "needs_response"))).toMatchObject({ result: "dispute_opened" });
		const ledgerBefore = await ledgerOf("ACC-RX");

		const lost = dispute("closed", "pi_RX", 33000, "lost");
		const res = await postStripeEvent(http, lost, LOCAL_STRIPE_WEBHOOK_SECRET);
		expect(res.status).toBe(200);
		const reason = expect.stringMatching(/^reversing it takes \d+ items, more than the 100 of one transaction$/);
		expect(JSON.parse(res.body)).toMatchObject({ result: "parked", paymentId: "pi_RX", reason });
		// Nothing charged back: the dispute stays open, every invoice paid and held by it, the account and ledger as before.
		expect(await getPayment(table, "stripe", "pi_RX")).toMatchObject({
			appliedAmount: 33000,
			chargebackAmount: 0,
			dispute: { disputeId: "dp_pi_RX", status: "open" },
		});
		for (const number of numbers) {
			const invoice = await getInvoice(table, number);
			expect(invoice).toMatchObject({ status: "paid", amountPaid: 1000, amountDue: 0 });
			expect(invoice?.hold?.disputeIds).toEqual(["dp_pi_RX"]);
		}
		expect(await getAccount(table, "ACC-RX")).toMatchObject({ balance: 0, creditBalance: 0 });
		expect(await ledgerOf("ACC-RX")).toEqual(ledgerBefore);
		expect(await worklistItem(`parked:stripe:${lost.id}`)).toMatchObject({
			kind: "parked_event",
			detail: expect.stringMatching(/^charge\.dispute\.closed for stripe payment pi_RX: reversing it takes \d+ items/),
		});
		expect(await worklistItem("dispute:stripe:dp_pi_RX")).toMatchObject({ kind: "open_dispute", accountId: "ACC-RX" });
		expect(await post(lost)).toMatchObject({ result: "duplicate_event" });
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	}, 120_000);

	it("checks the ledger invariants on a consistent account even when a payment lands while it reads that account", async () => {
		await putLifecycleAccount("IV", 10000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const issued = await issueInvoiceForAccount(deps, "ACC-IV", october);
		const number = "invoiceNumber" in issued ? issued.invoiceNumber : "";
		// The signed webhook is posted right after the check has read the account's ledger, before it reads the invoices.
		const { ddb, state } = clientRunningBetween("ACC-IV", keys.ledgerPrefix, async () => {
			expect(await post(paymentIntent("pi_IV", 10000, { invoice_number: number }))).toMatchObject({ result: "applied" });
		});
		const report = await verifyLedgerInvariants({ ddb, tableName: stack.tableName });
		expect(state.ran).toBe(true);
		expect(report.violations).toEqual([]);
		expect(await getAccount(table, "ACC-IV")).toMatchObject({ balance: 0 });
	});

	it("does not apply an unapplied payment that was refunded while the reconcile step was matching it", async () => {
		// Paid before the account was set up: unapplied until the reconcile step finds its invoice.
		expect(await post(paymentIntent("pi_RA", 10000, { account_id: "ACC-RA" }))).toMatchObject({ result: "unapplied" });
		await putLifecycleAccount("RA", 10000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const issued = await issueInvoiceForAccount(deps, "ACC-RA", october);
		const number = "invoiceNumber" in issued ? issued.invoiceNumber : "";
		// The signed refund lands after the reconcile step has read the customer's invoices, before it applies the payment.
		const { ddb, state } = clientRunningBetween("ACC-RA", keys.invoiceForPeriodPrefix, async () => {
			expect(await post(refund("pi_RA", 10000))).toMatchObject({ result: "refunded", amount: 10000 });
		});
		await reapplyUnappliedPayments({ ddb, tableName: stack.tableName });
		expect(state.ran).toBe(true);
		expect(await getPayment(table, "stripe", "pi_RA")).toMatchObject({
			status: "returned",
			refundedAmount: 10000,
			appliedAmount: 0,
			unappliedAmount: 0,
			returnedUnapplied: 10000,
		});
		expect(await getInvoice(table, number)).toMatchObject({ status: "open", amountPaid: 0, amountDue: 10000 });
		expect(await getAccount(table, "ACC-RA")).toMatchObject({ balance: 10000, creditBalance: 0 });
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("sets account credit against an open invoice before dunning: what credit covers is never chased", async () => {
		await putLifecycleAccount("CR", 10000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const first = await issueInvoiceForAccount(deps, "ACC-CR", september);
		const second = await issueInvoiceForAccount(deps, "ACC-CR", october);
		const [sept, oct] = ["invoiceNumber" in first ? first.invoiceNumber : "", "invoiceNumber" in second ? second.invoiceNumber : ""];
		// The customer pays both months at once, naming only the first invoice: the rest is account credit.
		expect(await post(paymentIntent("pi_CR", 20000, { invoice_number: sept }))).toMatchObject({ result: "applied", creditedAmount: 10000 });
		expect(await getAccount(table, "ACC-CR")).toMatchObject({ balance: 0, creditBalance: 10000 });

		const octInvoice = await getInvoice(table, oct);
		const result = await escalateOverdueAccounts(
			{ ...deps, stages: dunningConfig(), collectionsEmail: collectionsEmail() },
			addDays(octInvoice?.dueDate as string, 20),
		);
		expect(await getInvoice(table, oct)).toMatchObject({ status: "paid", amountDue: 0, creditApplied: 10000 });
		expect(await getAccount(table, "ACC-CR")).toMatchObject({ balance: 0, creditBalance: 0, status: "active" });
		const notices = await queryAll(table, {
			KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
			ExpressionAttributeValues: { ":pk": `INVOICE#${oct}`, ":prefix": "DUNNING#" },
		});
		expect(notices).toEqual([]);
		expect(result.collections.accountsInCollections).not.toContain("ACC-CR");
		expect((await listAuditEntries(table, "invoice", oct)).at(-1)).toMatchObject({
			action: "credit_applied",
			before: { status: "open", amountDue: 10000, creditApplied: 0 },
			after: { status: "paid", amountDue: 0, creditApplied: 10000 },
		});
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("takes refunded unapplied cash out of the unapplied queue and the reconciliation's mismatches", async () => {
		expect(await post(paymentIntent("pi_UR", 4000, { account_id: "ACC-UNKNOWN-UR" }))).toMatchObject({ result: "unapplied" });
		expect(await post(refund("pi_UR", 1500))).toMatchObject({ result: "refunded", amount: 1500 });
		expect(await getPayment(table, "stripe", "pi_UR")).toMatchObject({
			status: "unapplied",
			unappliedAmount: 2500,
			returnedUnapplied: 1500,
			refundedAmount: 1500,
		});
		expect(await post(refund("pi_UR", 4000))).toMatchObject({ result: "refunded", amount: 2500 });
		expect(await getPayment(table, "stripe", "pi_UR")).toMatchObject({
			status: "returned",
			unappliedAmount: 0,
			returnedUnapplied: 4000,
			refundedAmount: 4000,
		});
		expect((await listUnappliedPayments(table)).map((p) => p.paymentId)).not.toContain("pi_UR");
		const outcome = (await invokeLocalFunction(localFunctionArn("ReconcilePayments"), { billing: october })) as {
			reportKey: string;
			invariants: { invariantsHold: boolean };
		};
		expect(outcome.invariants.invariantsHold).toBe(true);
		expect((await verifyLedgerInvariants(table)).invariantsHold).toBe(true);
		const report = JSON.parse(
			(await (
				await clients.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: outcome.reportKey }))
			).Body?.transformToString()) ?? "",
		);
		expect(report.mismatches.map((m: { subject: string }) => m.subject)).not.toContain("pi_UR");
	});

	it("refunds at most what a lost dispute left of the payment", async () => {
		await putLifecycleAccount("LD", 6000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const issued = await issueInvoiceForAccount(deps, "ACC-LD", october);
		const number = "invoiceNumber" in issued ? issued.invoiceNumber : "";
		expect(await post(paymentIntent("pi_LD", 6000, { invoice_number: number }))).toMatchObject({ result: "applied" });
		await post(dispute("created", "pi_LD", 6000, "needs_response"));
		expect(await post(dispute("closed", "pi_LD", 6000, "lost"))).toMatchObject({ result: "dispute_lost", amount: 6000 });
		// The processor reports a refund of the whole charge after it: nothing of the payment is left to refund.
		expect(await post(refund("pi_LD", 6000))).toMatchObject({ amount: 0 });
		expect(await getPayment(table, "stripe", "pi_LD")).toMatchObject({ refundedAmount: 0, chargebackAmount: 6000 });
		expect(await getInvoice(table, number)).toMatchObject({ amountPaid: 0, amountDue: 6000 });
		expect(await getAccount(table, "ACC-LD")).toMatchObject({ balance: 6000 });
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("records a payment on a written-off invoice as a bad-debt recovery, not as account credit", async () => {
		await putLifecycleAccount("BD", 8000);
		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const issued = await issueInvoiceForAccount(deps, "ACC-BD", october);
		const number = "invoiceNumber" in issued ? issued.invoiceNumber : "";
		await writeOffInvoice(table, number, "customer insolvent");
		expect(await getAccount(table, "ACC-BD")).toMatchObject({ balance: 0, creditBalance: 0 });

		// The administrator pays it after all, and a little more.
		expect(await post(paymentIntent("pi_BD", 10000, { invoice_number: number }))).toMatchObject({
			result: "applied",
			creditedAmount: 2000,
		});
		expect(await getInvoice(table, number)).toMatchObject({ status: "paid", amountPaid: 8000, amountWrittenOff: 0, amountDue: 0 });
		expect((await getInvoice(table, number))?.writeOff).toBeUndefined();
		expect(await getPayment(table, "stripe", "pi_BD")).toMatchObject({
			applications: [{ invoiceNumber: number, amount: 8000, recovery: true }],
			appliedAmount: 8000,
			creditedAmount: 2000,
		});
		expect(await getAccount(table, "ACC-BD")).toMatchObject({ balance: -2000, creditBalance: 2000 });
		// The recovery's entries share one commit, in no particular order among themselves.
		const [issuedEntry, writeOffEntry, ...recovery] = await ledgerOf("ACC-BD");
		expect([issuedEntry, writeOffEntry]).toEqual([
			{ type: "invoice_issued", amount: 8000 },
			{ type: "write_off", amount: -8000 },
		]);
		expect(recovery).toHaveLength(3);
		expect(recovery).toEqual(
			expect.arrayContaining([
				{ type: "write_off_reversed", amount: 8000 },
				{ type: "payment_applied", amount: -8000 },
				{ type: "account_credit", amount: -2000 },
			]),
		);
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});
});

// After the reconciliation above, which counts every payment in the table.
describe("The worklist's held invoices and open disputes", () => {
	it("lists a hold by hand on the worklist until a payment naming the invoice and its customer pays it off", async () => {
		await holdInvoice({ ...table, actor: "dana@example.com" }, inv("L20"), "customer asks for a seat count");
		expect(await worklistItem(`hold:${inv("L20")}`)).toMatchObject({
			kind: "invoice_on_hold",
			accountId: "ACC-L20",
			amount: 10000,
			detail: `invoice ${inv("L20")} held: customer asks for a seat count`,
		});
		// A payment naming invoice and customer pays off the invoice as read, held or not.
		expect(await post(paymentIntent("pi_L20", 10000, { invoice_number: inv("L20"), account_id: "ACC-L20" }))).toMatchObject({
			result: "applied",
			invoiceNumber: inv("L20"),
		});
		expect(await getInvoice(table, inv("L20"))).toMatchObject({ status: "paid", amountPaid: 10000, amountDue: 0 });
		expect(await getAccount(table, "ACC-L20")).toMatchObject({ balance: 0 });
		expect(await worklistItem(`hold:${inv("L20")}`)).toBeUndefined();
		expect(await heldQueue()).not.toContain(inv("L20"));
	});

	it("puts holds and disputes stored before the worklist's queues existed on them, once", async () => {
		// What a table written before the queues holds: a hold on the invoice and a dispute on the payment, no markers.
		await post(paymentIntent("pi_L21", 4000, { invoice_number: inv("L21") }));
		const since = "2026-11-02T09:00:00.000Z";
		await clients.ddb.send(
			new UpdateCommand({
				TableName: stack.tableName,
				Key: keys.invoice(inv("L21")),
				UpdateExpression: "SET #hold = :hold",
				ExpressionAttributeNames: { "#hold": "hold" },
				ExpressionAttributeValues: { ":hold": { reason: "held before the queues", since } },
			}),
		);
		await clients.ddb.send(
			new UpdateCommand({
				TableName: stack.tableName,
				Key: keys.payment("stripe", "pi_L21"),
				UpdateExpression: "SET dispute = :dispute",
				ExpressionAttributeValues: {
					":dispute": { disputeId: "dp_old_L21", status: "open", amount: 4000, reason: "fraudulent", since },
				},
			}),
		);
		await clients.ddb.send(new DeleteCommand({ TableName: stack.tableName, Key: keys.worklistQueuesFilled }));
		expect(await heldQueue()).not.toContain(inv("L21"));
		expect(await worklistItem(`hold:${inv("L21")}`)).toMatchObject({ amount: 6000, since: "2026-11-02" });
		expect(await worklistItem("dispute:stripe:dp_old_L21")).toMatchObject({ amount: 4000, since: "2026-11-02" });
		expect(await heldQueue()).toContain(inv("L21"));
		expect(await worklistItem(`hold:${inv("L21")}`)).toMatchObject({ amount: 6000 });
		await releaseInvoice({ ...table, actor: "dana@example.com" }, inv("L21"), "customer confirmed the seats");
		expect(await worklistItem(`hold:${inv("L21")}`)).toBeUndefined();
		expect(await heldQueue()).not.toContain(inv("L21"));
	});
});
