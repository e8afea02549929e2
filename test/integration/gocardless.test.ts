import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_GOCARDLESS_WEBHOOK_SECRET } from "../../local/emulator/environment.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { signGoCardlessPayload } from "../../shared/payments/providers/gocardless.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { putAccount } from "../../shared/store/accounts.js";
import { getPayment } from "../../shared/store/payments.js";
import { getAccount, getInvoice, listLedgerEntries } from "../../shared/store/records.js";
import { startTestStack } from "../support/embedded.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let http: string;
let clients: ReturnType<typeof createClients>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let invoiceNumber: string;
const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));

function gcEvent(id: string, resourceType: string, action: string, links: Record<string, string>, metadata: Record<string, string> = {}) {
	return { id, created_at: "2026-11-05T10:00:00.000Z", resource_type: resourceType, action, links, resource_metadata: metadata };
}

async function post(body: string, signature?: string): Promise<{ status: number; json: Record<string, unknown> }> {
	const res = await fetch(`${http}/webhooks/gocardless`, {
		method: "POST",
		headers: { "content-type": "application/json", ...(signature === undefined ? {} : { "webhook-signature": signature }) },
		body,
	});
	const text = await res.text();
	return { status: res.status, json: res.status === 200 ? (JSON.parse(text) as Record<string, unknown>) : { error: text } };
}

const signedPost = (payload: unknown) => {
	const body = JSON.stringify(payload);
	return post(body, signGoCardlessPayload(body, LOCAL_GOCARDLESS_WEBHOOK_SECRET));
};

async function itemCount(): Promise<number> {
	return (await clients.ddb.send(new ScanCommand({ TableName: stack.tableName, Select: "COUNT" }))).Count ?? 0;
}

