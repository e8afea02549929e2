import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClients } from "../../shared/platform/clients.js";
import { reconcilePayments } from "../../shared/reporting/reconciliation.js";
import { buildWorklist } from "../../shared/reporting/worklist.js";
import { putAccount } from "../../shared/store/accounts.js";
import { startTestStack } from "../support/embedded.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let clients: ReturnType<typeof createClients>;

beforeAll(async () => {
	stack = await startTestStack("reconcile", { http: false });
	clients = createClients();
});

afterAll(async () => {
	await stack?.stop();
});

describe("reconciliation when the ledger does not add up", () => {
	it("reports the violated invariants in the outcome (billing reconcile exits 1 on it) and in the report", async () => {
		const deps = { ddb: clients.ddb, s3: clients.s3, tableName: stack.tableName, bucketName: stack.bucketName };
		// A balance with no ledger entry behind it: what a write outside a transaction would leave.
		await putAccount(deps, {
			accountId: "ACC-R1",
			name: "Broken Ledger Ltd",
			email: `ap+${stack.tag}@example.com`,
			currency: "EUR",
			status: "active",
			taxRatePpm: 0,
			paymentTermsDays: 30,
			delivery: "email",
			addressLines: [],
			balance: 500,
			creditBalance: 0,
			createdAt: new Date().toISOString(),
		});
		const outcome = await reconcilePayments(deps, "2026-10");
		expect(outcome.invariants).toMatchObject({ invariantsHold: false, violationCount: 2 });
		const body = await (
			await clients.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: outcome.reportKey }))
		).Body?.transformToString();
		const report = JSON.parse(body ?? "{}");
		expect(report.invariantsHold).toBe(false);
		expect(report.mismatches).toEqual([
			expect.objectContaining({
				kind: "invariant_violation",
				subject: "ACC-R1",
				detail: "balance equals ledger: balance 500, ledger sum 0",
			}),
			expect.objectContaining({
				kind: "invariant_violation",
				subject: "ACC-R1",
				detail: expect.stringMatching(/^balance equals amounts due minus credit/),
			}),
		]);
		// The worklist lists what this check found, without checking every ledger again on each look.
		const worklist = (await buildWorklist(deps, "2026-11-15")).filter((i) => i.kind === "invariant_violation");
		expect(worklist.map((i) => i.id).sort()).toEqual([
			"invariant:balance equals amounts due minus credit:ACC-R1",
			"invariant:balance equals ledger:ACC-R1",
		]);
		expect(worklist[0]?.detail).toMatch(/found by the ledger check of \d{4}-\d{2}-\d{2}T/);
	});
});
