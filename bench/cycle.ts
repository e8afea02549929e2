/**
 * `npm run bench:cycle [-- --accounts N]` (default 10,000): bills a month of N/10 and then N
 * demo accounts, each on a fresh embedded stack (fresh temporary data dir, stopped after):
 * seeds them as `billing seed --accounts M` does, runs the month as `billing run` does and
 * waits for it, then reads the execution's history and definition through the Step
 * Functions API. Prints per run a table of the steps (wall seconds, accounts per second,
 * Task invocations, the longest single invocation), then the N/10 to N growth of each
 * step's longest invocation, and as its last line one JSON object: wall time and accounts
 * per second at N, state transitions per invoice (Standard and Express), the growth of the
 * longest Task invocation, peak memory (this process's and DynamoDB Local's), the steps,
 * and the goals with whether each was met. A measurement: it exits 0 when a goal is missed
 * and 1 only when a run fails.
 *
 * It also meters what the run at N would bill on AWS (bench/aws-meter.ts, bench/cycle-usage.ts),
 * prices it per 1,000 invoices with bench/aws-prices.ts (`costPer1000Invoices` with its parts)
 * and projects a month of 10k, 100k and 1M accounts on AWS under the configuration and quotas
 * of bench/aws-limits.ts (`projectedHoursAt1M`, `bindingLimit`, `bindingLimitHours`), printed
 * as the Markdown tables docs/scale.md quotes.
 *
 * Each run is a child process of this script (`--run M`), so that the handlers' SDK clients,
 * built once per process, reach that run's servers, and each run's peak memory is its own.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
	DescribeExecutionCommand,
	DescribeMapRunCommand,
	DescribeStateMachineCommand,
	ListMapRunsCommand,
	type SFNClient,
} from "@aws-sdk/client-sfn";
import { functionCatalog } from "../functions/catalog.js";
import { table } from "../local/cli/commands/common.js";
import { runBillingCycle } from "../local/cli/operations.js";
import { progress, progressLine } from "../local/cli/progress.js";
import { buildSeedData, putShowcaseData, seedDemoData } from "../local/demo/seed.js";
import { buildShowcaseData } from "../local/demo/showcase.js";
import { dataDirHolder } from "../local/emulator/data-dir-lock.js";
import { startEmbeddedStack } from "../local/emulator/stack.js";
import { previousPeriod } from "../shared/core/period.js";
import { createClients } from "../shared/platform/clients.js";
import { executionHistory } from "../shared/runs/history.js";
import { awsLimits, cdkContext, DYNAMODB_TABLE_UNITS_PER_SECOND, LAMBDA_CONCURRENCY } from "./aws-limits.js";
import { installAwsMeter } from "./aws-meter.js";
import { AWS_PRICES, PRICES_READ_ON } from "./aws-prices.js";
import {
	type Cost,
	costPer1000Invoices,
	type MeasuredMap,
	type MeasuredStep,
	type Projection,
	projectMonth,
	type Usage,
	usdForInvoices,
} from "./cycle-cost.js";
import { historyStats, type StepStats } from "./cycle-history.js";
import { executionUsage } from "./cycle-usage.js";

/** What one run (one child process) reports, as the last line of its stdout. */
interface RunReport {
	readonly bench: "cycle-run";
	readonly accounts: number;
	readonly status: string;
	readonly error?: string;
	readonly cause?: string;
	readonly seedSeconds: number;
	/** The execution's start to stop. */
	readonly wallSeconds: number;
	/** The manifest's accounts (the run's outstanding.accountCount, else the items of its largest map run). */
	readonly manifestAccounts: number;
	readonly invoicesIssued: number;
	readonly historyEvents: number;
	readonly standardTransitions: number;
	readonly expressTransitions: number;
	readonly longestInvocationMs: number;
	readonly steps: readonly StepStats[];
	readonly mapRuns: readonly { readonly mapRunArn: string; readonly status: string; readonly items: number; readonly failed: number }[];
	readonly peakRssMb: number;
	readonly dynamodbLocalPeakRssMb?: number;
	/** What the run would bill on AWS (the seeding excluded). */
	readonly usage: Usage;
	/** Per Distributed Map: its children and the requests made while it ran. */
	readonly maps: readonly (MeasuredMap & { readonly wallSeconds: number })[];
	/** The top-level steps outside the maps. */
	readonly serialSteps: readonly { readonly step: string; readonly seconds: number }[];
}

const GOALS = { wallSecondsUnder: 180, forAccounts: 10_000, longestTaskGrowthAtMost: 1.5, transitionsPerInvoiceAtMost: 0.01 };

