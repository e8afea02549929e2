import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Payment } from "../../shared/core/model.js";
import { createClients } from "../../shared/platform/clients.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;

beforeAll(async () => {
	stack = await startTestStack("bank-cli");
	billing = cliInProcess(stack);
}, 60_000);

afterAll(async () => {
	await stack?.stop();
});

const json = <T>(result: CliResult): T => {
	expect(result.stderr).not.toMatch(/Error/);
	return JSON.parse(result.stdout) as T;
};

describe("billing payments import (bank statement CSV)", () => {
	it("records two identical rows without a bank id as two payments, and a second import records nothing", async () => {
		const file = join(stack.dataDir, "statement.csv");
		writeFileSync(
			file,
			["date,amount,currency,reference", "2026-11-03,49.00,USD,Monthly fee", "2026-11-03,49.00,USD,Monthly fee", ""].join("\n"),
		);
		const first = await billing("payments", "import", file, "--json");
		expect(first.code).toBe(0);
		expect(json<{ outcome: { result: string } }[]>(first).map((r) => r.outcome.result)).toEqual(["unapplied", "unapplied"]);

		const again = await billing("payments", "import", file, "--json");
		expect(again.code).toBe(0);
		expect(json<{ outcome: { result: string } }[]>(again).map((r) => r.outcome.result)).toEqual(["duplicate_event", "duplicate_event"]);

		const payments = json<Payment[]>(await billing("payments", "list", "--json")).filter((p) => p.provider === "bank");
		expect(payments.map((p) => [p.amount, p.currency, p.status, p.unappliedAmount])).toEqual([
			[4900, "USD", "unapplied", 4900],
			[4900, "USD", "unapplied", 4900],
		]);
		expect(new Set(payments.map((p) => p.paymentId)).size).toBe(2);
		expect((await verifyLedgerInvariants({ ddb: createClients().ddb, tableName: stack.tableName })).violations).toEqual([]);
	}, 60_000);

	it("imports MT940 and BAI2 files, printing each entry with its outcome and, when skipped, why", async () => {
		const mt940 = join(stack.dataDir, "statement.sta");
		copyFileSync(new URL("../fixtures/bank/mt940/betterplace-sepa_snippet.sta", import.meta.url), mt940);
		const table = await billing("payments", "import", mt940);
		expect(table.code).toBe(0);
		const line = (at: string) => table.stdout.split("\n").find((l) => l.startsWith(at)) ?? "";
		expect(line("Stmt 1 :61: 1 (line 5)")).toMatch(/EUR 50,990\.05 .* unapplied .*neither an invoice/);
		expect(line("Stmt 1 :61: 4 (line 19)")).toMatch(
			/EUR 1,500\.00 .* skipped_debit .*a debit \(mark D\), money out, not a payment received/,
		);
		expect(line("Stmt 2 :61: 2 (line 32)")).toMatch(/EUR 335\.33 .* skipped_reversal .*GVC 159 RETOURE/);

		const bai2 = join(stack.dataDir, "statement.bai");
		copyFileSync(new URL("../fixtures/bank/bai2/moov-sample2.txt", import.meta.url), bai2);
		const rows = json<{ entry: string; amount: number; currency: string; date: string; outcome: { result: string } }[]>(
			await billing("payments", "import", bai2, "--json"),
		);
		expect(rows.map((r) => [r.entry, r.amount, r.currency, r.date, r.outcome.result])).toEqual([
			["line 5 (16)", 450000, "USD", "2004-06-20", "unapplied"],
			["line 10 (16)", 500000, "USD", "2004-06-20", "unapplied"],
			["line 16 (16)", 20000000, "USD", "2004-06-20", "unapplied"],
			["line 18 (16)", 10000000, "USD", "2004-06-20", "unapplied"],
		]);

		const notAStatement = join(stack.dataDir, "notes.xml");
		writeFileSync(notAStatement, "<notes><note>hello</note></notes>");
		const refused = await billing("payments", "import", notAStatement);
		expect(refused.code).not.toBe(0);
		expect(refused.stderr).toMatch(/not a camt.053 statement/);
	}, 60_000);
});
