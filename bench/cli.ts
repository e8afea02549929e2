/**
 * `npm run bench:cli [-- --accounts 20 --runs 5]`: how long a `billing` command takes from
 * start to exit (issue 25: the CLI runs from its esbuild bundle, bin/cli-build.mjs). Goals, as
 * multiples of a bare `node -e 0` measured in the same run on the same machine: `billing --help`
 * at most 4x, a read command (`billing invoices list --json` against a running stack) at most 8x.
 *
 * On a fresh embedded stack (temporary data dir, free ports, stopped after, also on failure):
 * seeds N accounts as `billing seed` does and issues the previous period's invoice for each
 * in-process (issueAccountInvoice, as bench:desk does), then records the stack as a running
 * `billing serve` on its data dir, so the command uses its servers as it would a serve's. The
 * CLI's build is brought up to date first and each command is run once before the measured
 * runs, so no run pays for a build or a cold file cache. The runs alternate (bare node, --help,
 * the read command) so a change in the machine's load falls on all three alike.
 *
 * Progress goes to stderr; stdout is one JSON line with the medians, the ratios and whether the
 * goals were met. A measurement: exits 0 when a goal is missed, 1 only on failure.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import pMap from "p-map";
import { progress } from "../local/cli/progress.js";
import { writeServeRecord } from "../local/cli/session.js";
import { buildSeedData, putShowcaseData, seedDemoData } from "../local/demo/seed.js";
import { buildShowcaseData } from "../local/demo/showcase.js";
import { startEmbeddedStack } from "../local/emulator/stack.js";
import { previousPeriod, resolveBillingPeriod } from "../shared/core/period.js";
import { deskServices } from "../shared/desk/services.js";
import { issueAccountInvoice } from "../shared/invoicing/invoices.js";
import { createClients } from "../shared/platform/clients.js";

const HELP_GOAL = 4;
const READ_GOAL = 8;
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BILLING = join(ROOT, "bin", "billing.mjs");

const { values } = parseArgs({
	options: {
		accounts: { type: "string", default: "20" },
		runs: { type: "string", default: "5" },
	},
});
const accounts = Number(values.accounts);
const runs = Number(values.runs);
if (![accounts, runs].every((n) => Number.isSafeInteger(n) && n > 0)) throw new Error("--accounts and --runs are whole numbers above 0");

const median = (ms: readonly number[]) => {
	const sorted = [...ms].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round = (n: number) => Number(n.toFixed(1));

/** Wall time of one process from spawn to exit; a failed command fails the bench, it is not a fast one. */
function timed(args: readonly string[]): number {
	const started = performance.now();
	const run = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
	const ms = performance.now() - started;
	if (run.status !== 0) throw new Error(`node ${args.join(" ")} exited ${run.status}: ${run.stderr}`);
	return ms;
}

const dataDir = mkdtempSync(join(tmpdir(), "billing-bench-cli-"));
progress(`bench:cli: ${accounts} accounts on a fresh embedded stack (${dataDir})`);
execFileSync(process.execPath, [join(ROOT, "bin", "cli-build.mjs")], { stdio: ["ignore", "ignore", "inherit"] });
const stack = await startEmbeddedStack({ dataDir, httpPort: false });
let failure: unknown;
try {
	const services = deskServices(createClients(), stack);
	const period = previousPeriod(new Date());
	const data = buildSeedData(accounts, 42, period);
	const showcase = buildShowcaseData(period);
	await seedDemoData({ ddb: services.ddb, tableName: services.tableName }, data, period, join(dataDir, "seed", period), () => {});
	await putShowcaseData({ ddb: services.ddb, tableName: services.tableName }, showcase);
	const billingPeriod = resolveBillingPeriod({ period }, new Date());
	const ids = [...data.accounts, ...showcase.accounts].map((a) => a.accountId);
	const issued = await pMap(ids, (accountId) => issueAccountInvoice(services, accountId, billingPeriod), { concurrency: 8 });
	const invoices = issued.filter((o) => o.outcome !== "nothing_to_bill").length;
	writeServeRecord(dataDir, stack);
	progress(`seeded ${ids.length} accounts, issued ${invoices} invoices for ${period}`);

	const commands = {
		bareNode: ["-e", "0"],
		help: [BILLING, "--help"],
		invoicesList: [BILLING, "invoices", "list", "--json", "--data-dir", dataDir],
	} as const;
	const listed = spawnSync(process.execPath, commands.invoicesList, { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
	if (listed.status !== 0) throw new Error(`billing invoices list exited ${listed.status}: ${listed.stderr}`);
	const listedCount = (JSON.parse(listed.stdout) as unknown[]).length;
	if (listedCount !== invoices) throw new Error(`billing invoices list printed ${listedCount} invoices, ${invoices} were issued`);
	for (const args of Object.values(commands)) timed(args);

	const times: Record<keyof typeof commands, number[]> = { bareNode: [], help: [], invoicesList: [] };
	for (let i = 0; i < runs; i++) {
		for (const [name, args] of Object.entries(commands) as [keyof typeof commands, readonly string[]][]) times[name].push(timed(args));
		progress(
			`run ${i + 1} of ${runs}: ${Object.entries(times)
				.map(([name, ms]) => `${name} ${Math.round(ms.at(-1) ?? 0)} ms`)
				.join(", ")}`,
		);
	}
	const bareMs = median(times.bareNode);
	const helpMs = median(times.help);
	const listMs = median(times.invoicesList);
	const result = {
		bench: "cli",
		runs,
		accounts: ids.length,
		invoices,
		bareNodeMs: round(bareMs),
		helpMs: round(helpMs),
		invoicesListMs: round(listMs),
		helpRatio: round(helpMs / bareMs),
		invoicesListRatio: round(listMs / bareMs),
		goal: `billing --help at most ${HELP_GOAL}x and billing invoices list --json at most ${READ_GOAL}x a bare node -e 0 (medians of ${runs})`,
		ok: helpMs <= HELP_GOAL * bareMs && listMs <= READ_GOAL * bareMs,
		loadAverage: round(loadavg()[0] ?? 0),
	};
	process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (err) {
	failure = err;
} finally {
	await stack.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
if (failure !== undefined) {
	process.stderr.write(`bench:cli: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}\n`);
	process.exit(1);
}
