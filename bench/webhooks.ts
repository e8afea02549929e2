/**
 * `npm run bench:webhooks [-- --events N --duplicates 0.1 --concurrency 20 --match invoice|customer]`:
 * issues one open invoice per payment through the real invoicing code, then posts N signed
 * Stripe webhooks paying them (a share redelivered) to the embedded stack's HTTP front, and
 * compares the throughput with DynamoDB Local's raw rate for the DynamoDB calls each webhook
 * makes: the read its match makes (the named invoice; the customer's invoice guards and their
 * invoices) and the TransactWriteItems it commits (same items, same conditions and index
 * keys, the billing events with payloads of the real size, the books' lock check; no HTTP,
 * no parsing), on the same table at the same concurrency. The two alternate in rounds so that both meet the
 * same load on the machine. Exits 1 when a payment is missing, an invoice is left unpaid or
 * an invariant fails.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BatchGetCommand, BatchWriteCommand, GetCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../local/emulator/environment.js";
import { freePort } from "../local/emulator/ports.js";
import { startEmbeddedStack } from "../local/emulator/stack.js";
import type { Invoice, Payment } from "../shared/core/model.js";
import { resolveBillingPeriod } from "../shared/core/period.js";
import { billingEvent } from "../shared/events/catalog.js";
import { invoiceView, paymentView } from "../shared/events/views.js";
import { issueInvoiceForAccount } from "../shared/invoicing/invoices.js";
import { signStripePayload } from "../shared/payments/providers/stripe.js";
import { createClients } from "../shared/platform/clients.js";
import { sellerConfig } from "../shared/platform/config.js";
import { verifyLedgerInvariants } from "../shared/reporting/invariants.js";
import { putAccount } from "../shared/store/accounts.js";
import { getInvoice, listInvoicesOfPeriod, listPayments } from "../shared/store/records.js";

const { values } = parseArgs({
	options: {
		events: { type: "string", default: "2000" },
		duplicates: { type: "string", default: "0.1" },
		concurrency: { type: "string", default: "20" },
		match: { type: "string", default: "invoice" },
		rounds: { type: "string", default: "8" },
	},
});
const events = Number(values.events);
const duplicateShare = Number(values.duplicates);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const match = values.match;
if (match !== "invoice" && match !== "customer") throw new Error(`--match is "invoice" or "customer", not ${JSON.stringify(match)}`);
if (
	![events, duplicateShare, concurrency, rounds].every(Number.isFinite) ||
	concurrency < 1 ||
	rounds < 1 ||
	events < rounds ||
	duplicateShare < 0 ||
	duplicateShare >= 1
) {
	throw new Error("--events, --concurrency and --rounds are positive numbers (events ≥ rounds); --duplicates is in [0, 1)");
}

/** Runs `work(i)` for i in [from, to) with at most `concurrency` in flight; returns the elapsed seconds and each call's latency in ms. */
async function pool(from: number, to: number, work: (i: number) => Promise<void>): Promise<{ seconds: number; latencies: number[] }> {
	const latencies: number[] = [];
	let next = from;
	const started = performance.now();
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < to) {
				const i = next++;
				const t = performance.now();
				await work(i);
				latencies.push(performance.now() - t);
			}
		}),
	);
	return { seconds: (performance.now() - started) / 1000, latencies };
}

