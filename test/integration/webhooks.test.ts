import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postStripeEvent } from "../../local/cli/operations.js";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../local/emulator/environment.js";
import { invokeLocalFunction, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { signStripePayload } from "../../shared/payments/providers/stripe.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { putAccount } from "../../shared/store/accounts.js";
import { getAccount, getInvoice, listLedgerEntries, listPayments } from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { startTestStack } from "../support/embedded.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let http: string;
let clients: ReturnType<typeof createClients>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));

function paymentEvent(id: string, paymentId: string, invoiceNumber: string, amount: number, type = "payment_intent.succeeded") {
	const object =
		type === "charge.succeeded"
			? {
					id: `ch_${id}`,
					object: "charge",
					amount_captured: amount,
					currency: "usd",
					payment_intent: paymentId,
					metadata: { invoice_number: invoiceNumber },
				}
			: { id: paymentId, object: "payment_intent", amount_received: amount, currency: "usd", metadata: { invoice_number: invoiceNumber } };
	return { id, object: "event", type, created: Math.floor(Date.now() / 1000), data: { object } };
}

async function tableItemCount(): Promise<number> {
	const out = await clients.ddb.send(new ScanCommand({ TableName: stack.tableName, Select: "COUNT" }));
	return out.Count ?? 0;
}

