/**
 * `npm run bench:events [-- --events N --concurrency 8]`: billing events written by real
 * operations on the embedded stack (accounts stored, invoices issued through the invoicing
 * code, signed Stripe webhooks paying them: four events an account), published from the
 * table's stream and delivered to a local receiver registered for `*`, which verifies every
 * signature with the `standardwebhooks` package. Reports the rate events were written and
 * received, the lag from each change's commit (its operation returned) to the receipt of its
 * event, p50 and p99, and how many were lost, unsigned or received twice; ends with one JSON
 * line. Exits 1 when an event is lost or a delivery does not verify.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pMap from "p-map";
import { Webhook } from "standardwebhooks";
import { postStripeEvent } from "../local/cli/operations.js";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../local/emulator/environment.js";
import { freePort } from "../local/emulator/ports.js";
import { startEmbeddedStack } from "../local/emulator/stack.js";
import { resolveBillingPeriod } from "../shared/core/period.js";
import type { BillingEvent } from "../shared/events/catalog.js";
import { issueInvoiceForAccount } from "../shared/invoicing/invoices.js";
import { createClients } from "../shared/platform/clients.js";
import { sellerConfig } from "../shared/platform/config.js";
import { addEndpoint } from "../shared/publishing/endpoints.js";
import { putAccount } from "../shared/store/accounts.js";
import { listEvents } from "../shared/store/events.js";

const { values } = parseArgs({
	options: {
		events: { type: "string", default: "2000" },
		concurrency: { type: "string", default: "8" },
	},
});
const EVENTS_PER_ACCOUNT = 4;
const accounts = Math.ceil(Number(values.events) / EVENTS_PER_ACCOUNT);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(accounts) || accounts < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
	throw new Error("--events and --concurrency are positive whole numbers");
}

const percentile = (sorted: readonly number[], p: number) =>
	sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const say = (line: string) => process.stdout.write(`${line}\n`);

/** When each change committed (its operation returned), by the event it leaves: `<type> <object id>`. */
const committed = new Map<string, number>();
const key = (type: string, objectId: string) => `${type} ${objectId}`;

const received = new Map<string, { at: number; event: BillingEvent }>();
let unsigned = 0;
let twice = 0;
let secret = "";
const receiver = createServer((req, res) => {
	const chunks: Buffer[] = [];
	req.on("data", (c: Buffer) => chunks.push(c));
	req.on("end", () => {
		const at = Date.now();
		const body = Buffer.concat(chunks).toString("utf8");
		try {
			const event = new Webhook(secret).verify(body, {
				"webhook-id": String(req.headers["webhook-id"]),
				"webhook-timestamp": String(req.headers["webhook-timestamp"]),
				"webhook-signature": String(req.headers["webhook-signature"]),
			}) as BillingEvent;
			if (received.has(event.id)) twice++;
			else received.set(event.id, { at, event });
		} catch {
			unsigned++;
		}
		res.writeHead(204).end();
	});
});
await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));

const dataDir = mkdtempSync(join(tmpdir(), "billing-bench-events-"));
const stack = await startEmbeddedStack({ dataDir, httpPort: await freePort() });
let exitCode = 0;
try {
	const clients = createClients();
	const table = { ddb: clients.ddb, tableName: stack.tableName };
	const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
	const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
	const since = new Date(Date.now() - 1000).toISOString();
	secret = (
		await addEndpoint(
			table,
			{ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`, events: ["*"] },
			"bench",
			new Date(),
		)
	).secret;
	say(
		`writing ${accounts * EVENTS_PER_ACCOUNT} events: ${accounts} accounts stored, invoiced and paid by signed Stripe webhooks, ${concurrency} at a time`,
	);

	const started = performance.now();
	await pMap(
		Array.from({ length: accounts }, (_, i) => `ACC-EV${String(i + 1).padStart(6, "0")}`),
		async (accountId, i) => {
			await putAccount(table, {
				accountId,
				name: `Events ${accountId} Ltd`,
				email: `ap@${accountId.toLowerCase()}.example.com`,
				currency: "USD",
				status: "active",
				taxRatePpm: 0,
				paymentTermsDays: 30,
				delivery: "email",
				addressLines: ["1 Main St", "Springfield"],
				balance: 0,
				creditBalance: 0,
				plan: { code: "std", description: "Standard plan", unitAmount: 10_000, quantity: 1 },
				createdAt: new Date().toISOString(),
			});
			committed.set(key("account.created", accountId), Date.now());
			const issued = await issueInvoiceForAccount(deps, accountId, period);
			if (issued.outcome === "nothing_to_bill") throw new Error(`${accountId}: nothing to bill`);
			committed.set(key("invoice.issued", issued.invoiceNumber), Date.now());
			const body = {
				id: `evt_bench_events_${i}`,
				object: "event",
				type: "payment_intent.succeeded",
				created: Math.floor(Date.now() / 1000),
				data: {
					object: {
						id: `pi_bench_events_${i}`,
						object: "payment_intent",
						amount_received: 10_000,
						currency: "usd",
						metadata: { invoice_number: issued.invoiceNumber, account_id: accountId },
					},
				},
			};
			const res = await postStripeEvent(stack.endpoints.http as string, body, LOCAL_STRIPE_WEBHOOK_SECRET);
			if (res.status !== 200) throw new Error(`the payment webhook answered ${res.status}: ${res.body}`);
			const done = Date.now();
			committed.set(key("payment.received", `stripe:pi_bench_events_${i}`), done);
			committed.set(key("invoice.paid", issued.invoiceNumber), done);
		},
		{ concurrency },
	);
	const writeSeconds = (performance.now() - started) / 1000;
	const written = (await listEvents(table, { since, limit: 1_000_000 })).items;
	say(
		`wrote ${written.length} events in ${writeSeconds.toFixed(1)} s (${(written.length / writeSeconds).toFixed(0)}/s); waiting for the receiver`,
	);

	const deadline = Date.now() + 120_000;
	while (received.size < written.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
	const allSeconds = (performance.now() - started) / 1000;
	const lost = written.filter((e) => !received.has(e.id)).length;
	const lags = written
		.flatMap((e) => {
			const got = received.get(e.id);
			const at = committed.get(key(e.type, e.objectId));
			return got && at !== undefined ? [got.at - at] : [];
		})
		.sort((a, b) => a - b);
	const result = {
		events: written.length,
		writeSeconds: Number(writeSeconds.toFixed(1)),
		writtenPerSecond: Math.round(written.length / writeSeconds),
		receivedPerSecond: Math.round(received.size / allSeconds),
		lagP50Ms: percentile(lags, 50),
		lagP99Ms: percentile(lags, 99),
		lagMaxMs: lags.at(-1) ?? 0,
		lost,
		unsigned,
		receivedTwice: twice,
	};
	say(
		`received ${received.size} of ${written.length}: lag p50 ${result.lagP50Ms} ms, p99 ${result.lagP99Ms} ms, max ${result.lagMaxMs} ms`,
	);
	say(`${lost} lost, ${unsigned} unsigned, ${twice} received twice`);
	say(JSON.stringify(result));
	if (lost > 0 || unsigned > 0 || written.length < accounts * EVENTS_PER_ACCOUNT) exitCode = 1;
} finally {
	await stack.stop();
	await new Promise((r) => receiver.close(r));
	rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
