import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeExecutionCommand, type HistoryEvent, SFNClient, StartExecutionCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statesFromHistory } from "../../local/cli/operations.js";
import { CONSOLE_SCRIPT } from "../../local/emulator/console-page.js";
import { EMBEDDED_BATCHING } from "../../local/emulator/stack.js";
import { type LocalStepFunctions, startLocalStepFunctions } from "../../local/emulator/stepfunctions/server.js";
import { allStates, describeRule, parseAsl } from "../../shared/runs/flow.js";
import { renderFlowSvg } from "../../shared/runs/graph.js";
import { executionHistory } from "../../shared/runs/history.js";
import { executionView } from "../../shared/runs/view.js";

/**
 * What the console shows of an execution, read from the history the embedded Step Functions
 * endpoint records for the real billing-cycle ASL (with fake functions): the Map's child
 * executions folded into one map run with counts, caught and failed states, an aborted
 * execution's unfinished states as aborted; and the graph drawn from the ASL.
 */

const ASL = JSON.parse(readFileSync(new URL("../../statemachines/billing-cycle.asl.json", import.meta.url), "utf8")) as unknown;
const FLOW = parseAsl(ASL);
const fnArn = (id: string) => `arn:aws:lambda:us-east-1:000000000000:function:billing-${id}`;
const substitutions: Record<string, string> = {};
for (const match of JSON.stringify(ASL).matchAll(/\$\{([A-Za-z0-9]+)\}/g)) {
	const name = match[1] as string;
	substitutions[name] = name.endsWith("FunctionArn")
		? fnArn(name.slice(0, -"FunctionArn".length))
		: (EMBEDDED_BATCHING[name] ?? `local-${name}`);
}

/** Accounts per period; a batch whose first account is listed fails; the first call of a period listed in `transient` throws a TransientError. */
const accounts: Record<string, number> = { "2026-10": 300, "2026-11": 60, "2026-12": 100 };
const failing = new Set(["2026-10-acc-25", "2026-11-acc-0"]);
const transient = new Set(["2026-10"]);
let gate: Promise<void> | undefined;
let generateCalls = 0;

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
			return { period: requested, asOf: `${requested}-28` };
		}
		case "IdentifyOutstandingAccounts":
			return {
				manifest: { bucket: "billing", key: `manifests/${period}.json` },
				reviewManifest: { bucket: "billing", key: `manifests/${period}.json` },
				accountCount: accounts[period],
			};
		case "GenerateInvoices": {
			generateCalls++;
			if (gate) await gate;
			const items = p.items as { accountId: string }[];
			if (items[0]?.accountId === `${period}-acc-0` && transient.delete(period)) throw named("TransientError", "DynamoDB throttled");
			if (failing.has(items[0]?.accountId ?? "")) throw named("InvoiceGenerationError", `cannot price ${items[0]?.accountId}`);
			return { invoiceNumbers: items.map((i) => `INV-${i.accountId}`) };
		}
		case "DeliverInvoices":
			return { emailed: (p.invoiceNumbers as string[]).length };
		case "RecordRunFailure":
			return { recorded: true, reason: "recorded" };
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
	dataDir = mkdtempSync(join(tmpdir(), "billing-console-view-"));
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

async function start(period: string): Promise<string> {
	const { executionArn } = await sfn.send(
		new StartExecutionCommand({ stateMachineArn, name: `billing-${period}`, input: JSON.stringify({ period }) }),
	);
	return executionArn as string;
}

