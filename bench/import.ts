/**
 * `npm run bench:import [-- --charges 100000 --accounts 1000]`: writes an accounts file and
 * a charges file of N rows (fractional quantities, several months' dates) and imports them
 * into the embedded stack through the same code as `billing import`, streamed, with its
 * progress on stderr. Prints the import's time, rows per second and peak memory (resident
 * set, sampled), then imports the charges again (every row unchanged) and checks that the
 * table holds exactly N charges. Exits 1 when a count is off.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pMap from "p-map";
import { progressPrinter } from "../local/cli/commands/imports.js";
import { freePort } from "../local/emulator/ports.js";
import { startEmbeddedStack } from "../local/emulator/stack.js";
import { importFiles } from "../shared/imports/import.js";
import { fileSource } from "../shared/imports/sources.js";
import { createClients } from "../shared/platform/clients.js";
import { listChargePagesOfAccount } from "../shared/store/charges.js";
import { listAccounts } from "../shared/store/records.js";

const { values } = parseArgs({
	options: { charges: { type: "string", default: "100000" }, accounts: { type: "string", default: "1000" } },
});
const chargeRows = Number(values.charges);
const accountRows = Number(values.accounts);
if (!Number.isSafeInteger(chargeRows) || !Number.isSafeInteger(accountRows) || chargeRows < 1 || accountRows < 1) {
	throw new Error("--charges and --accounts are whole numbers above 0");
}

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
	peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

const dataDir = mkdtempSync(join(tmpdir(), "billing-bench-import-"));
const id = (i: number) => `BENCH-${String(i).padStart(6, "0")}`;
const accountsPath = join(dataDir, "accounts.csv");
writeFileSync(
	accountsPath,
	[
		"account_id,name,currency,email,tax_rate",
		...Array.from({ length: accountRows }, (_, i) => `${id(i)},"Bench ${i}, Ltd",USD,ap+${i}@bench.example.com,8.875`),
	].join("\n"),
);
const chargesPath = join(dataDir, "charges.csv");
const months = ["2026-09", "2026-10", "2026-11"];
// Written 100,000 rows at a time, so the file's text is never held whole (the peak measured is the import's).
writeFileSync(chargesPath, "charge_id,account_id,date,description,quantity,unit_price,kind\n");
for (let start = 0; start < chargeRows; start += 100_000) {
	const lines: string[] = [];
	for (let i = start; i < Math.min(chargeRows, start + 100_000); i++) {
		const day = String(1 + (i % 28)).padStart(2, "0");
		lines.push(
			`CH-${i},${id(i % accountRows)},${months[i % months.length]}-${day},"API calls, thousands",${(i % 997) + 1}.${i % 1000},0.0${i % 10},usage`,
		);
	}
	appendFileSync(chargesPath, `${lines.join("\n")}\n`);
}

const stack = await startEmbeddedStack({ dataDir, httpPort: await freePort() });
let failed = false;
try {
	const deps = { ddb: createClients().ddb, tableName: stack.tableName, actor: "bench:import" };
	await importFiles(deps, [fileSource(accountsPath)]);
	const started = performance.now();
	const first = await importFiles(deps, [fileSource(chargesPath)], { onProgress: progressPrinter() });
	const seconds = (performance.now() - started) / 1000;
	const againStarted = performance.now();
	const again = await importFiles(deps, [fileSource(chargesPath)]);
	const againSeconds = (performance.now() - againStarted) / 1000;
	// Counted account by account, so the count does not hold every charge at once.
	let stored = 0;
	let pagesStored = 0;
	await pMap(
		await listAccounts(deps),
		async (a) => {
			const pages = await listChargePagesOfAccount(deps, a.accountId);
			pagesStored += pages.length;
			stored += pages.reduce((n, page) => n + page.charges.length, 0);
		},
		{ concurrency: 8 },
	);
	failed = first.counts.charges?.created !== chargeRows || again.counts.charges?.unchanged !== chargeRows || stored !== chargeRows;
	const result = {
		chargeRows,
		accounts: accountRows,
		seconds: Number(seconds.toFixed(1)),
		rowsPerSecond: Math.round(chargeRows / seconds),
		reimportSeconds: Number(againSeconds.toFixed(1)),
		chargesStored: stored,
		pagesStored,
		peakRssMb: Math.round(peakRss / 1024 / 1024),
		goal: "100,000 rows under 60 s; 1,000,000 rows at 3,000 rows/s or more with a peak RSS of 600 MB or less",
		ok: !failed,
	};
	process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
	clearInterval(sampler);
	await stack.stop();
	rmSync(dataDir, { recursive: true, force: true });
}
if (failed) process.exit(1);
