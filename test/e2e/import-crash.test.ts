import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClients } from "../../shared/platform/clients.js";
import { listImportsWriting } from "../../shared/store/imports.js";
import { type CliResult, cliOn } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";
import { writeImportFiles } from "../support/import-files.js";
import { hasExited, killAll, killHard, spawnBilling } from "../support/serve.js";

/**
 * An import killed while it writes (SIGKILL: a crash, an OOM, a closed terminal) leaves
 * part of a file stored. Until its lease lapses a billing run is refused; the same file
 * imported again ends exactly where one whole import would have, and the month bills each
 * charge once.
 */

/** 500 charges an account: the import still writes long enough to be killed part-way (about a sixth stored), and the run goes over fewer accounts. */
const ACCOUNTS = 60;
const CHARGES = 30_000;
/**
 * Renewed every 2 s, so at least 6 s left at the kill: long enough to outlast the refused run's
 * process start on a busy machine (about 0.5 s idle), short enough not to wait long for it to lapse.
 */
const LEASE_SECONDS = "8";
const accountId = (i: number) => `CRASH-${String(i).padStart(3, "0")}`;
/** October is billed: the first 20 accounts' charges fall in it, the others' in September (so the run issues 20 invoices). */
const BILLED = 20;
const monthOf = (account: number) => (account < BILLED ? "2026-10" : "2026-09");

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;
let dir: string;
const table = () => ({ ddb: createClients().ddb, tableName: stack.tableName });

/** The charges stored, read from the table as it is: every page's charges, by account and id. */
async function storedCharges(): Promise<string[]> {
	const ids: string[] = [];
	let ExclusiveStartKey: Record<string, unknown> | undefined;
	do {
		const out = await table().ddb.send(
			new ScanCommand({
				TableName: stack.tableName,
				FilterExpression: "begins_with(sk, :pages)",
				ExpressionAttributeValues: { ":pages": "CHARGES#" },
				ExclusiveStartKey,
			}),
		);
		for (const page of out.Items ?? [])
			for (const c of page.charges as { accountId: string; chargeId: string }[]) ids.push(`${c.accountId}/${c.chargeId}`);
		ExclusiveStartKey = out.LastEvaluatedKey;
	} while (ExclusiveStartKey);
	return ids;
}

beforeAll(async () => {
	stack = await startTestStack("import-crash");
	billing = cliOn(stack);
	dir = mkdtempSync(join(tmpdir(), "billing-crash-"));
	writeImportFiles(
		dir,
		{ count: ACCOUNTS, accountId },
		Array.from({ length: CHARGES }, (_, i) => `CH-${i},${accountId(i % ACCOUNTS)},${monthOf(i % ACCOUNTS)}-15,Storage,${1 + (i % 3)},0.50`),
	);
	expect((await billing("import", join(dir, "accounts.csv"))).code).toBe(0);
}, 120_000);

afterAll(async () => {
	await killAll();
	await stack?.stop();
});

describe("an import killed while it writes", () => {
	it("holds billing runs off until its lease lapses, and the same file again converges", async () => {
		const importing = spawnBilling(["import", join(dir, "charges.csv"), "--data-dir", stack.dataDir], "ignore", {
			...process.env,
			IMPORT_LEASE_SECONDS: LEASE_SECONDS,
		});
		// Killed as soon as part of the file is stored.
		let storedAtKill = 0;
		const deadline = Date.now() + 90_000;
		while (storedAtKill === 0 && Date.now() < deadline && !hasExited(importing)) {
			await new Promise((r) => setTimeout(r, 50));
			storedAtKill = (await storedCharges()).length;
		}
		await killHard(importing);
		// A transaction already sent when the process died is still carried out by DynamoDB.
		await new Promise((r) => setTimeout(r, 1000));
		storedAtKill = (await storedCharges()).length;
		expect(storedAtKill).toBeGreaterThan(0);
		expect(storedAtKill).toBeLessThan(CHARGES);

		// The crashed import's lease still holds: a run is refused, and starts no execution.
		const refused = await billing("run", "--period", "2026-10", "--as-of", "2026-11-01");
		expect(refused.code).toBe(1);
		expect(refused.stderr).toMatch(/an import is writing: charges\.csv \(import [0-9a-f-]+ by cli:/);
		// Read while the lease surely holds, before another process start.
		const [crashed] = await listImportsWriting(table(), new Date());
		expect(crashed?.files).toEqual(["charges.csv"]);
		expect(JSON.parse((await billing("executions", "list", "--json")).stdout)).toEqual([]);

		const again = await billing("import", join(dir, "charges.csv"), "--json");
		expect(again.code, again.stderr).toBe(0);
		const counts = (JSON.parse(again.stdout) as { counts: { charges: { created: number; updated: number; unchanged: number } } }).counts
			.charges;
		expect(counts).toEqual({ created: CHARGES - storedAtKill, updated: 0, unchanged: storedAtKill });
		const stored = await storedCharges();
		expect(stored).toHaveLength(CHARGES);
		expect(new Set(stored).size).toBe(CHARGES);

		// Once the crashed import's lease lapses, the month bills each charge once.
		await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(crashed?.leaseUntil ?? "") - Date.now() + 100)));
		expect((await billing("run", "--period", "2026-10", "--as-of", "2026-11-01")).code).toBe(0);
		const invoices = JSON.parse((await billing("invoices", "list", "--json")).stdout) as { accountId: string; total: number }[];
		expect(invoices).toHaveLength(BILLED);
		// Account i has charges i, i + ACCOUNTS, ...: quantities 1, 2, 3 in turn at 0.50.
		for (const invoice of invoices) {
			const a = Number(invoice.accountId.slice(-3));
			let expected = 0;
			for (let i = a; i < CHARGES; i += ACCOUNTS) expected += (1 + (i % 3)) * 50;
			expect(invoice.total, invoice.accountId).toBe(expected);
		}
	}, 240_000);
});
