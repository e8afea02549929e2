import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClients } from "../../shared/platform/clients.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { listChargePagesOfAccount } from "../../shared/store/charges.js";
import { type CliResult, cliOn } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";
import { writeImportFiles } from "../support/import-files.js";

/**
 * The same charges file imported three times at once (a double upload, a redelivered S3
 * event, a client retrying while its first call still runs), each `billing import` in its
 * own process against one stack, then the month billed: every charge is stored and billed
 * once, and exactly one of the three imports created each.
 */

const ACCOUNTS = 10;
const CHARGES = 3000;
const accountId = (i: number) => `RACE-${String(i).padStart(2, "0")}`;
/** Whole quantities at 1.25 USD: the line amounts are exact, so the expected totals are sums of integers. */
const quantityOf = (i: number) => 1 + (i % 5);

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;
let dir: string;

beforeAll(async () => {
	stack = await startTestStack("concurrent-import");
	billing = cliOn(stack);
	dir = mkdtempSync(join(tmpdir(), "billing-race-"));
	writeImportFiles(
		dir,
		{ count: ACCOUNTS, accountId },
		Array.from(
			{ length: CHARGES },
			(_, i) => `CH-${i},${accountId(i % ACCOUNTS)},2026-10-${String(1 + (i % 28)).padStart(2, "0")},API calls,${quantityOf(i)},1.25`,
		),
	);
}, 120_000);

afterAll(async () => {
	await stack?.stop();
});

describe("three imports of the same files at once", () => {
	it("store each account and charge once, and exactly one import created each", async () => {
		const results = await Promise.all(
			[1, 2, 3].map(() => billing("import", join(dir, "accounts.csv"), join(dir, "charges.csv"), "--json")),
		);
		for (const r of results) expect(r.code, r.stderr).toBe(0);
		type Counts = { created: number; updated: number; unchanged: number };
		const counts = results.map((r) => (JSON.parse(r.stdout) as { counts: { accounts: Counts; charges: Counts } }).counts);
		for (const [kind, rows] of [
			["accounts", ACCOUNTS],
			["charges", CHARGES],
		] as const) {
			for (const c of counts) {
				expect(c[kind].updated).toBe(0);
				expect(c[kind].created + c[kind].unchanged).toBe(rows);
			}
			expect(counts.reduce((n, c) => n + c[kind].created, 0)).toBe(rows);
		}

		const table = { ddb: createClients().ddb, tableName: stack.tableName };
		for (let a = 0; a < ACCOUNTS; a++) {
			expect((await listAuditEntries(table, "account", accountId(a))).map((e) => e.action)).toEqual(["created"]);
			const ids = (await listChargePagesOfAccount(table, accountId(a))).flatMap((page) => page.charges.map((c) => c.chargeId));
			expect(ids).toHaveLength(CHARGES / ACCOUNTS);
			expect(new Set(ids).size).toBe(CHARGES / ACCOUNTS);
		}
	}, 120_000);

	it("bill each account its charges once", async () => {
		expect((await billing("run", "--period", "2026-10", "--as-of", "2026-11-01")).code).toBe(0);
		const invoices = JSON.parse((await billing("invoices", "list", "--json")).stdout) as {
			accountId: string;
			currency: string;
			total: number;
		}[];
		expect(invoices).toHaveLength(ACCOUNTS);
		for (let a = 0; a < ACCOUNTS; a++) {
			let expected = 0;
			for (let i = a; i < CHARGES; i += ACCOUNTS) expected += quantityOf(i) * 125;
			expect(invoices.find((inv) => inv.accountId === accountId(a))).toMatchObject({ currency: "USD", total: expected });
		}
	}, 180_000);
});
