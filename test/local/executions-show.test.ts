import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeExecutionCommand, type HistoryEvent, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StateRecord, statesFromHistory } from "../../local/cli/operations.js";
import { EMBEDDED_BATCHING } from "../../local/emulator/stack.js";
import { type LocalStepFunctions, startLocalStepFunctions } from "../../local/emulator/stepfunctions/server.js";
import { executionHistory } from "../../shared/runs/history.js";

/**
 * What `billing executions show` prints per state (statesFromHistory), read from histories the
 * embedded Step Functions endpoint records for the real billing-cycle ASL with fake functions:
 * a step that succeeded on a retry, a batch of the Map that failed and was caught while the
 * others ran beside it, a run that ends in its Fail state, a Map over its tolerated failures.
 * Each row says what happened to that state, as the console does.
 */

const ASL = JSON.parse(readFileSync(new URL("../../statemachines/billing-cycle.asl.json", import.meta.url), "utf8")) as unknown;
const fnArn = (id: string) => `arn:aws:lambda:us-east-1:000000000000:function:billing-${id}`;
const substitutions: Record<string, string> = {};
for (const match of JSON.stringify(ASL).matchAll(/\$\{([A-Za-z0-9]+)\}/g)) {
	const name = match[1] as string;
	substitutions[name] = name.endsWith("FunctionArn")
		? fnArn(name.slice(0, -"FunctionArn".length))
		: (EMBEDDED_BATCHING[name] ?? `local-${name}`);
}

/**
 * Accounts per period. 2027-01: Resolve Billing Period and the batch starting at acc-50 meet a
 * TransientError once (retried), the batch starting at acc-100 cannot be priced (caught);
 * 2027-02: Identify Outstanding Accounts meets an error no retry helps; 2027-03: one batch of
 * three fails, over the Map's 10% tolerated.
 */
const accounts: Record<string, number> = { "2027-01": 300, "2027-02": 60, "2027-03": 60 };
const transientOnce = new Set(["resolve:2027-01", "2027-01-acc-50"]);
const failing = new Set(["2027-01-acc-100", "2027-03-acc-0"]);

function named(name: string, message: string): Error {
	return Object.assign(new Error(message), { name });
}

async function invoke(functionArn: string, payload: unknown): Promise<unknown> {
	const fn = functionArn.split(":function:billing-")[1];
	const p = payload as Record<string, unknown>;
	const period = (p.billing as { period?: string } | undefined)?.period ?? "";
	switch (fn) {
		case "ResolveBillingPeriod": {
			const requested = (p.requested as { period: string }).period;
			if (transientOnce.delete(`resolve:${requested}`)) throw named("TransientError", "DynamoDB throttled");
			return { period: requested, asOf: `${requested}-28` };
		}
		case "IdentifyOutstandingAccounts":
			if (period === "2027-02") throw named("CorruptRecordError", "stored record ACCOUNT#ACC-BROKEN is unreadable");
			return {
				manifest: { bucket: "billing", key: `manifests/${period}.json` },
				reviewManifest: { bucket: "billing", key: `manifests/${period}.json` },
				accountCount: accounts[period],
			};
		case "GenerateInvoices": {
			const first = (p.items as { accountId: string }[])[0]?.accountId ?? "";
			if (transientOnce.delete(first)) throw named("TransientError", "DynamoDB throttled");
			if (failing.has(first)) throw named("InvoiceGenerationError", `cannot price ${first}`);
			return { invoiceNumbers: (p.items as { accountId: string }[]).map((i) => `INV-${i.accountId}`) };
		}
		case "DeliverInvoices":
			return { emailed: (p.invoiceNumbers as string[]).length };
		case "RecordRunFailure":
			return { recorded: true, reason: "recorded" };
		case "SummarizeInvoicing":
			return { postalInvoices: 0 };
		case "PublishReports":
			return { quarterEnd: false };
		default:
			return {};
	}
}

let dataDir: string;
let server: LocalStepFunctions;
let sfn: SFNClient;
let stateMachineArn: string;

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), "billing-executions-show-"));
	server = await startLocalStepFunctions({
		dataDir,
		stateMachines: [{ name: "billing-cycle", definition: ASL, substitutions }],
		invoke,
		readJson: async (_bucket, key) => {
			const period = /manifests\/(.+)\.json$/.exec(key)?.[1] ?? "";
			return Array.from({ length: accounts[period] ?? 0 }, (_, i) => ({ accountId: `${period}-acc-${i}` }));
		},
		writeJson: async () => undefined,
		drainTimeoutMs: 1_000,
	});
	sfn = new SFNClient({ endpoint: server.url, region: "us-east-1", credentials: { accessKeyId: "l", secretAccessKey: "l" } });
	stateMachineArn = server.stateMachineArns["billing-cycle"] as string;
});