function percentile(sorted: readonly number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const dataDir = mkdtempSync(join(tmpdir(), "billing-bench-"));
// No events' publisher: it would work on the webhooks' events only, not the raw side's, and tilt the comparison (on AWS it is a function of its own).
const stack = await startEmbeddedStack({ dataDir, httpPort: await freePort(), publishEvents: false });
let exitCode = 0;
try {
	const clients = createClients();
	const { ddb } = clients;
	const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
	const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));

	// One customer and one open invoice per payment, issued as the billing cycle issues them.
	const unique = Math.round(events * (1 - duplicateShare));
	process.stderr.write(`issuing ${unique} invoices to pay...\n`);
	const payees: { accountId: string; invoiceNumber: string; amountDue: number }[] = [];
	let issuedCount = 0;
	await pool(0, unique, async (i) => {
		const accountId = `ACC-B${String(i).padStart(5, "0")}`;
		await putAccount(deps, {
			accountId,
			name: `Bench ${accountId}`,
			email: "bench@example.com",
			currency: "USD",
			status: "active",
			taxRatePpm: 0,
			paymentTermsDays: 30,
			delivery: "email",
			addressLines: ["1 Bench Road"],
			plan: { code: "bench", description: "Bench plan", unitAmount: 1000 + (i % 97), quantity: 1 },
			balance: 0,
			creditBalance: 0,
			createdAt: new Date().toISOString(),
		});
		const issued = await issueInvoiceForAccount(deps, accountId, period);
		if (issued.outcome === "nothing_to_bill") throw new Error(`${accountId} has nothing to bill`);
		const invoice = await getInvoice(deps, issued.invoiceNumber);
		payees[i] = { accountId, invoiceNumber: issued.invoiceNumber, amountDue: invoice?.amountDue ?? 0 };
		issuedCount += 1;
		if (issuedCount % 300 === 0) process.stderr.write(`  ${issuedCount} issued\n`);
	});

	const bodies = payees.map((payee, i) =>
		JSON.stringify({
			id: `evt_bench_${i}`,
			object: "event",
			type: "payment_intent.succeeded",
			created: Math.floor(Date.now() / 1000),
			data: {
				object: {
					id: `pi_bench_${i}`,
					object: "payment_intent",
					amount_received: payee.amountDue,
					currency: "usd",
					metadata:
						match === "invoice" ? { invoice_number: payee.invoiceNumber, account_id: payee.accountId } : { account_id: payee.accountId },
				},
			},
		}),
	);
	const sequence = [...bodies.keys(), ...Array.from({ length: events - unique }, (_, i) => (i * 7919) % unique)];
	// Redeliveries arrive mixed in with first deliveries, as they do from Stripe.
	sequence.sort((a, b) => ((a * 2654435761) % 1000) - ((b * 2654435761) % 1000));

	// The raw side's own items, shaped like an issued invoice, its period guard and its account, under keys the ledger never reads.
	const issued = (await getInvoice(deps, payees[0]?.invoiceNumber ?? "")) as Invoice;
	const raw = Array.from({ length: events }, (_, i) => {
		const id = randomUUID();
		const amount = 1000 + (i % 97);
		const at = new Date().toISOString();
		const invoice: Invoice = { ...issued, number: `BENCH-${id}`, total: amount, subtotal: amount, amountDue: amount };
		const paidInvoice: Invoice = { ...invoice, status: "paid", amountPaid: amount, amountDue: 0 };
		const payment: Payment = {
			provider: "stripe",
			paymentId: `pi_raw_${i}`,
			eventId: `evt_raw_${i}`,
			invoiceNumber: invoice.number,
			accountId: `BENCH-${id}`,
			amount,
			currency: "USD",
			receivedAt: at,
			status: "applied",
			appliedAmount: amount,
			creditedAmount: 0,
			unappliedAmount: 0,
			applications: [{ invoiceNumber: invoice.number, amount }],
			refundedAmount: 0,
			chargebackAmount: 0,
			returnedUnapplied: 0,
		};
		// The events' payloads as the store builds them: the payment and the invoice after the change.
		const eventItem = (pk: string, event: ReturnType<typeof billingEvent>) => ({
			pk,
			sk: `EVENT#${event.occurredAt}#${event.id}`,
			gsi1pk: `BENCH_EVENTS#${event.occurredAt.slice(0, 10)}`,
			gsi1sk: `${event.occurredAt}#${event.id}`,
			...event,
		});
		return {
			id,
			amount,
			invoice,
			paymentEvent: eventItem(
				`BENCH#PAYMENT#${id}`,
				billingEvent("payment.received", `stripe:${payment.paymentId}`, paymentView(payment), at),
			),
			invoiceEvent: eventItem(`BENCH#INVOICE#${id}`, billingEvent("invoice.paid", invoice.number, invoiceView(paidInvoice), at)),
		};
	});
	for (let start = 0; start < raw.length; start += 8) {
		const slice = raw.slice(start, start + 8);
		await ddb.send(
			new BatchWriteCommand({
				RequestItems: {
					[stack.tableName]: slice.flatMap(({ id, invoice }) => [
						{
							PutRequest: {
								Item: { pk: `BENCH#INVOICE#${id}`, sk: "INVOICE", ...invoice, gsi2pk: "BENCH_OPEN_INVOICES", gsi2sk: `2026-12-01#${id}` },
							},
						},
						{ PutRequest: { Item: { pk: `BENCH#ACCOUNT#${id}`, sk: "INVOICE_FOR#2026-10", invoiceNumber: `BENCH#INVOICE#${id}` } } },
						{
							PutRequest: {
								Item: {
									pk: `BENCH#ACCOUNT#${id}`,
									sk: "ACCOUNT",
									currency: "USD",
									balance: invoice.amountDue,
									gsi1pk: "BENCH_ACCOUNTS",
									gsi1sk: id,
								},
							},
						},
					]),
				},
			}),
		);
	}
	/** The read the webhook's match makes before its transaction: the named invoice, or the customer's invoice guards and their invoices. */
	const rawRead = async (id: string): Promise<void> => {
		if (match === "invoice") {
			await ddb.send(
				new GetCommand({ TableName: stack.tableName, Key: { pk: `BENCH#INVOICE#${id}`, sk: "INVOICE" }, ConsistentRead: true }),
			);
			return;
		}
		const guards = await ddb.send(
			new QueryCommand({
				TableName: stack.tableName,
				KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
				ExpressionAttributeValues: { ":pk": `BENCH#ACCOUNT#${id}`, ":prefix": "INVOICE_FOR#" },
				ConsistentRead: true,
			}),
		);
		const numbers = (guards.Items ?? []).map((g) => String(g.invoiceNumber));
		await ddb.send(
			new BatchGetCommand({
				RequestItems: { [stack.tableName]: { Keys: numbers.map((pk) => ({ pk, sk: "INVOICE" })), ConsistentRead: true } },
			}),
		);
	};
	const rawTransaction = async (i: number): Promise<void> => {
		const { id, amount, paymentEvent, invoiceEvent } = raw[i] as (typeof raw)[number];
		await rawRead(id);
		const at = new Date().toISOString();
		const eventPut = (Item: Record<string, unknown>) => ({
			Put: { TableName: stack.tableName, Item, ConditionExpression: "attribute_not_exists(pk)" },
		});
		await ddb.send(
			new TransactWriteCommand({
				TransactItems: [
					{
						Put: {
							TableName: stack.tableName,
							Item: { pk: `BENCH#EVENT#${id}`, sk: "EVENT", eventType: "payment_intent.succeeded", rawBody: bodies[i % bodies.length], at },
							ConditionExpression: "attribute_not_exists(pk)",
						},
					},
					{
						Put: {
							TableName: stack.tableName,
							Item: { pk: `BENCH#PAYMENT#${id}`, sk: "PAYMENT", amount, currency: "USD", gsi1pk: "BENCH_PAYMENTS", gsi1sk: `${at}#${id}` },
							ConditionExpression: "attribute_not_exists(pk)",
						},
					},
					{
						ConditionCheck: {
							TableName: stack.tableName,
							Key: { pk: `BENCH#PARKED#${id}`, sk: "MARKER" },
							ConditionExpression: "attribute_not_exists(pk)",
						},
					},
					eventPut(paymentEvent),
					{
						Update: {
							TableName: stack.tableName,
							Key: { pk: `BENCH#INVOICE#${id}`, sk: "INVOICE" },
							UpdateExpression: "SET amountPaid = :amount, amountDue = :zero, #status = :paid REMOVE gsi2pk, gsi2sk",
							ConditionExpression: "amountPaid = :unpaid AND amountDue = :amount",
							ExpressionAttributeNames: { "#status": "status" },
							ExpressionAttributeValues: { ":amount": amount, ":zero": 0, ":unpaid": 0, ":paid": "paid" },
						},
					},
					{
						Put: {
							TableName: stack.tableName,
							Item: {
								pk: `BENCH#INVOICE#${id}`,
								sk: `AUDIT#${at}#${randomUUID()}`,
								action: "payment_applied",
								actor: "stripe",
								at,
								before: { status: "open", amountPaid: 0, amountDue: amount },
								after: { status: "paid", amountPaid: amount, amountDue: 0 },
							},
						},
					},
					eventPut(invoiceEvent),
					{ Put: { TableName: stack.tableName, Item: { pk: `BENCH#ACCOUNT#${id}`, sk: `LEDGER#${at}`, amount: -amount, at } } },
					{
						Update: {
							TableName: stack.tableName,
							Key: { pk: `BENCH#ACCOUNT#${id}`, sk: "ACCOUNT" },
							UpdateExpression: "SET balance = balance - :amount",
							ConditionExpression: "attribute_exists(pk) AND currency = :currency",
							ExpressionAttributeValues: { ":amount": amount, ":currency": "USD" },
						},
					},
					{
						ConditionCheck: {
							TableName: stack.tableName,
							Key: { pk: "BENCH#BOOKS", sk: "LOCK" },
							ConditionExpression: "attribute_not_exists(closedThrough) OR closedThrough < :period",
							ExpressionAttributeValues: { ":period": at.slice(0, 7) },
						},
					},
				],
			}),
		);
	};

	const statuses = new Map<number, number>();
	const url = `${stack.endpoints.http}/webhooks/stripe`;
	const postWebhook = async (i: number): Promise<void> => {
		const body = bodies[sequence[i] as number] as string;
		const res = await fetch(url, {
			method: "POST",
			headers: { "content-type": "application/json", "stripe-signature": signStripePayload(body, LOCAL_STRIPE_WEBHOOK_SECRET) },
			body,
		});
		await res.arrayBuffer();
		statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
	};
	process.stderr.write(
		`posting ${events} webhooks (${events - unique} duplicates, matched by ${match}) at concurrency ${concurrency}, ` +
			`alternating with as many raw reads and transactions in ${rounds} rounds...\n`,
	);
	let webhookSeconds = 0;
	let rawSeconds = 0;
	const latencies: number[] = [];
	for (let round = 0; round < rounds; round++) {
		const from = Math.floor((round * events) / rounds);
		const to = Math.floor(((round + 1) * events) / rounds);
		const webhooks = await pool(from, to, postWebhook);
		webhookSeconds += webhooks.seconds;
		latencies.push(...webhooks.latencies);
		rawSeconds += (await pool(from, to, rawTransaction)).seconds;
	}

	const payments = await listPayments(deps);
	const unpaid = (await listInvoicesOfPeriod(deps, period.period)).filter((i) => i.amountDue !== 0 || i.status !== "paid");
	const invariants = await verifyLedgerInvariants(deps);
	const sorted = latencies.sort((a, b) => a - b);
	const throughput = events / webhookSeconds;
	const rawRate = events / rawSeconds;
	const lost = unique - payments.length;
	const result = {
		events,
		duplicates: events - unique,
		concurrency,
		matchedBy: match,
		statuses: Object.fromEntries(statuses),
		webhooksPerSecond: Math.round(throughput),
		p50Ms: Number(percentile(sorted, 50).toFixed(1)),
		p99Ms: Number(percentile(sorted, 99).toFixed(1)),
		rawCallsPerSecond: Math.round(rawRate),
		ratio: Number((throughput / rawRate).toFixed(2)),
		paymentsRecorded: payments.length,
		lost,
		invoicesLeftUnpaid: unpaid.length,
		invariantsHold: invariants.invariantsHold,
	};
	process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
	if (lost !== 0 || unpaid.length !== 0 || !invariants.invariantsHold || statuses.size !== 1 || !statuses.has(200)) exitCode = 1;
} finally {
	await stack.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
process.exitCode = exitCode;