const { values } = parseArgs({ options: { accounts: { type: "string", default: "10000" }, run: { type: "string" } } });

const REPO = fileURLToPath(new URL("..", import.meta.url));
const PROJECTED_ACCOUNTS = [10_000, 100_000, 1_000_000] as const;

const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const kbToMb = (kb: number) => Math.round(kb / 1024);

/** DynamoDB Local's java process (named in the data dir's lock) and its peak resident memory (VmHWM, KB). */
function dynamodbLocalPeakKb(dataDir: string): number | undefined {
	const pid = dataDirHolder(dataDir)?.dynamoDbLocal?.pid;
	if (pid === undefined) return undefined;
	try {
		const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
		return hwm ? Number(hwm[1]) : undefined;
	} catch {
		// No /proc (not Linux), or no such process.
		return undefined;
	}
}

/** The map runs of the execution (ListMapRuns, DescribeMapRun): their status and items. */
async function mapRunsOf(sfn: SFNClient, executionArn: string): Promise<RunReport["mapRuns"]> {
	const out: RunReport["mapRuns"][number][] = [];
	let nextToken: string | undefined;
	do {
		const page = await sfn.send(new ListMapRunsCommand({ executionArn, nextToken }));
		for (const listed of page.mapRuns ?? []) {
			const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn: listed.mapRunArn }));
			out.push({
				mapRunArn: listed.mapRunArn ?? "",
				status: run.status ?? "",
				items: run.itemCounts?.total ?? 0,
				failed: run.itemCounts?.failed ?? 0,
			});
		}
		nextToken = page.nextToken;
	} while (nextToken);
	return out;
}

/** The Map state a map run belongs to (`arn:aws:states:…:mapRun:<machine>/<map>:<id>`). */
const mapOfRun = (mapRunArn: string) => mapRunArn.split(":mapRun:")[1]?.split("/")[1]?.split(":")[0];

