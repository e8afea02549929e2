/**
 * `npm run bench:desk [-- --accounts 10000 --requests 50 --budget 120]`: how fast the desk API
 * answers at N accounts (DESIGN.md section 12: lists under 300 ms at 10,000 accounts).
 *
 * On a fresh embedded stack (temporary data dir, free ports, stopped after, also on failure):
 * seeds N accounts and their charges as `billing seed` does, issues the previous period's
 * invoice for every account in-process (issueAccountInvoice, what issueInvoiceForAccount runs,
 * answering the invoice: its amount and currency are needed for the payments; p-map). No full
 * billing cycle is run: at 10,000 accounts it takes too long, and the desk reads the invoices,
 * not the run. Then records unapplied payments (half of an invoice each, so matching leaves
 * them unapplied).
 *
 * Each route is called in-process through handleDeskRequest with deskRoutes, one request
 * at a time, as a billing user: `authenticate` answers a fixed Caller, so token verification
 * (the JWT against the pool's JWKS) is not in these times; it is measured separately, not here.
 * Each route gets a warm-up (not counted), then R requests, or fewer when a route has used
 * up its time budget (a route taking seconds a request would take an hour at R = 50); the
 * table says how many were made. The trial balance reads every account: 5 requests (or fewer,
 * by the budget), reported but not held to the list goal. Reads are measured before writes, so apply
 * and void do not change what the reads see.
 *
 * Progress and the table go to stderr; the last stdout line is one JSON object with the goal
 * and whether it was met. A measurement: exits 0 when the goal is missed, 1 only on failure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pMap from "p-map";
import { table } from "../local/cli/commands/common.js";
import { progress, progressLine } from "../local/cli/progress.js";
import { buildSeedData, putShowcaseData, randomGenerator, seedDemoData } from "../local/demo/seed.js";
import { buildShowcaseData } from "../local/demo/showcase.js";
import { startEmbeddedStack } from "../local/emulator/stack.js";
import { previousPeriod, resolveBillingPeriod } from "../shared/core/period.js";
import { type DeskRequest, handleDeskRequest } from "../shared/desk/api.js";
import { type Caller, userActor } from "../shared/desk/roles.js";
import { deskRoutes } from "../shared/desk/routes.js";
import { deskServices } from "../shared/desk/services.js";
import { issueAccountInvoice } from "../shared/invoicing/invoices.js";
import { recordPayment } from "../shared/payments/recording.js";
import { createClients } from "../shared/platform/clients.js";

const GOAL_MS = 300;
const GOAL = "p95 under 300 ms per route (lists, an account's timeline, an invoice's detail, apply, void) on this 2-core machine";
/** Reported, not held to the goal: it reads every account's ledger and invoices by design. */
const NOT_A_LIST = new Set(["GET /books/{period}/trial-balance"]);
const WARMUP = 5;

const { values } = parseArgs({
	options: {
		accounts: { type: "string", default: "10000" },
		requests: { type: "string", default: "50" },
		budget: { type: "string", default: "120" },
	},
});
const accounts = Number(values.accounts);
const requests = Number(values.requests);
const budgetMs = Number(values.budget) * 1000;
if (![accounts, requests, budgetMs].every((n) => Number.isSafeInteger(n) && n > 0) || accounts < 100) {
	throw new Error("--accounts (at least 100), --requests and --budget (seconds) are whole numbers above 0");
}

const CALLER: Caller = {
	role: "billing",
	email: "bench@example.com",
	subject: "sub-bench",
	actor: userActor("bench@example.com", "sub-bench"),
};
const random = randomGenerator(7);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const round = (n: number) => Number(n.toFixed(1));

interface Measured {
	readonly route: string;
	readonly p50Ms: number;
	readonly p95Ms: number;
	readonly maxMs: number;
	readonly requests: number;
}