async function finished(executionArn: string): Promise<string> {
	for (let i = 0; i < 500; i++) {
		const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
		if (status !== "RUNNING") return status as string;
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
	throw new Error(`${executionArn} still running`);
}

function history(executionArn: string): Promise<HistoryEvent[]> {
	return executionHistory(sfn, executionArn);
}

describe("the console's view of an execution", () => {
	it("folds the local engine's helper states into one map run with counts of child executions and items", async () => {
		const arn = await start("2026-10");
		expect(await finished(arn)).toBe("SUCCEEDED");
		const { states } = executionView(FLOW, await history(arn));

		// Only the ASL's states: no "[local: ...]" rows, whatever the engine ran.
		expect(Object.keys(states).sort()).toEqual(
			allStates(FLOW)
				.map((s) => s.name)
				.sort(),
		);
		const map = states["Invoice Accounts"];
		expect(map).toMatchObject({ status: "SUCCEEDED", runCount: 1 });
		// 300 accounts in batches of 25: 12 child executions, one failed (25 items, within the 10% tolerated).
		expect(map?.mapRun).toMatchObject({
			children: { total: 12, succeeded: 11, failed: 1, running: 0, aborted: 0 },
			items: { total: 300, succeeded: 275, failed: 25 },
		});
		// The child execution's own error: what its Fail state says.
		expect(map?.mapRun?.failures).toEqual([
			{
				index: 1,
				items: 25,
				error: "InvoiceBatchFailed",
				cause: "A batch of accounts could not be invoiced; see the run's failed accounts.",
			},
		]);
		// read items, 12 iterations, 12 records of their outcome, check failures.
		expect(map?.mapRun?.helperRuns).toBe(26);

		// The states inside the Map: counts over its child executions, each failure attributed to its own batch.
		const generate = states["Generate Invoices"];
		expect(generate).toMatchObject({ status: "CAUGHT", parent: "Invoice Accounts", runCount: 12, counts: { SUCCEEDED: 11, CAUGHT: 1 } });
		const caught = generate?.runs.find((r) => r.status === "CAUGHT");
		expect(caught).toMatchObject({ iteration: 1, error: "InvoiceGenerationError" });
		expect(caught?.cause).toContain("cannot price 2026-10-acc-25");
		// The batch that met a TransientError first succeeded on its second attempt.
		expect(generate?.runs.some((r) => r.status === "SUCCEEDED" && r.attempts === 2)).toBe(true);
		expect(states["Deliver Invoices"]).toMatchObject({ status: "SUCCEEDED", counts: { SUCCEEDED: 11 } });
		expect(states["Record Batch Failure"]).toMatchObject({ status: "SUCCEEDED", counts: { SUCCEEDED: 1 } });
		expect(states["Invoice Batch Failed"]).toMatchObject({ status: "FAILED", counts: { FAILED: 1 }, error: "InvoiceBatchFailed" });

		expect(states["Resolve Billing Period"]).toMatchObject({ status: "SUCCEEDED", runCount: 1 });
		expect(states["Billing Cycle Complete"]?.status).toBe("SUCCEEDED");
		expect(states["Publish Quarterly Report"]).toMatchObject({ status: "NOT_REACHED", runCount: 0 });
		expect(states["Record Run Failure"]?.status).toBe("NOT_REACHED");
	});

	it("shows a Map over its tolerated failures as caught with its error, and the run's failure path", async () => {
		const arn = await start("2026-11");
		expect(await finished(arn)).toBe("FAILED");
		const { states } = executionView(FLOW, await history(arn));
		// 1 of 3 batches (25 of 60 accounts) failed: over the 10% tolerated, caught by the Map's Catch.
		expect(states["Invoice Accounts"]).toMatchObject({ status: "CAUGHT" });
		expect(states["Invoice Accounts"]?.runs[0]?.error).toBe("States.ExceedToleratedFailureThreshold");
		expect(states["Invoice Accounts"]?.mapRun?.children).toMatchObject({ total: 3, failed: 1 });
		expect(states["Record Run Failure"]?.status).toBe("SUCCEEDED");
		expect(states["Billing Run Failed"]?.status).toBe("FAILED");
		expect(states["Summarize Invoicing"]?.status).toBe("NOT_REACHED");
	});

	it("shows an aborted execution's unfinished states as aborted, not running", async () => {
		let release: () => void = () => undefined;
		gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		generateCalls = 0;
		const arn = await start("2026-12");
		await expect.poll(() => generateCalls, { timeout: 5_000 }).toBeGreaterThan(0);
		await sfn.send(new StopExecutionCommand({ executionArn: arn, error: "Operator", cause: "stopped by hand" }));
		release();
		gate = undefined;
		expect(await finished(arn)).toBe("ABORTED");
		const events = await history(arn);
		const { states } = executionView(FLOW, events);
		expect(states["Resolve Billing Period"]?.status).toBe("SUCCEEDED");
		expect(states["Invoice Accounts"]?.status).toBe("ABORTED");
		expect(states["Invoice Accounts"]?.mapRun?.children.running).toBe(0);
		expect(states["Generate Invoices"]?.status).toBe("ABORTED");
		expect(states["Summarize Invoicing"]?.status).toBe("NOT_REACHED");
		expect(Object.values(states).filter((s) => s.status === "RUNNING")).toEqual([]);
		// `billing executions show` says the same.
		const rows = statesFromHistory(events);
		expect(rows.filter((r) => r.status === "RUNNING")).toEqual([]);
		expect(rows.find((r) => r.name === "Invoice Accounts")?.status).toBe("ABORTED");
	});
});

describe("the console's graph of the state machine", () => {
	it("draws every state of the ASL, the Map's ItemProcessor inside the Map, and every transition", () => {
		const svg = renderFlowSvg(FLOW);
		for (const state of allStates(FLOW)) expect(svg).toContain(`data-state="${state.name.replaceAll("'", "&#39;")}"`);
		expect(svg).not.toContain("[local:");
		// Next, the Choice's rule and its Default, every Catch, the Map's inner flow.
		expect(svg).toContain('data-from="Summarize Account Review" data-to="Publish Monthly Report"');
		expect(svg).toContain('data-from="Verify Ledgers" data-to="Escalate Overdue Accounts"');
		expect(svg).toContain('class="edge edge-choice" data-from="Is It A Quarter&#39;s Last Month?" data-to="Publish Quarterly Report"');
		expect(svg).toContain('class="edge edge-default"');
		expect(svg.match(/class="edge edge-catch" data-from="[^"]+" data-to="Record Run Failure"/g)).toHaveLength(11);
		expect(svg).toContain('class="edge edge-catch" data-from="Deliver Invoices" data-to="Record Batch Failure"');
		expect(svg).toContain("Map (distributed)");
	});

	it("ships a page script that parses (it runs in the browser test)", () => {
		expect(() => new Function(CONSOLE_SCRIPT)).not.toThrow();
	});

	it("reads Choice rules as a billing specialist would", () => {
		expect(
			describeRule({
				And: [
					{ Variable: "$.a", IsPresent: true },
					{ Variable: "$.a", BooleanEquals: true },
				],
			}),
		).toBe("$.a is present and == true");
		expect(describeRule({ Not: { Variable: "$.n", NumericGreaterThanPath: "$.m" } })).toBe("not ($.n > $.m)");
	});
});