beforeAll(async () => {
	stack = await startTestStack("gocardless", { http: true });
	http = stack.endpoints.http as string;
	clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	await putAccount(table, {
		accountId: "ACC-G1",
		name: "Direct Debit Ltd",
		email: `ap+${stack.tag}@example.com`,
		currency: "GBP",
		status: "active",
		taxRatePpm: 200000,
		paymentTermsDays: 14,
		delivery: "email",
		addressLines: [],
		plan: { code: "p", description: "Plan", unitAmount: 5000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: new Date().toISOString(),
	});
	const issued = await issueInvoiceForAccount(
		{ ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() },
		"ACC-G1",
		october,
	);
	if (issued.outcome === "nothing_to_bill") throw new Error("expected an invoice");
	invoiceNumber = issued.invoiceNumber;
}, 60_000);

afterAll(async () => {
	expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	await stack?.stop();
});

describe("GoCardless webhooks on POST /webhooks/gocardless", () => {
	it("applies a confirmed payment once across its events and redeliveries, and ignores what carries no money", async () => {
		const metadata = { amount: "6000", currency: "GBP", invoice_number: invoiceNumber };
		const confirmed = gcEvent("EV001", "payments", "confirmed", { payment: "PM001" }, metadata);
		const res = await signedPost({
			events: [
				gcEvent("EV000", "mandates", "created", { mandate: "MD001" }),
				confirmed,
				gcEvent("EV002", "payments", "paid_out", { payment: "PM001", payout: "PO001" }, metadata),
			],
			meta: { webhook_id: "WB001" },
		});
		expect(res.status).toBe(200);
		expect(res.json).toMatchObject({
			result: "batch",
			events: [
				{ result: "ignored", eventType: "mandates.created" },
				{ result: "applied", paymentId: "PM001", invoiceNumber },
				{ result: "duplicate_payment", paymentId: "PM001" },
			],
		});
		expect(await getInvoice(table, invoiceNumber)).toMatchObject({ currency: "GBP", total: 6000, status: "paid", amountDue: 0 });
		const again = await signedPost({ events: [confirmed] });
		expect(again.json).toMatchObject({ events: [{ result: "duplicate_event" }] });
		expect(await getAccount(table, "ACC-G1")).toMatchObject({ balance: 0 });
	});

	it("keeps a batch's raw body once, its events pointing at it, all deleted by DynamoDB's TTL after 365 days", async () => {
		const items = (await clients.ddb.send(new ScanCommand({ TableName: stack.tableName }))).Items ?? [];
		const events = ["EV000", "EV001", "EV002"].map((id) => items.find((i) => i.pk === `EVENT#gocardless#${id}`));
		const bodyId = events[0]?.bodyId as string;
		expect(bodyId).toMatch(/^[0-9a-f]{64}$/);
		for (const event of events) {
			expect(event).toMatchObject({ bodyId });
			expect(event).not.toHaveProperty("rawBody");
		}
		const bodies = items.filter((i) => String(i.pk).startsWith("WEBHOOK_BODY#gocardless#"));
		// The batch and the redelivery of its confirmed event: two deliveries, two bodies, not four.
		expect(bodies).toHaveLength(2);
		const batch = bodies.find((b) => b.pk === `WEBHOOK_BODY#gocardless#${bodyId}`);
		for (const id of ["EV000", "EV001", "EV002"]) expect(batch?.rawBody).toContain(`"id":"${id}"`);
		const yearFromNow = Date.now() / 1000 + 365 * 24 * 3600;
		for (const item of [...events, ...bodies]) expect(Math.abs(Number(item?.ttl) - yearFromNow)).toBeLessThan(600);
	});

	it("reopens the invoice when the payer's bank charges the payment back", async () => {
		const res = await signedPost({
			events: [
				gcEvent(
					"EV003",
					"payments",
					"charged_back",
					{ payment: "PM001" },
					{ amount: "6000", currency: "GBP", invoice_number: invoiceNumber },
				),
			],
		});
		expect(res.json).toMatchObject({ events: [{ result: "dispute_lost", amount: 6000 }] });
		expect(await getInvoice(table, invoiceNumber)).toMatchObject({ status: "open", amountDue: 6000 });
		expect(await getPayment(table, "gocardless", "PM001")).toMatchObject({ chargebackAmount: 6000 });
		expect((await listLedgerEntries(table, "ACC-G1")).map((e) => [e.type, e.amount])).toContainEqual(["chargeback", 6000]);
	});

	it("rejects a missing or wrong signature with 401 and a malformed batch with 400, writing nothing", async () => {
		const before = await itemCount();
		const body = JSON.stringify({
			events: [gcEvent("EV100", "payments", "confirmed", { payment: "PM100" }, { amount: "100", currency: "GBP" })],
		});
		expect((await post(body)).status).toBe(401);
		expect((await post(body, signGoCardlessPayload(body, "other_secret"))).status).toBe(401);
		expect((await post(body, "not-hex")).status).toBe(401);
		const tampered = body.replace('"100"', '"999"');
		expect((await post(tampered, signGoCardlessPayload(body, LOCAL_GOCARDLESS_WEBHOOK_SECRET))).status).toBe(401);
		for (const bad of [
			{ events: [] },
			{ events: [gcEvent("EV101", "payments", "confirmed", {}, { amount: "100", currency: "GBP" })] },
			{ events: [gcEvent("EV102", "payments", "confirmed", { payment: "PM102" }, { amount: "-5", currency: "GBP" })] },
			{ events: [gcEvent("EV103", "payments", "confirmed", { payment: "PM103" }, { amount: "1.5", currency: "GBP" })] },
			{ events: [gcEvent("EV104", "payments", "confirmed", { payment: "PM104" }, { amount: "100", currency: "XXX" })] },
			// One bad event rejects the batch: the good one before it is not recorded either.
			{ events: [gcEvent("EV105", "payments", "confirmed", { payment: "PM105" }, { amount: "100", currency: "GBP" }), { id: 7 }] },
		]) {
			const res = await signedPost(bad);
			expect(res.status, JSON.stringify(bad)).toBe(400);
		}
		const truncated = body.slice(0, -3);
		expect((await post(truncated, signGoCardlessPayload(truncated, LOCAL_GOCARDLESS_WEBHOOK_SECRET))).status).toBe(400);
		expect(await itemCount()).toBe(before);
	});
});