function percentile(sorted: readonly number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const dataDir = mkdtempSync(join(tmpdir(), "billing-bench-desk-"));
progress(`bench:desk: ${accounts} accounts on a fresh embedded stack (${dataDir})`);
const stack = await startEmbeddedStack({ dataDir, httpPort: false });
let failure: unknown;
try {
	const services = deskServices(createClients(), stack);
	const deps = {
		services,
		authenticate: async () => CALLER,
		runs: stack,
		reportFailure: (err: unknown) => {
			throw err;
		},
	};

	/** One request; anything but 2xx is a failure of the bench, not a slow answer. */
	async function call(method: string, path: string, query = "", body?: unknown): Promise<Record<string, unknown>> {
		const request: DeskRequest = {
			method,
			path,
			query: new URLSearchParams(query),
			authorization: "Bearer bench",
			...(body !== undefined ? { body: JSON.stringify(body) } : {}),
		};
		const response = await handleDeskRequest(deps, deskRoutes, request);
		if (response.status >= 300) throw new Error(`${method} ${path}?${query}: ${response.status} ${response.body.slice(0, 300)}`);
		return JSON.parse(response.body) as Record<string, unknown>;
	}

	// As `billing seed --accounts N` (local/cli/commands/cycle.ts).
	const period = previousPeriod(new Date());
	const data = buildSeedData(accounts, 42, period);
	const showcase = buildShowcaseData(period);
	let started = performance.now();
	const line = progressLine();
	await seedDemoData({ ddb: services.ddb, tableName: services.tableName }, data, period, join(dataDir, "seed", period), (p) =>
		line.update(`seeding ${accounts} accounts`, `${p.phase} ${p.file}, ${p.rows} rows`),
	);
	await putShowcaseData({ ddb: services.ddb, tableName: services.tableName }, showcase);
	line.done(`seeded ${accounts} accounts and ${data.charges.length} charges in ${((performance.now() - started) / 1000).toFixed(1)} s`);

	// The previous period's invoice for every account, as the cycle's invoicing step issues it.
	started = performance.now();
	const billingPeriod = resolveBillingPeriod({ period }, new Date());
	const ids = [...data.accounts, ...showcase.accounts].map((a) => a.accountId);
	const issueLine = progressLine();
	let done = 0;
	const issued = (
		await pMap(
			ids,
			async (accountId) => {
				const outcome = await issueAccountInvoice(services, accountId, billingPeriod);
				done++;
				issueLine.update("issuing invoices", `${done} of ${ids.length}, ${Math.round(done / ((performance.now() - started) / 1000))}/s`);
				return outcome.outcome === "nothing_to_bill" ? [] : [outcome.invoice];
			},
			{ concurrency: 8 },
		)
	).flat();
	issueLine.done(`issued ${issued.length} invoices for ${period} in ${((performance.now() - started) / 1000).toFixed(1)} s`);

	// Targets for the writes: each request its own payment or invoice, payments and voids on different accounts.
	const perWrite = WARMUP + requests;
	const shuffled = [...issued].sort(() => random() - 0.5);
	const paid = shuffled.slice(0, Math.max(perWrite, Math.min(200, Math.floor(issued.length / 2))));
	const toVoid = shuffled.slice(paid.length, paid.length + perWrite);
	if (toVoid.length < perWrite) throw new Error(`${issued.length} invoices are too few for ${perWrite} applies and ${perWrite} voids`);
	const receivedAt = new Date().toISOString();
	await pMap(
		paid,
		async (invoice, i) => {
			// Half of what is due: no exact match and not all of it, so it stays unapplied.
			const outcome = await recordPayment(
				services,
				{
					provider: "stripe",
					eventId: `evt_bench_${i}`,
					paymentId: `pi_bench_${i}`,
					amount: Math.max(1, Math.floor(invoice.amountDue / 2)),
					currency: invoice.currency,
					receivedAt,
					accountId: invoice.accountId,
				},
				"payment_intent.succeeded",
				"{}",
			);
			if (!("result" in outcome) || outcome.result === "duplicate_event") throw new Error(`payment ${i}: ${JSON.stringify(outcome)}`);
		},
		{ concurrency: 8 },
	);
	progress(`recorded ${paid.length} unapplied payments`);

	/** Every page's cursor of a listing (a desk user paging on), so cursor pages are read from anywhere in it. */
	async function cursorsOf(path: string, query: string): Promise<string[]> {
		const cursors: string[] = [];
		let cursor: string | undefined;
		do {
			const page = await call("GET", path, `${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
			cursor = page.nextCursor as string | undefined;
			if (cursor) cursors.push(cursor);
		} while (cursor);
		return cursors;
	}
	const accountCursors = await cursorsOf("/accounts", "");
	const invoiceCursors = await cursorsOf("/invoices", `period=${period}`);
	progress(`${accountCursors.length + 1} pages of accounts, ${invoiceCursors.length + 1} pages of ${period}'s invoices`);
	if (accountCursors.length === 0 || invoiceCursors.length === 0) throw new Error("the lists have a single page: nothing to page to");
	const unapplied = await call("GET", "/payments", "status=unapplied");
	if ((unapplied.items as unknown[]).length === 0) throw new Error("no unapplied payments listed");

	// What a billing specialist types into the search box: a company's name, e.g. "wonka gmbh".
	const names = [...new Set(data.accounts.map((a) => a.name.replace(/ \(.*\)$/, "").toLowerCase()))];
	const measured: Measured[] = [];

	/** Warm-up, then `count` requests one after the other (fewer once `budgetMs` is spent), `request(i)` the i-th. */
	async function measure(
		route: string,
		count: number,
		request: (i: number) => [method: string, path: string, query?: string, body?: unknown],
		warmup = WARMUP,
	): Promise<void> {
		for (let i = 0; i < warmup; i++) await call(...request(i));
		const latencies: number[] = [];
		const began = performance.now();
		for (let i = warmup; i < warmup + count; i++) {
			const args = request(i);
			const t = performance.now();
			await call(...args);
			latencies.push(performance.now() - t);
			if (performance.now() - began > budgetMs && latencies.length >= 3) break;
		}
		const sorted = [...latencies].sort((a, b) => a - b);
		const result = {
			route,
			p50Ms: round(percentile(sorted, 50)),
			p95Ms: round(percentile(sorted, 95)),
			maxMs: round(sorted.at(-1) ?? 0),
			requests: sorted.length,
		};
		measured.push(result);
		progress(`  ${route.padEnd(42)} p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, max ${result.maxMs} ms (${result.requests})`);
	}

	// The machine may be shared: the load says how much of it these times had.
	const load = () =>
		loadavg()
			.map((n) => n.toFixed(2))
			.join(" ");
	progress(`measuring: ${WARMUP} warm-up and ${requests} requests a route, at most ${budgetMs / 1000} s a route; load average ${load()}`);
	await measure("GET /accounts", requests, () => ["GET", "/accounts"]);
	await measure("GET /accounts?cursor=", requests, () => ["GET", "/accounts", `cursor=${encodeURIComponent(pick(accountCursors))}`]);
	await measure("GET /accounts?query=", requests, () => ["GET", "/accounts", `query=${encodeURIComponent(pick(names))}`]);
	await measure("GET /accounts/{id}", requests, () => ["GET", `/accounts/${pick(issued).accountId}`]);
	await measure("GET /invoices?period=", requests, () => ["GET", "/invoices", `period=${period}`]);
	await measure("GET /invoices?period=&cursor=", requests, () => [
		"GET",
		"/invoices",
		`period=${period}&cursor=${encodeURIComponent(pick(invoiceCursors))}`,
	]);
	await measure("GET /invoices?status=open", requests, () => ["GET", "/invoices", "status=open"]);
	await measure("GET /invoices/{number}", requests, () => ["GET", `/invoices/${pick(issued).number}`]);
	await measure("GET /payments?status=unapplied", requests, () => ["GET", "/payments", "status=unapplied"]);
	await measure("GET /worklist", requests, () => ["GET", "/worklist"], 1);
	await measure("GET /books/{period}/trial-balance", Math.min(5, requests), () => ["GET", `/books/${period}/trial-balance`], 1);
	await measure("POST /payments/{id}/apply", requests, (i) => {
		const invoice = paid[i] as (typeof paid)[number];
		return ["POST", `/payments/${encodeURIComponent(`stripe:pi_bench_${i}`)}/apply`, "", { invoiceNumber: invoice.number }];
	});
	await measure("POST /invoices/{number}/void", requests, (i) => [
		"POST",
		`/invoices/${(toVoid[i] as (typeof toVoid)[number]).number}/void`,
		"",
		{ reason: "bench: issued in error" },
	]);

	progress(`measured; load average ${load()}`);
	const slow = measured.filter((m) => !NOT_A_LIST.has(m.route) && m.p95Ms >= GOAL_MS).map((m) => m.route);
	process.stderr.write(
		`\n${table(
			measured.map((m) => ({
				route: m.route,
				"p50 ms": m.p50Ms,
				"p95 ms": m.p95Ms,
				"max ms": m.maxMs,
				requests: m.requests,
				goal: NOT_A_LIST.has(m.route) ? "(not a list)" : m.p95Ms < GOAL_MS ? "met" : "MISSED",
			})),
			["route", "p50 ms", "p95 ms", "max ms", "requests", "goal"],
		)}\n\n`,
	);
	const result = {
		bench: "desk",
		accounts,
		invoices: issued.length,
		routes: Object.fromEntries(measured.map(({ route, ...m }) => [route, m])),
		goal: GOAL,
		ok: slow.length === 0,
		slow,
	};
	process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
	failure = err;
} finally {
	await stack.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
if (failure !== undefined) {
	process.stderr.write(`bench:desk: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}\n`);
	process.exit(1);
}
