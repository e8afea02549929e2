import { writeFileSync } from "node:fs";
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
});