afterAll(async () => {
	sfn?.destroy();
	await server?.close();
	rmSync(dataDir, { recursive: true, force: true });
});

/** Runs the period to its end: the execution's status and its history. */
async function run(period: string): Promise<{ status: string; events: HistoryEvent[] }> {
	const { executionArn } = await sfn.send(
		new StartExecutionCommand({ stateMachineArn, name: `billing-${period}`, input: JSON.stringify({ period }) }),
	);
	for (let i = 0; i < 500; i++) {
		const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
		if (status !== "RUNNING") return { status: status as string, events: await executionHistory(sfn, executionArn as string) };
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
	throw new Error(`${executionArn} still running`);
}

const firstAccount = (row: StateRecord) => (row.input as { Items?: { accountId: string }[] } | undefined)?.Items?.[0]?.accountId;
const rowsOf = (rows: StateRecord[], name: string) => rows.filter((r) => r.name === name);
/** Per state, how many rows of each status. */
function countsByState(rows: StateRecord[]): Record<string, Record<string, number>> {
	const counts: Record<string, Record<string, number>> = {};
	for (const row of rows) {
		const of = counts[row.name] ?? {};
		of[row.status] = (of[row.status] ?? 0) + 1;
		counts[row.name] = of;
	}
	return counts;
}

describe("billing executions show: each state's status and error", () => {
	it("shows a step that succeeded on a retry as succeeded, and each Map batch's states with their own outcome", async () => {
		const { status, events } = await run("2027-01");
		expect(status).toBe("SUCCEEDED");
		const rows = statesFromHistory(events);

		// Resolve Billing Period met a TransientError, was retried and succeeded.
		expect(rowsOf(rows, "Resolve Billing Period")).toEqual([expect.objectContaining({ status: "SUCCEEDED", attempts: 2 })]);
		expect(rowsOf(rows, "Resolve Billing Period")[0]?.error).toBeUndefined();
		expect(rows.filter((r) => r.status === "RUNNING")).toEqual([]);

		// The Map: one row for it (the local engine's helper states are not states of the run), over its tolerated failures.
		expect(rows.filter((r) => r.name.includes("[local:"))).toEqual([]);
		expect(rowsOf(rows, "Invoice Accounts")).toEqual([expect.objectContaining({ type: "Map", status: "SUCCEEDED" })]);

		// 12 batches: the one starting at acc-100 could not be priced: its Generate Invoices caught, its failure path run.
		const generate = rowsOf(rows, "Generate Invoices");
		expect(generate).toHaveLength(12);
		const notSucceeded = generate.filter((r) => r.status !== "SUCCEEDED");
		expect(notSucceeded).toEqual([expect.objectContaining({ status: "CAUGHT", error: "InvoiceGenerationError" })]);
		expect(firstAccount(notSucceeded[0] as StateRecord)).toBe("2027-01-acc-100");
		expect(notSucceeded[0]?.cause).toContain("cannot price 2027-01-acc-100");
		const failedBatch = notSucceeded[0]?.iteration;
		expect(failedBatch).toBeTypeOf("number");
		expect(generate.filter((r) => r.error !== undefined)).toHaveLength(1);
		// The batch starting at acc-50 met a TransientError first, and succeeded on its retry.
		expect(generate.find((r) => firstAccount(r) === "2027-01-acc-50")).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
		expect(generate.find((r) => firstAccount(r) === "2027-01-acc-50")?.error).toBeUndefined();

		// Every other batch delivered; the failed one recorded its failure and ended in its Fail state.
		const deliver = rowsOf(rows, "Deliver Invoices");
		expect(deliver).toHaveLength(11);
		expect(deliver.every((r) => r.status === "SUCCEEDED" && r.error === undefined && r.iteration !== failedBatch)).toBe(true);
		expect(rowsOf(rows, "Record Batch Failure")).toEqual([expect.objectContaining({ status: "SUCCEEDED", iteration: failedBatch })]);
		expect(rowsOf(rows, "Invoice Batch Failed")).toEqual([expect.objectContaining({ status: "FAILED", iteration: failedBatch })]);
		expect(firstAccount(rowsOf(rows, "Invoice Batch Failed")[0] as StateRecord)).toBe("2027-01-acc-100");

		// Each state the run went through and how its runs ended: 12 invoice batches of 25 (one caught), 6 review batches of 50.
		expect(countsByState(rows)).toEqual({
			"Resolve Billing Period": { SUCCEEDED: 1 },
			"Identify Outstanding Accounts": { SUCCEEDED: 1 },
			"Plan Batches": { SUCCEEDED: 1 },
			"Invoice Accounts": { SUCCEEDED: 1 },
			"Generate Invoices": { SUCCEEDED: 11, CAUGHT: 1 },
			"Deliver Invoices": { SUCCEEDED: 11 },
			"Batch Invoiced": { SUCCEEDED: 11 },
			"Record Batch Failure": { SUCCEEDED: 1 },
			"Invoice Batch Failed": { FAILED: 1 },
			"Summarize Invoicing": { SUCCEEDED: 1 },
			"Assemble Print Batch": { SUCCEEDED: 1 },
			"Reconcile Payments": { SUCCEEDED: 1 },
			"Review Accounts": { SUCCEEDED: 1 },
			"Verify Ledgers": { SUCCEEDED: 6 },
			"Escalate Overdue Accounts": { SUCCEEDED: 6 },
			"Batch Reviewed": { SUCCEEDED: 6 },
			"Summarize Account Review": { SUCCEEDED: 1 },
			"Publish Monthly Report": { SUCCEEDED: 1 },
			"Is It A Quarter's Last Month?": { SUCCEEDED: 1 },
			"Record Run Outcome": { SUCCEEDED: 1 },
			"Billing Cycle Complete": { SUCCEEDED: 1 },
		});
	});

	it("shows a run that ends in its Fail state: that state failed with the run's error, the step whose error was caught as caught", async () => {
		const { status, events } = await run("2027-02");
		expect(status).toBe("FAILED");
		const rows = statesFromHistory(events);
		expect(rows.map((r) => [r.name, r.status, r.error])).toEqual([
			["Resolve Billing Period", "SUCCEEDED", undefined],
			["Identify Outstanding Accounts", "CAUGHT", "CorruptRecordError"],
			["Record Run Failure", "SUCCEEDED", undefined],
			["Billing Run Failed", "FAILED", "BillingRunFailed"],
		]);
		expect(rows.every((r) => r.exitedAt !== undefined)).toBe(true);
	});

	it("shows a Map over its tolerated failures as caught with the Map's error, not succeeded", async () => {
		const { status, events } = await run("2027-03");
		expect(status).toBe("FAILED");
		const rows = statesFromHistory(events);
		expect(rowsOf(rows, "Invoice Accounts")).toEqual([
			expect.objectContaining({ type: "Map", status: "CAUGHT", error: "States.ExceedToleratedFailureThreshold" }),
		]);
		expect(rowsOf(rows, "Generate Invoices").map((r) => [firstAccount(r), r.status, r.error])).toEqual(
			expect.arrayContaining([["2027-03-acc-0", "CAUGHT", "InvoiceGenerationError"]]),
		);
		expect(rowsOf(rows, "Generate Invoices").filter((r) => r.status === "SUCCEEDED")).toHaveLength(2);
		expect(rowsOf(rows, "Invoice Batch Failed")).toEqual([expect.objectContaining({ status: "FAILED" })]);
		expect(rowsOf(rows, "Record Run Failure")).toEqual([expect.objectContaining({ status: "SUCCEEDED" })]);
		expect(rowsOf(rows, "Billing Run Failed")).toEqual([expect.objectContaining({ status: "FAILED", error: "BillingRunFailed" })]);
		expect(rowsOf(rows, "Summarize Invoicing")).toEqual([]);
		// Three batches of 25: the one starting at acc-0 failed, over the 10% tolerated, so the run failed after the Map.
		expect(countsByState(rows)).toEqual({
			"Resolve Billing Period": { SUCCEEDED: 1 },
			"Identify Outstanding Accounts": { SUCCEEDED: 1 },
			"Plan Batches": { SUCCEEDED: 1 },
			"Invoice Accounts": { CAUGHT: 1 },
			"Generate Invoices": { SUCCEEDED: 2, CAUGHT: 1 },
			"Deliver Invoices": { SUCCEEDED: 2 },
			"Batch Invoiced": { SUCCEEDED: 2 },
			"Record Batch Failure": { SUCCEEDED: 1 },
			"Invoice Batch Failed": { FAILED: 1 },
			"Record Run Failure": { SUCCEEDED: 1 },
			"Billing Run Failed": { FAILED: 1 },
		});
	});
});