async function post(body: string, headers: Record<string, string>): Promise<number> {
	const res = await fetch(`${http}/webhooks/stripe`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
	await res.arrayBuffer();
	return res.status;
}

beforeAll(async () => {
	stack = await startTestStack("webhooks", { http: true });
	http = stack.endpoints.http as string;
	clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	await putAccount(
		table,
		testAccount("ACC-W1", {
			name: "Webhook Test Ltd",
			email: `ap+${stack.tag}@example.com`,
			plan: { code: "p", description: "Plan", unitAmount: 10000, quantity: 1 },
			createdAt: new Date().toISOString(),
		}),
	);
});

afterAll(async () => {
	await stack?.stop();
});

describe("payment webhooks through the local HTTP front", () => {
	it("keeps a payment that arrives before its invoice unapplied, then the reconcile step applies it", async () => {
		const early = await postStripeEvent(http, paymentEvent("evt_early", "pi_early", "INV-2026-000001", 4000), LOCAL_STRIPE_WEBHOOK_SECRET);
		expect(early.status).toBe(200);
		expect(JSON.parse(early.body)).toMatchObject({ result: "unapplied", unappliedReason: "invoice INV-2026-000001 does not exist" });

		const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		expect(await issueInvoiceForAccount(deps, "ACC-W1", period)).toEqual({
			accountId: "ACC-W1",
			outcome: "issued",
			invoiceNumber: "INV-2026-000001",
		});

		const reconciled = (await invokeLocalFunction(localFunctionArn("ReconcilePayments"), { billing: period })) as {
			reapplied: { applied: number; amountApplied: Record<string, number> };
			invariants: { invariantsHold: boolean };
		};
		expect(reconciled.reapplied).toMatchObject({ applied: 1, amountApplied: { USD: 4000 } });
		expect(reconciled.invariants.invariantsHold).toBe(true);
		expect((await verifyLedgerInvariants(table)).invariantsHold).toBe(true);
		expect(await getInvoice(table, "INV-2026-000001")).toMatchObject({ status: "partially_paid", amountPaid: 4000, amountDue: 6000 });
		const again = (await invokeLocalFunction(localFunctionArn("ReconcilePayments"), { billing: period })) as {
			reapplied: { applied: number };
		};
		expect(again.reapplied.applied).toBe(0);
	});

	it("applies ten simultaneous copies of one event exactly once", async () => {
		const event = paymentEvent("evt_burst", "pi_burst", "INV-2026-000001", 1000);
		const results = await Promise.all(Array.from({ length: 10 }, () => postStripeEvent(http, event, LOCAL_STRIPE_WEBHOOK_SECRET)));
		expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
		const outcomes = results.map((r) => (JSON.parse(r.body) as { result: string }).result).sort();
		expect(outcomes.filter((o) => o === "applied")).toHaveLength(1);
		expect(outcomes.filter((o) => o === "duplicate_event")).toHaveLength(9);
		expect(await getInvoice(table, "INV-2026-000001")).toMatchObject({ amountPaid: 5000, amountDue: 5000 });
	});

	it("records a payment once when Stripe reports it as a PaymentIntent and as its Charge", async () => {
		const viaCharge = await postStripeEvent(
			http,
			paymentEvent("evt_charge", "pi_burst", "INV-2026-000001", 1000, "charge.succeeded"),
			LOCAL_STRIPE_WEBHOOK_SECRET,
		);
		expect(JSON.parse(viaCharge.body)).toMatchObject({ result: "duplicate_payment", paymentId: "pi_burst" });
		expect(await getInvoice(table, "INV-2026-000001")).toMatchObject({ amountPaid: 5000 });
	});

	it("settles the invoice with the last payment and keeps an overpayment's excess as account credit", async () => {
		const res = await postStripeEvent(http, paymentEvent("evt_final", "pi_final", "INV-2026-000001", 6000), LOCAL_STRIPE_WEBHOOK_SECRET);
		expect(JSON.parse(res.body)).toMatchObject({ result: "applied", creditedAmount: 1000 });
		expect(await getInvoice(table, "INV-2026-000001")).toMatchObject({ status: "paid", amountPaid: 10000, amountDue: 0 });
		const payment = (await listPayments(table)).find((p) => p.paymentId === "pi_final");
		expect(payment).toMatchObject({ appliedAmount: 5000, creditedAmount: 1000, unappliedAmount: 0 });
		expect(await getAccount(table, "ACC-W1")).toMatchObject({ balance: -1000, creditBalance: 1000 });
		const ledger = await listLedgerEntries(table, "ACC-W1");
		expect(ledger.map((e) => e.amount).sort()).toEqual([-1000, -1000, -4000, -5000, 10000].sort());
		expect((await verifyLedgerInvariants(table)).invariantsHold).toBe(true);
	});

	it("answers bad requests with the right 4xx and writes nothing", async () => {
		const before = await tableItemCount();
		const body = JSON.stringify(paymentEvent("evt_bad", "pi_bad", "INV-2026-000001", 100));
		const now = Math.floor(Date.now() / 1000);
		expect(await post(body, {})).toBe(401);
		expect(await post(body, { "stripe-signature": signStripePayload(body, "whsec_wrong") })).toBe(401);
		expect(await post(body, { "stripe-signature": signStripePayload(body, LOCAL_STRIPE_WEBHOOK_SECRET, now - 301) })).toBe(401);
		expect(await post(`${body} `, { "stripe-signature": signStripePayload(body, LOCAL_STRIPE_WEBHOOK_SECRET) })).toBe(401);
		const truncated = body.slice(0, -5);
		expect(await post(truncated, { "stripe-signature": signStripePayload(truncated, LOCAL_STRIPE_WEBHOOK_SECRET) })).toBe(400);
		const negative = JSON.stringify(paymentEvent("evt_neg", "pi_neg", "INV-2026-000001", -100));
		expect(await post(negative, { "stripe-signature": signStripePayload(negative, LOCAL_STRIPE_WEBHOOK_SECRET) })).toBe(400);
		const oversized = JSON.stringify({ ...paymentEvent("evt_big", "pi_big", "INV-2026-000001", 100), padding: "x".repeat(1024 * 1024) });
		expect(await post(oversized, { "stripe-signature": signStripePayload(oversized, LOCAL_STRIPE_WEBHOOK_SECRET) })).toBe(413);
		expect((await fetch(`${http}/webhooks/stripe`)).status).toBe(405);
		expect(await tableItemCount()).toBe(before);
	});

	it("rejects generated garbage bodies with 4xx and writes nothing", async () => {
		const before = await tableItemCount();
		await fc.assert(
			fc.asyncProperty(
				fc.oneof(
					fc.string(),
					fc.json(),
					fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString("latin1")),
				),
				fc.boolean(),
				async (raw, signed) => {
					const headers: Record<string, string> = signed ? { "stripe-signature": signStripePayload(raw, LOCAL_STRIPE_WEBHOOK_SECRET) } : {};
					const status = await post(raw, headers);
					return status >= 400 && status < 500;
				},
			),
			{ numRuns: 60 },
		);
		expect(await tableItemCount()).toBe(before);
	});
});
