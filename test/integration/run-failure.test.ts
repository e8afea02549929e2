import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executionArnFor, runBillingCycle, statesFromHistory } from "../../local/cli/operations.js";
import { createClients } from "../../shared/platform/clients.js";
import { executionHistory } from "../../shared/runs/history.js";
import { keys } from "../../shared/store/keys.js";
import { listRunFailures } from "../../shared/store/run-failures.js";
import { startTestStack } from "../support/embedded.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;

beforeAll(async () => {
	stack = await startTestStack("run-failure");
});

afterAll(async () => {
	await stack?.stop();
});

describe("a billing run that cannot go on", () => {
	it("stops through Record Run Failure, fails the execution, and records why for the operator", async () => {
		const { ddb } = createClients();
		// An account record without a currency: no step can price it, and retrying will not help.
		await ddb.send(
			new PutCommand({
				TableName: stack.tableName,
				Item: { ...keys.account("ACC-BROKEN"), ...keys.accountListing("ACC-BROKEN"), accountId: "ACC-BROKEN", name: "Broken" },
			}),
		);
		const result = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-09", asOf: "2026-10-01" });
		expect(result.status).toBe("FAILED");
		expect(result.error).toBe("BillingRunFailed");
		expect(result.cause).toMatch(/^CorruptRecordError: stored record ACCOUNT#ACC-BROKEN/);

		const states = statesFromHistory(await executionHistory(stack.sfn, executionArnFor(stack.stateMachineArn, "billing-2026-09")));
		const identify = states.find((s) => s.name === "Identify Outstanding Accounts");
		// Its error was caught (the run went on to Record Run Failure), as the console shows it; the run failed in Billing Run Failed.
		expect(identify).toMatchObject({ status: "CAUGHT", error: "CorruptRecordError" });
		expect(states.map((s) => s.name)).toContain("Record Run Failure");
		expect(states.find((s) => s.name === "Billing Run Failed")).toMatchObject({ status: "FAILED", error: "BillingRunFailed" });
		expect(states.map((s) => s.name)).not.toContain("Invoice Accounts");

		const failures = await listRunFailures({ ddb, tableName: stack.tableName }, "2026-09");
		expect(failures).toHaveLength(1);
		expect(failures[0]).toMatchObject({ accountId: "(run)", stage: "run" });
		expect(failures[0]?.reason).toMatch(/CorruptRecordError: stored record ACCOUNT#ACC-BROKEN \/ ACCOUNT is unreadable: .*currency/);
	});
});