/** One run: a fresh stack, `billing seed --accounts M`, `billing run` for the seed's period, then its history. */
async function runOnce(accounts: number): Promise<RunReport> {
	const meter = installAwsMeter();
	const dataDir = mkdtempSync(join(tmpdir(), "billing-bench-cycle-"));
	progress(`bench:cycle: ${accounts} accounts on a fresh embedded stack (${dataDir})`);
	const stack = await startEmbeddedStack({ dataDir, httpPort: false });
	try {
		const { sfn, stateMachineArn } = stack;
		const deps = { ddb: createClients().ddb, tableName: stack.tableName };
		const period = previousPeriod(new Date());

		// As `billing seed --accounts M` (local/cli/commands/cycle.ts).
		const seedStarted = performance.now();
		const line = progressLine();
		let since = Date.now();
		await seedDemoData(deps, buildSeedData(accounts, 42, period), period, join(dataDir, "seed", period), (p) => {
			const rate = Math.round(p.rows / Math.max(0.001, (Date.now() - since) / 1000));
			line.update(`seeding ${accounts} accounts`, `${p.phase} ${p.file}, ${p.rows} rows, ${rate} rows/s`);
			if (p.done) since = Date.now();
		});
		line.done();
		await putShowcaseData(deps, buildShowcaseData(period));
		const seedSeconds = (performance.now() - seedStarted) / 1000;

		// As `billing run --period P` (local/cli/commands/cycle.ts).
		meter.reset();
		const result = await runBillingCycle(sfn, stateMachineArn, { period }, progress);
		const metered = meter.read();
		const described = await sfn.send(new DescribeExecutionCommand({ executionArn: result.executionArn }));
		const definition = JSON.parse((await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).definition ?? "{}") as unknown;
		const events = await executionHistory(sfn, result.executionArn);
		const stats = historyStats(events, definition);
		const mapRuns = await mapRunsOf(sfn, result.executionArn);
		const output = (result.output ?? {}) as { outstanding?: { accountCount?: unknown }; invoicing?: { invoicesIssued?: unknown } };
		const manifestAccounts =
			typeof output.outstanding?.accountCount === "number" ? output.outstanding.accountCount : Math.max(0, ...mapRuns.map((r) => r.items));
		const dynamodbKb = dynamodbLocalPeakKb(dataDir);
		const memoryMb = new Map(functionCatalog.map((f) => [f.id, f.memoryMb]));
		const billed = executionUsage(events, definition, (fn) => {
			const mb = memoryMb.get(fn);
			if (mb === undefined) throw new Error(`no function ${fn} in functions/catalog.ts`);
			return mb;
		});
		const mapNames = new Set(billed.maps.map((m) => m.map));
		return {
			bench: "cycle-run",
			accounts,
			status: result.status,
			...(result.error !== undefined ? { error: result.error } : {}),
			...(result.cause !== undefined ? { cause: result.cause } : {}),
			seedSeconds: round(seedSeconds),
			wallSeconds: round(((described.stopDate?.getTime() ?? 0) - (described.startDate?.getTime() ?? 0)) / 1000),
			manifestAccounts,
			invoicesIssued: typeof output.invoicing?.invoicesIssued === "number" ? output.invoicing.invoicesIssued : 0,
			historyEvents: events.length,
			standardTransitions: stats.standardTransitions,
			expressTransitions: stats.expressTransitions,
			longestInvocationMs: stats.longestInvocationMs,
			steps: stats.steps,
			mapRuns,
			peakRssMb: kbToMb(process.resourceUsage().maxRSS),
			...(dynamodbKb !== undefined ? { dynamodbLocalPeakRssMb: kbToMb(dynamodbKb) } : {}),
			usage: {
				dynamodbWriteRequestUnit: metered.dynamodbWriteUnits,
				dynamodbReadRequestUnit: metered.dynamodbReadUnits,
				s3PutRequest: metered.s3PutRequests,
				s3GetRequest: metered.s3GetRequests,
				sesEmail: metered.sesEmails,
				lambdaRequest: billed.lambdaRequests,
				lambdaGbSecond: billed.lambdaGbSeconds,
				standardTransition: stats.standardTransitions,
				expressRequest: billed.expressRequests,
				expressGbSecond: billed.expressGbSeconds,
			},
			maps: billed.maps.map((m) => {
				const during = meter.between(m.from, m.to);
				return {
					map: m.map,
					items: mapRuns.find((r) => mapOfRun(r.mapRunArn) === m.map)?.items ?? manifestAccounts,
					children: m.children,
					childSeconds: round(m.childSeconds, 3),
					wallSeconds: round(m.wallSeconds, 2),
					sesEmails: during.sesEmails,
					dynamodbReadUnits: during.dynamodbReadUnits,
					dynamodbWriteUnits: during.dynamodbWriteUnits,
				};
			}),
			serialSteps: stats.steps
				.filter((s) => s.step === undefined && !mapNames.has(s.name))
				.map((s) => ({ step: s.name, seconds: round(s.seconds, 3) })),
		};
	} finally {
		await stack.stop();
		rmSync(dataDir, { recursive: true, force: true });
	}
}

/** Runs `runOnce(accounts)` in a child process of this script; its report is the last JSON line it prints. */
async function runInChild(accounts: number): Promise<RunReport> {
	const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--run", String(accounts)], {
		stdio: ["ignore", "pipe", "inherit"],
	});
	let stdout = "";
	child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
		stdout += chunk;
	});
	const code = await new Promise<number | null>((resolve, reject) => {
		child.once("error", reject);
		child.once("close", resolve);
	});
	const lines = stdout.split("\n").filter((l) => l.trim() !== "");
	const last = lines.findLast((l) => l.startsWith('{"bench":"cycle-run"'));
	if (code !== 0 || !last) {
		process.stderr.write(`${lines.slice(-20).join("\n")}\n`);
		throw new Error(`the run of ${accounts} accounts exited ${code} without its report`);
	}
	return JSON.parse(last) as RunReport;
}

const seconds = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));

function runTable(report: RunReport): string {
	const rows = report.steps.map((s) => ({
		step: s.step === undefined ? s.name : `  ${s.name}`,
		seconds: seconds(s.seconds),
		"accounts/s": s.invocations > 0 && s.seconds > 0 ? Math.round(report.manifestAccounts / s.seconds) : "",
		invocations: s.invocations,
		"longest ms": s.invocations > 0 ? Math.round(s.longestInvocationMs) : "",
	}));
	const transitions = report.invoicesIssued > 0 ? (report.standardTransitions / report.invoicesIssued).toFixed(4) : "n/a";
	return [
		`${report.accounts} accounts: ${report.status} in ${seconds(report.wallSeconds)} s (${Math.round(report.manifestAccounts / report.wallSeconds)} accounts/s), ${report.invoicesIssued} invoices, ${report.manifestAccounts} accounts in the manifest; seeded in ${seconds(report.seedSeconds)} s`,
		table(rows, ["step", "seconds", "accounts/s", "invocations", "longest ms"]),
		`state transitions: ${report.standardTransitions} Standard (${transitions} per invoice), ${report.expressTransitions} Express; ${report.historyEvents} history events; peak RSS ${report.peakRssMb} MB (node)${report.dynamodbLocalPeakRssMb !== undefined ? `, ${report.dynamodbLocalPeakRssMb} MB (DynamoDB Local)` : ""}`,
	].join("\n");
}

