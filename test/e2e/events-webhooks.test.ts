import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postStripeEvent, runBillingCycle } from "../../local/cli/operations.js";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../local/emulator/environment.js";
import { freePort } from "../../local/emulator/ports.js";
import { writeOffInvoice } from "../../shared/collections/write-off.js";
import type { BillingEvent } from "../../shared/events/catalog.js";
import { createCreditMemo } from "../../shared/invoicing/credit-memos.js";
import { voidInvoice } from "../../shared/invoicing/void.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listEvents } from "../../shared/store/events.js";
import { listInvoicesOfPeriod } from "../../shared/store/records.js";
import { getWebhookEndpoint } from "../../shared/store/webhooks.js";
import { testAccount } from "../support/accounts.js";
import { cliInProcess } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";
import { stripeEvents } from "../support/stripe-events.js";

/*
 * Billing events out as a receiving system meets them (DESIGN.md section 14): a month's
 * run and its payments, refund, dispute, void, credit memo and write-off, published from
 * the table's stream to three endpoints registered with `billing webhooks add`: one that
 * answers, one that fails each event's first three attempts, one that is down. The clock of
 * the retry schedule is the test's, so three days pass without waiting.
 */

interface Received {
	readonly headers: IncomingHttpHeaders;
	readonly body: string;
}

interface Receiver {
	readonly url: string;
	readonly received: Received[];
	close(): Promise<void>;
}

/** A receiving system: records every POST; answers 500 to an event's first `failFirst` attempts. */
async function startReceiver(failFirst = 0): Promise<Receiver> {
	const received: Received[] = [];
	const attempts = new Map<string, number>();
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const id = String(req.headers["webhook-id"]);
			const n = (attempts.get(id) ?? 0) + 1;
			attempts.set(id, n);
			received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
			res.writeHead(n <= failFirst ? 500 : 204).end();
		});
	});
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/billing-events`,
		received,
		close: () => new Promise((r) => server.close(() => r())),
	};
}

const verified = (secret: string, r: Received) =>
	new Webhook(secret).verify(r.body, {
		"webhook-id": String(r.headers["webhook-id"]),
		"webhook-timestamp": String(r.headers["webhook-timestamp"]),
		"webhook-signature": String(r.headers["webhook-signature"]),
	}) as BillingEvent;

/** The events a receiver got, once each, by id. */
const distinct = (received: readonly Received[]) =>
	new Map(received.map((r) => [String(r.headers["webhook-id"]), JSON.parse(r.body) as BillingEvent]));

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let cli: ReturnType<typeof cliInProcess>;
/** How far the schedule's clock is ahead of the real one. */
let ahead = 0;
let healthy: Receiver;
let flaky: Receiver;
const down = { url: "" };
const secrets: Record<string, string> = {};
const ids: Record<string, string> = {};
/** Events are dated when they happened in the books: the run's invoices on their issue day. */
const startedAt = "2026-10-01T00:00:00.000Z";
const PERIOD = "2026-10";
const ACCOUNTS = ["W1", "W2", "W3", "W4", "W5"];
const { paymentIntent, refund, dispute } = stripeEvents("w");

async function add(url: string, events: string): Promise<void> {
	const out = await cli("webhooks", "add", url, "--events", events, "--json");
	expect(out.code).toBe(0);
	const added = JSON.parse(out.stdout) as { endpoint: { endpointId: string }; secret: string };
	expect(added.secret).toMatch(/^whsec_/);
	ids[url] = added.endpoint.endpointId;
	secrets[url] = added.secret;
}

/** Moves the schedule's clock on by `ms` and lets the publisher and the deliveries catch up. */
async function passTime(ms: number): Promise<void> {
	ahead += ms;
	await stack.events.settled();
}

const allEvents = async () =>
	(await listEvents({ ddb: createClients().ddb, tableName: stack.tableName }, { since: startedAt, limit: 10_000 })).items;

beforeAll(async () => {
	stack = await startTestStack("webhooks", { http: true, publishEvents: true, eventClock: () => new Date(Date.now() + ahead) });
	cli = cliInProcess(stack);
	healthy = await startReceiver();
	flaky = await startReceiver(3);
	down.url = `http://127.0.0.1:${await freePort()}/nobody-listens`;
	await add(healthy.url, "*");
	await add(flaky.url, "invoice.*");
	await add(down.url, "payment.*");

	const clients = createClients();
	const table = { ddb: clients.ddb, tableName: stack.tableName };
	for (const id of ACCOUNTS) {
		await putAccount(
			table,
			testAccount(`ACC-${id}`, {
				name: `Webhook ${id} Ltd`,
				email: `ap+${stack.tag}@example.com`,
				plan: { code: "p", description: "Plan", unitAmount: 10000, quantity: 1 },
				createdAt: new Date().toISOString(),
			}),
		);
	}
	const run = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: PERIOD, asOf: "2026-11-01" });
	expect(run.status).toBe("SUCCEEDED");
	const issued = new Map((await listInvoicesOfPeriod(table, PERIOD)).map((i) => [i.accountId, i.number]));
	const inv = (id: string) => issued.get(`ACC-${id}`) as string;
	const http = stack.endpoints.http as string;
	const post = async (e: unknown) => expect((await postStripeEvent(http, e, LOCAL_STRIPE_WEBHOOK_SECRET)).status).toBe(200);
	await post(paymentIntent("pi_W1", 10000, { invoice_number: inv("W1") }));
	await post(refund("pi_W1", 2500));
	await post(paymentIntent("pi_W2", 4000, { invoice_number: inv("W2") }));
	await post(paymentIntent("pi_W3", 10000, { invoice_number: inv("W3") }));
	await post(dispute("created", "pi_W3", 10000, "needs_response"));
	await post(dispute("closed", "pi_W3", 10000, "won"));
	const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig(), actor: "dana@example.com" };
	await voidInvoice(deps, inv("W4"), "billed the wrong entity");
	await createCreditMemo(deps, { invoiceNumber: inv("W2"), amount: 1000, reason: "service credit" });
	await writeOffInvoice(deps, inv("W5"), "customer gone");
	await stack.events.settled();
}, 120_000);

