/**
 * `npm run bench:webhooks [-- --events N --duplicates 0.1 --concurrency 20]`: posts N signed
 * Stripe webhooks to the embedded stack's HTTP front, a share of them redelivered, and
 * compares the throughput with DynamoDB Local's raw rate, measured in the same run on the same
 * table, for a TransactWriteItems shaped like the one each webhook commits (no reads, no HTTP).
 * Exits 1 when anything was lost or an invariant fails.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { freePort } from "../local/ports.js";
import { LOCAL_STRIPE_WEBHOOK_SECRET, startEmbeddedStack } from "../local/stack.js";
import { createClients } from "../shared/clients.js";
import { listPayments, putAccount } from "../shared/db.js";
import { verifyLedgerInvariants } from "../shared/ledger.js";
import { signStripePayload } from "../shared/stripe-webhook.js";

const { values } = parseArgs({
	options: {
		events: { type: "string", default: "2000" },
		duplicates: { type: "string", default: "0.1" },
		concurrency: { type: "string", default: "20" },
		accounts: { type: "string", default: "200" },
	},
});
const events = Number(values.events);
const duplicateShare = Number(values.duplicates);
const concurrency = Number(values.concurrency);
const accountCount = Number(values.accounts);

/** Runs `work(i)` for i in [0, n) with at most `concurrency` in flight; returns each call's latency in ms. */
async function pool(n: number, work: (i: number) => Promise<void>): Promise<{ seconds: number; latencies: number[] }> {
	const latencies: number[] = [];
	let next = 0;
	const started = performance.now();
	await Promise.all(
		Array.from({ length: concurrency }, async () => {
			while (next < n) {
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
const stack = await startEmbeddedStack({ dataDir, httpPort: await freePort() });
let exitCode = 0;
try {
	const { ddb } = createClients();
	const deps = { ddb, tableName: stack.tableName };
	const accountIds = Array.from({ length: accountCount }, (_, i) => `ACC-B${String(i).padStart(4, "0")}`);
	for (const accountId of accountIds) {
		await putAccount(deps, {
			accountId,
			name: `Bench ${accountId}`,
			email: "bench@example.com",
			currency: "USD",
			status: "active",
			taxRateBasisPoints: 0,
			paymentTermsDays: 30,
			delivery: "email",
			addressLines: [],
			balance: 0,
			creditBalance: 0,
			createdAt: new Date().toISOString(),
		});
	}

	// Unique payments by customer: each one is a full ledger transaction (event, payment, ledger entry, account).
	const unique = Math.round(events * (1 - duplicateShare));
	const bodies = Array.from({ length: unique }, (_, i) =>
		JSON.stringify({
			id: `evt_bench_${i}`,
			object: "event",
			type: "payment_intent.succeeded",
			created: Math.floor(Date.now() / 1000),
			data: {
				object: {
					id: `pi_bench_${i}`,
					object: "payment_intent",
					amount_received: 1000 + (i % 97),
					currency: "usd",
					metadata: { account_id: accountIds[i % accountIds.length] },
				},
			},
		}),
	);
	const sequence = [...bodies.keys(), ...Array.from({ length: events - unique }, (_, i) => (i * 7919) % unique)];
	// Redeliveries arrive mixed in with first deliveries, as they do from Stripe.
	sequence.sort((a, b) => ((a * 2654435761) % 1000) - ((b * 2654435761) % 1000));
	const statuses = new Map<number, number>();
	const url = `${stack.endpoints.http}/webhooks/stripe`;
	process.stderr.write(`posting ${events} webhooks (${events - unique} duplicates) at concurrency ${concurrency}...\n`);
	const webhooks = await pool(sequence.length, async (i) => {
		const body = bodies[sequence[i] as number] as string;
		const res = await fetch(url, {
			method: "POST",
			headers: { "content-type": "application/json", "stripe-signature": signStripePayload(body, LOCAL_STRIPE_WEBHOOK_SECRET) },
			body,
		});
		await res.arrayBuffer();
		statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
	});

	process.stderr.write("measuring DynamoDB Local's raw TransactWriteItems rate...\n");
	// The same shape as the one transaction a webhook must commit (event, payment and ledger puts,
	// the parked-marker check, one of the accounts' balance), on BENCH# items the ledger never reads.
	const raw = await pool(events, async (i) => {
		const id = randomUUID();
		const at = new Date().toISOString();
		const put = (sk: string, extra: Record<string, unknown> = {}) => ({
			Put: {
				TableName: stack.tableName,
				Item: { pk: `BENCH#${id}`, sk, at, ...extra },
				ConditionExpression: "attribute_not_exists(pk)",
			},
		});
		await ddb.send(
			new TransactWriteCommand({
				TransactItems: [
					put("EVENT", { rawBody: bodies[i % bodies.length] }),
					put("PAYMENT"),
					{
						ConditionCheck: {
							TableName: stack.tableName,
							Key: { pk: `BENCH#${id}`, sk: "MARKER" },
							ConditionExpression: "attribute_not_exists(pk)",
						},
					},
					put("LEDGER"),
					{
						Update: {
							TableName: stack.tableName,
							Key: { pk: `BENCH#${accountIds[i % accountIds.length]}`, sk: "ACCOUNT" },
							UpdateExpression: "ADD balance :amount",
							ExpressionAttributeValues: { ":amount": 1000 },
						},
					},
				],
			}),
		);
	});

	const payments = await listPayments(deps);
	const invariants = await verifyLedgerInvariants(deps);
	const sorted = [...webhooks.latencies].sort((a, b) => a - b);
	const throughput = events / webhooks.seconds;
	const rawRate = events / raw.seconds;
	const lost = unique - payments.length;
	const result = {
		events,
		duplicates: events - unique,
		concurrency,
		statuses: Object.fromEntries(statuses),
		webhooksPerSecond: Math.round(throughput),
		p50Ms: Number(percentile(sorted, 50).toFixed(1)),
		p99Ms: Number(percentile(sorted, 99).toFixed(1)),
		rawTransactWritesPerSecond: Math.round(rawRate),
		ratio: Number((throughput / rawRate).toFixed(2)),
		paymentsRecorded: payments.length,
		lost,
		invariantsHold: invariants.invariantsHold,
	};
	process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
	if (lost !== 0 || !invariants.invariantsHold || statuses.size !== 1 || !statuses.has(200)) exitCode = 1;
} finally {
	await stack.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
process.exitCode = exitCode;