/**
 * The run's AWS figures: the cost per 1,000 invoices by part, and the month projected at 10k,
 * 100k and 1M accounts, as the Markdown docs/scale.md quotes.
 */
function awsTables(cost: Cost, projections: readonly Projection[], limits: ReturnType<typeof awsLimits>): string {
	const parts = (Object.keys(cost.parts) as (keyof Cost["parts"])[]).map((k) => ({
		usage: AWS_PRICES[k].unit,
		"per 1,000 invoices": cost.parts[k].units,
		price: AWS_PRICES[k].listed,
		"USD per 1,000 invoices": cost.parts[k].usd,
	}));
	const hoursText = (h: number) => (h < 1 ? `${Math.round(h * 60)} min` : `${h.toFixed(2)} h`);
	const months = projections.map((p) => ({
		accounts: p.accounts.toLocaleString("en-US"),
		"cost (USD)": usdForInvoices(cost, p.accounts),
		"wall time on AWS": hoursText(p.hours),
		"binding limit": p.bindingLimit,
		"its own minimum": hoursText(p.bindingLimitHours),
	}));
	const mapConfig = Object.entries(limits.maps)
		.map(([map, c]) => `${map}: MaxConcurrency ${c.maxConcurrency}, batches of ${c.batchSize}`)
		.join("; ");
	return [
		`AWS cost per 1,000 invoices: USD ${cost.usd} (us-east-1 list prices read ${PRICES_READ_ON})`,
		markdownTable(parts),
		"",
		`a month on AWS (${mapConfig}; SES ${limits.sesSendingRate} emails/s; Lambda concurrency ${LAMBDA_CONCURRENCY}; DynamoDB ${DYNAMODB_TABLE_UNITS_PER_SECOND} request units/s per table)`,
		markdownTable(months),
	].join("\n");
}

function markdownTable(rows: readonly Record<string, string | number>[]): string {
	const columns = Object.keys(rows[0] ?? {});
	return [
		`| ${columns.join(" | ")} |`,
		`| ${columns.map(() => "---").join(" | ")} |`,
		...rows.map((r) => `| ${columns.map((c) => r[c]).join(" | ")} |`),
	].join("\n");
}

const key = (s: StepStats) => `${s.step ?? ""}/${s.name}`;
const growth = (at: number, tenth: number) => (tenth > 0 ? round(at / tenth, 2) : null);