afterAll(async () => {
	await stack?.stop();
	await healthy?.close();
	await flaky?.close();
});

describe("billing events out through webhooks", () => {
	it("delivers every event of the month to the endpoint for '*', each signed and verified with the endpoint's secret", async () => {
		const events = await allEvents();
		expect(events.map((e) => e.type).sort()).toEqual(
			[
				...Array(5).fill("account.created"),
				...Array(5).fill("invoice.issued"),
				...Array(5).fill("invoice.delivered"),
				"billing_run.succeeded",
				...Array(3).fill("payment.received"),
				"payment.refunded",
				"invoice.paid",
				"invoice.paid",
				"invoice.partially_paid",
				"dispute.opened",
				"dispute.closed",
				"invoice.voided",
				"credit_memo.issued",
				"invoice.written_off",
			].sort(),
		);
		for (const r of healthy.received) expect(() => verified(secrets[healthy.url] as string, r)).not.toThrow();
		const got = distinct(healthy.received);
		expect([...got.keys()].sort()).toEqual(events.map((e) => e.id).sort());
		for (const e of events) expect(got.get(e.id)).toEqual({ ...e, sequence: expect.any(Number) });
	});

	it("gives every invoice the run issued exactly one invoice.issued event id", async () => {
		const issued = [...distinct(healthy.received).values()].filter((e) => e.type === "invoice.issued");
		expect(issued.map((e) => e.objectId).sort()).toEqual(
			(await listInvoicesOfPeriod({ ddb: createClients().ddb, tableName: stack.tableName }, PERIOD)).map((i) => i.number).sort(),
		);
		expect(new Set(issued.map((e) => e.id)).size).toBe(ACCOUNTS.length);
	});

	it("numbers each object's events 1, 2, 3... without a gap, in the order they happened", async () => {
		const byObject = new Map<string, BillingEvent[]>();
		for (const e of distinct(healthy.received).values())
			byObject.set(`${e.objectType}:${e.objectId}`, [...(byObject.get(`${e.objectType}:${e.objectId}`) ?? []), e]);
		for (const events of byObject.values()) {
			const ordered = [...events].sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0));
			expect(ordered.map((e) => e.sequence)).toEqual(ordered.map((_, i) => i + 1));
			expect(ordered.map((e) => e.id)).toEqual([...ordered.map((e) => e.id)].sort());
		}
		const invoiceEvents = [...distinct(healthy.received).values()].filter((e) => e.objectType === "invoice");
		expect(
			invoiceEvents.filter((e) => e.type === "invoice.paid" || e.type === "invoice.partially_paid").every((e) => (e.sequence ?? 0) >= 2),
		).toBe(true);
	});

	it("keeps trying an endpoint that answers 500 three times, with backoff, until every event it takes is delivered", async () => {
		const invoiceEvents = (await allEvents()).filter((e) => e.type.startsWith("invoice."));
		for (let i = 0; i < 6 && flaky.received.length < invoiceEvents.length * 4; i++) await passTime(60_000);
		const byId = new Map<string, number>();
		for (const r of flaky.received) byId.set(String(r.headers["webhook-id"]), (byId.get(String(r.headers["webhook-id"])) ?? 0) + 1);
		expect([...byId.keys()].sort()).toEqual(invoiceEvents.map((e) => e.id).sort());
		expect([...new Set(byId.values())]).toEqual([4]);
		const out = await cli("webhooks", "deliveries", ids[flaky.url] as string, "--json");
		expect(out.code).toBe(0);
		const deliveries = JSON.parse(out.stdout) as { status: string; attemptCount: number; attempts: { status?: number }[] }[];
		expect(deliveries).toHaveLength(invoiceEvents.length);
		for (const d of deliveries) {
			expect(d).toMatchObject({ status: "delivered", attemptCount: 4 });
			expect(d.attempts.map((a) => a.status)).toEqual([500, 500, 500, 204]);
		}
	});

	it("signs with the old and the new secret for a day after a rotation, then with the new one only", async () => {
		const id = ids[healthy.url] as string;
		const out = await cli("webhooks", "rotate-secret", id, "--json");
		expect(out.code).toBe(0);
		const { secret } = JSON.parse(out.stdout) as { secret: string };
		const oldSecret = secrets[healthy.url] as string;
		secrets[healthy.url] = secret;
		const count = healthy.received.length;
		await cli("accounts", "update", "ACC-W1", "--email", `billing+${stack.tag}@example.com`, "--reason", "new AP inbox");
		await passTime(1000);
		const [during] = healthy.received.slice(count);
		expect(JSON.parse(during?.body ?? "{}")).toMatchObject({ type: "account.updated", objectId: "ACC-W1" });
		expect(verified(secret, during as Received).id).toBe(during?.headers["webhook-id"]);
		expect(verified(oldSecret, during as Received).id).toBe(during?.headers["webhook-id"]);

		await passTime(25 * 3_600_000);
		const later = healthy.received.length;
		await cli("accounts", "update", "ACC-W1", "--email", `ap+${stack.tag}@example.com`, "--reason", "back to the old inbox");
		await passTime(1000);
		const [after] = healthy.received.slice(later);
		expect(verified(secret, after as Received).id).toBe(after?.headers["webhook-id"]);
		expect(() => verified(oldSecret, after as Received)).toThrow(/No matching signature/);
	});

	it("dead-letters what an endpoint down for 3 days missed, puts it on the worklist, and disables the endpoint, saying why", async () => {
		const paymentEvents = (await allEvents()).filter((e) => e.type.startsWith("payment."));
		expect(paymentEvents.length).toBeGreaterThan(0);
		for (let i = 0; i < 14; i++) await passTime(6 * 3_600_000);
		const id = ids[down.url] as string;
		const deliveries = JSON.parse((await cli("webhooks", "deliveries", id, "--json")).stdout) as {
			status: string;
			attemptCount: number;
			attempts: { at: string }[];
		}[];
		expect(deliveries).toHaveLength(paymentEvents.length);
		for (const d of deliveries) {
			expect(d.status).toBe("dead_lettered");
			const attempts = d.attempts.map((a) => Date.parse(a.at));
			expect(d.attemptCount).toBeGreaterThan(8);
			expect((attempts.at(-1) ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(3 * 86_400_000 - 60_000);
		}
		const endpoint = await getWebhookEndpoint({ ddb: createClients().ddb, tableName: stack.tableName }, id);
		expect(endpoint).toMatchObject({ status: "disabled", deadLettered: paymentEvents.length });
		expect(endpoint?.disabledReason).toMatch(/every delivery failed since/);
		const list = await cli("webhooks", "list");
		expect(list.stdout).toMatch(new RegExp(`${id}.*disabled: disabled .*every delivery failed since`));
		const worklist = JSON.parse((await cli("worklist", "--json")).stdout) as {
			id: string;
			kind: string;
			detail: string;
			resolve: string;
		}[];
		const item = worklist.find((w) => w.id === `webhook:${id}`);
		expect(item).toMatchObject({ kind: "webhook_dead_letters" });
		expect(item?.detail).toContain(`missed ${paymentEvents.length} events`);
		expect(item?.resolve).toContain(`billing events replay --endpoint ${id}`);
		// The others were delivered meanwhile: nothing of theirs is on the worklist.
		expect(worklist.filter((w) => w.kind === "webhook_dead_letters")).toHaveLength(1);
	});

	it("replays an endpoint's events under the same ids", async () => {
		const before = distinct(healthy.received);
		const count = healthy.received.length;
		const out = await cli("events", "replay", "--endpoint", ids[healthy.url] as string, "--since", startedAt);
		expect(out.code).toBe(0);
		expect(out.stdout).toContain(`${before.size} events queued again`);
		await passTime(1000);
		const again = healthy.received.slice(count);
		expect(again.map((r) => String(r.headers["webhook-id"])).sort()).toEqual([...before.keys()].sort());
		for (const r of again) expect(verified(secrets[healthy.url] as string, r)).toEqual(before.get(String(r.headers["webhook-id"])));
	});

	it("refuses a URL or an event pattern it cannot use, with the reason, and adds nothing", async () => {
		const before = JSON.parse((await cli("webhooks", "list", "--json")).stdout) as unknown[];
		const badUrl = await cli("webhooks", "add", "ftp://files.example.com/x", "--events", "*");
		expect(badUrl.code).not.toBe(0);
		expect(badUrl.stderr).toContain("an http or https URL");
		const badPattern = await cli("webhooks", "add", healthy.url, "--events", "invoices.*");
		expect(badPattern.code).not.toBe(0);
		expect(badPattern.stderr).toContain('"invoices.*" is not an event type or pattern');
		expect(JSON.parse((await cli("webhooks", "list", "--json")).stdout)).toEqual(before);
	});
});
