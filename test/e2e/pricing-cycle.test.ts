import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account, Charge } from "../../shared/core/model.js";
import { createClients } from "../../shared/platform/clients.js";
import { putAccount } from "../../shared/store/accounts.js";
import { putCharge } from "../../shared/store/charges.js";
import { testAccount } from "../support/accounts.js";
import { type CliResult, cliOn } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;

const account = (accountId: string, overrides: Partial<Account> = {}) => testAccount(accountId, { taxRatePpm: 82500, ...overrides });

function usage(accountId: string, chargeId: string, overrides: Partial<Charge> = {}): Charge {
	return { accountId, period: "2026-10", chargeId, description: "API calls", quantity: 1, unitAmount: 1000, ...overrides };
}

beforeAll(async () => {
	stack = await startTestStack("pricing-cycle");
	billing = cliOn(stack);
	const table = { ddb: createClients().ddb, tableName: stack.tableName };
	// Two 10.00 lines at 8.25%: 0.83 tax each, rounded per line; the coupon takes off 20.00.
	await putAccount(
		table,
		account("FREE", {
			discounts: [{ kind: "percent", code: "LAUNCH100", description: "Launch offer", basisPoints: 10_000, firstPeriod: "2026-10" }],
		}),
	);
	await putCharge(table, usage("FREE", "c1"));
	await putCharge(table, usage("FREE", "c2"));
	await putAccount(table, account("TIERS"));
	await putCharge(
		table,
		usage("TIERS", "t1", {
			quantity: 150,
			unitAmount: 0,
			tiers: [{ upTo: 100, unitAmount: 50 }, { upTo: 10, unitAmount: 100 }, { unitAmount: 10 }],
		}),
	);
	await putAccount(table, account("PAYS"));
	await putCharge(table, usage("PAYS", "p1"));
}, 60_000);

afterAll(async () => {
	await stack?.stop();
});

describe("a billing run's pricing and monthly summary", () => {
	it("bills nothing for a 100%-off coupon, refuses tiers out of order naming the charge, and bills the rest", async () => {
		// A cheque received after the month, before the run: November's money, not October's.
		const cheque = await billing(
			"payments",
			"record",
			"--account",
			"NEWCO",
			"--amount",
			"49.00",
			"--currency",
			"USD",
			"--reference",
			"cheque 1001",
			"--received",
			"2026-11-03",
			"--json",
		);
		expect(cheque.code).toBe(0);
		const run = await billing("run", "--period", "2026-10", "--as-of", "2026-11-05");
		expect(run.code).toBe(0);
		const output = JSON.parse(run.stdout) as {
			status: string;
			output: { invoicing: { invoicesIssued: number; failedAccounts: { accountId: string; reason: string }[] } };
		};
		expect(output.status).toBe("SUCCEEDED");
		expect(output.output.invoicing.failedAccounts).toEqual([
			expect.objectContaining({
				accountId: "TIERS",
				reason: expect.stringMatching(/charge t1: tier 2 \(up to 10\) must come after tier 1 \(up to 100\)/),
			}),
		]);

		const invoices = JSON.parse((await billing("invoices", "list", "--json")).stdout) as {
			accountId: string;
			total: number;
			amountDue: number;
		}[];
		expect(invoices.map((i) => [i.accountId, i.total, i.amountDue])).toEqual([["PAYS", 1083, 1083]]);

		const summary = await (
			await createClients().s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: "reports/2026-10/monthly-billing-report.csv" }))
		).Body?.transformToString();
		expect(summary).toContain("invoicing,invoiced_total_minor,USD,1083\n");
		expect(summary).toContain("payments,payments_received_minor,USD,0\n");
	}, 120_000);
});