async function main(): Promise<void> {
	const accounts = Number(values.accounts);
	if (!Number.isSafeInteger(accounts) || accounts < 10) throw new Error("--accounts is a whole number of at least 10");
	const sizes = [Math.round(accounts / 10), accounts];
	const reports: RunReport[] = [];
	for (const size of sizes) {
		let report: RunReport;
		try {
			report = await runInChild(size);
		} catch (err) {
			process.stderr.write(`bench:cycle: ${err instanceof Error ? err.message : String(err)}\n`);
			process.exit(1);
		}
		process.stdout.write(`\n${runTable(report)}\n`);
		if (report.status !== "SUCCEEDED") {
			process.stderr.write(`bench:cycle: the run of ${size} accounts ${report.status}: ${report.error ?? ""} ${report.cause ?? ""}\n`);
			process.exit(1);
		}
		reports.push(report);
	}
	const [tenth, full] = reports as [RunReport, RunReport];
	const tenthSteps = new Map(tenth.steps.map((s) => [key(s), s]));
	const steps = full.steps.map((s) => {
		const before = tenthSteps.get(key(s));
		return {
			name: s.name,
			...(s.step !== undefined ? { step: s.step } : {}),
			seconds: round(s.seconds, 2),
			accountsPerSecond: s.invocations > 0 && s.seconds > 0 ? Math.round(full.manifestAccounts / s.seconds) : null,
			invocations: s.invocations,
			longestInvocationMs: Math.round(s.longestInvocationMs),
			longestInvocationMsAtTenth: before ? Math.round(before.longestInvocationMs) : null,
			longestInvocationGrowth: before && s.invocations > 0 ? growth(s.longestInvocationMs, before.longestInvocationMs) : null,
		};
	});
	process.stdout.write(
		`\nlongest single Task invocation, ${tenth.accounts} → ${full.accounts} accounts\n${table(
			steps
				.filter((s) => s.invocations > 0)
				.map((s) => ({
					step: s.step === undefined ? s.name : `  ${s.name}`,
					[`ms at ${tenth.accounts}`]: s.longestInvocationMsAtTenth ?? "",
					[`ms at ${full.accounts}`]: s.longestInvocationMs,
					ratio: s.longestInvocationGrowth ?? "",
				})),
			["step", `ms at ${tenth.accounts}`, `ms at ${full.accounts}`, "ratio"],
		)}\n`,
	);

	const wallSecondsGoal = (GOALS.wallSecondsUnder * accounts) / GOALS.forAccounts;
	const longestTaskGrowth = growth(full.longestInvocationMs, tenth.longestInvocationMs);
	const perInvoice = (n: number) => (full.invoicesIssued > 0 ? round(n / full.invoicesIssued, 4) : null);
	const transitionsPerInvoice = perInvoice(full.standardTransitions);
	const cost = costPer1000Invoices(full.usage, full.invoicesIssued);
	const limits = awsLimits(cdkContext(join(REPO, "cdk.json")));
	const tenthSerial = new Map(tenth.serialSteps.map((s) => [s.step, s.seconds]));
	const serialSteps: MeasuredStep[] = full.serialSteps.map((s) => ({ ...s, secondsAtTenth: tenthSerial.get(s.step) ?? s.seconds }));
	const runs = { accounts: full.manifestAccounts, tenthAccounts: tenth.manifestAccounts };
	const projections = PROJECTED_ACCOUNTS.map((n) => projectMonth(runs, full.maps, serialSteps, limits, n));
	const atMillion = projections.at(-1) as Projection;
	process.stdout.write(`\n${awsTables(cost, projections, limits)}\n`);
	const result = {
		accounts,
		wallSeconds: full.wallSeconds,
		accountsPerSecond: round(accounts / full.wallSeconds),
		invoicesIssued: full.invoicesIssued,
		manifestAccounts: full.manifestAccounts,
		transitionsPerInvoice,
		expressTransitionsPerInvoice: perInvoice(full.expressTransitions),
		standardTransitions: full.standardTransitions,
		expressTransitions: full.expressTransitions,
		longestTaskMs: Math.round(full.longestInvocationMs),
		longestTaskMsAtTenth: Math.round(tenth.longestInvocationMs),
		longestTaskGrowth,
		peakRssMb: full.peakRssMb,
		dynamodbLocalPeakRssMb: full.dynamodbLocalPeakRssMb ?? null,
		seedSeconds: full.seedSeconds,
		tenth: {
			accounts: tenth.accounts,
			wallSeconds: tenth.wallSeconds,
			transitionsPerInvoice: tenth.invoicesIssued > 0 ? round(tenth.standardTransitions / tenth.invoicesIssued, 4) : null,
			peakRssMb: tenth.peakRssMb,
		},
		steps,
		mapRuns: full.mapRuns,
		costPer1000Invoices: { usd: cost.usd, parts: cost.parts, pricesReadOn: PRICES_READ_ON },
		projectedHoursAt1M: round(atMillion.hours, 2),
		bindingLimit: atMillion.bindingLimit,
		bindingLimitHours: round(atMillion.bindingLimitHours, 2),
		limitHoursAt1M: Object.fromEntries(Object.entries(atMillion.limitHours).map(([k, v]) => [k, round(v, 2)])),
		projections: projections.map((p) => ({
			accounts: p.accounts,
			hours: round(p.hours, 2),
			bindingLimit: p.bindingLimit,
			bindingLimitHours: round(p.bindingLimitHours, 2),
			usd: usdForInvoices(cost, p.accounts),
		})),
		awsLimits: limits,
		measuredMaps: full.maps,
		goals: { ...GOALS, wallSecondsUnderAtThisSize: round(wallSecondsGoal) },
		met: {
			wallSeconds: full.wallSeconds < wallSecondsGoal,
			longestTaskGrowth: longestTaskGrowth !== null && longestTaskGrowth <= GOALS.longestTaskGrowthAtMost,
			transitionsPerInvoice: transitionsPerInvoice !== null && transitionsPerInvoice <= GOALS.transitionsPerInvoiceAtMost,
		},
	};
	process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

if (values.run !== undefined) {
	const report = await runOnce(Number(values.run));
	process.stdout.write(`\n${JSON.stringify(report)}\n`);
} else {
	await main();
}
