import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	DescribeExecutionCommand,
	type DescribeExecutionCommandOutput,
	DescribeMapRunCommand,
	DescribeStateMachineCommand,
	ExecutionDoesNotExist,
	InvalidArn,
	ListMapRunsCommand,
	ResourceNotFound,
	SFNClient,
	StartExecutionCommand,
	StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { historyStats } from "../../bench/cycle-history.js";
import { waitForExecution } from "../../local/cli/operations.js";
import { progressLine } from "../../local/cli/progress.js";
import { type LocalStepFunctions, startLocalStepFunctions } from "../../local/emulator/stepfunctions/server.js";
import { executionHistory } from "../../shared/runs/history.js";

/**
 * ListMapRuns and DescribeMapRun on the embedded Step Functions endpoint, through
 * @aws-sdk/client-sfn: a map run per Distributed Map, its items (accounts, not batches) and
 * child executions counted as they run; the `billing run` progress line that reads them; and
 * what `npm run bench:cycle` reads from such a history. A small definition of its own with
 * fake functions, so it tests the map runs, not the billing handlers.
 */

const fn = (id: string) => `arn:aws:lambda:us-east-1:000000000000:function:${id}`;
const RETRY = [{ ErrorEquals: ["TransientError"], IntervalSeconds: 1, MaxAttempts: 2 }];
const DEFINITION = {
	StartAt: "Find Accounts",
	States: {
		"Find Accounts": { Type: "Task", Resource: fn("Find"), ResultPath: "$.manifest", Next: "Invoice Accounts" },
		"Invoice Accounts": {
			Type: "Map",
			ItemReader: {
				Resource: "arn:aws:states:::s3:getObject",
				ReaderConfig: { InputType: "JSON" },
				Parameters: { "Bucket.$": "$.manifest.bucket", "Key.$": "$.manifest.key" },
			},
			// The fakes read what to do from the execution's input.
			ItemBatcher: { MaxItemsPerBatch: 4, BatchInput: { "failing.$": "$.failing", "transient.$": "$.transient", "slow.$": "$.slow" } },
			MaxConcurrency: 2,
			ToleratedFailurePercentage: 50,
			ItemProcessor: {
				ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "EXPRESS" },
				StartAt: "Invoice Batch",
				States: {
					"Invoice Batch": { Type: "Task", Resource: fn("Invoice"), Retry: RETRY, Next: "Batch Done" },
					"Batch Done": { Type: "Pass", End: true },
				},
			},
			ResultPath: null,
			Next: "Done",
		},
		Done: { Type: "Succeed" },
	},
};
const MACHINE = "map-runs";

interface Input {
	readonly accounts: number;
	/** Batches whose first account is one of these fail. */
	readonly failing?: readonly string[];
	/** The first attempt of the batch starting with this account fails with TransientError (and is retried). */
	readonly transient?: string;
	/** The batch starting with this account takes 150 ms. */
	readonly slow?: string;
}

let gate: Promise<void> | undefined;
const attempted = new Set<string>();

async function invoke(functionArn: string, payload: unknown): Promise<unknown> {
	const id = functionArn.split(":function:")[1];
	if (id === "Find") return { bucket: "bench", key: `manifests/${JSON.stringify(payload)}` };
	const { Items: items, BatchInput: input } = payload as { Items: { accountId: string }[]; BatchInput: Input };
	if (gate) await gate;
	const first = items[0]?.accountId ?? "";
	if (input.transient === first && !attempted.has(first)) {
		attempted.add(first);
		throw Object.assign(new Error("throttled"), { name: "TransientError" });
	}
	if (input.slow === first) await new Promise((resolve) => setTimeout(resolve, 150));
	if (input.failing?.includes(first)) throw Object.assign(new Error(`cannot invoice ${first}`), { name: "InvoiceError" });
	return { invoiced: items.length };
}

/** The manifest's key carries the execution's input (the Find fake puts it there): `accounts` items. */
async function readJson(_bucket: string, key: string): Promise<unknown> {
	const input = JSON.parse(key.slice("manifests/".length)) as Input;
	return Array.from({ length: input.accounts }, (_, i) => ({ accountId: `acc-${i}` }));
}

let dataDir: string;
let server: LocalStepFunctions;
let sfn: SFNClient;
let stateMachineArn: string;

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), "billing-map-runs-"));
	server = await startLocalStepFunctions({
		dataDir,
		stateMachines: [{ name: MACHINE, definition: DEFINITION }],
		invoke,
		readJson,
		maxRetryIntervalMs: 10,
	});
	sfn = new SFNClient({
		endpoint: server.url,
		region: "us-east-1",
		credentials: { accessKeyId: "local", secretAccessKey: "local" },
		maxAttempts: 1,
	});
	stateMachineArn = server.stateMachineArns[MACHINE] as string;
});

afterAll(async () => {
	sfn.destroy();
	await server.close();
	rmSync(dataDir, { recursive: true, force: true });
});

async function start(name: string, input: Input): Promise<string> {
	const full = { failing: [], transient: "", slow: "", ...input };
	const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(full) }));
	return executionArn as string;
}

async function finished(executionArn: string): Promise<DescribeExecutionCommandOutput> {
	let described: DescribeExecutionCommandOutput | undefined;
	await expect
		.poll(
			async () => {
				described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
				return described.status;
			},
			{ timeout: 5_000, interval: 20 },
		)
		.not.toBe("RUNNING");
	return described as DescribeExecutionCommandOutput;
}

async function onlyMapRun(executionArn: string) {
	const listed = await sfn.send(new ListMapRunsCommand({ executionArn }));
	expect(listed.mapRuns).toHaveLength(1);
	return listed.mapRuns?.[0] as NonNullable<typeof listed.mapRuns>[number];
}

function held(): () => void {
	let release: () => void = () => undefined;
	gate = new Promise<void>((resolve) => {
		release = resolve;
	});
	return () => {
		gate = undefined;
		release();
	};
}

describe("ListMapRuns and DescribeMapRun on the embedded endpoint", () => {
	it("names a map run like AWS and counts its items and child executions while they run and when done", async () => {
		const release = held();
		let executionArn = "";
		try {
			executionArn = await start("counted", { accounts: 10, failing: ["acc-8"] });
			await expect.poll(async () => (await sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns?.length, { timeout: 5_000 }).toBe(1);
			const listed = await onlyMapRun(executionArn);
			expect(listed.mapRunArn).toMatch(
				/^arn:aws:states:us-east-1:000000000000:mapRun:map-runs\/Invoice Accounts:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
			);
			expect(listed).toMatchObject({ executionArn, stateMachineArn: `${stateMachineArn}/Invoice Accounts` });
			expect(listed.startDate).toBeInstanceOf(Date);
			expect(listed.stopDate).toBeUndefined();

			// Batches of 4, 4 and 2 accounts; two children at a time (MaxConcurrency), held by the gate.
			await expect
				.poll(async () => (await sfn.send(new DescribeMapRunCommand({ mapRunArn: listed.mapRunArn }))).itemCounts?.running, {
					timeout: 5_000,
				})
				.toBe(8);
			const running = await sfn.send(new DescribeMapRunCommand({ mapRunArn: listed.mapRunArn }));
			expect(running).toMatchObject({
				mapRunArn: listed.mapRunArn,
				executionArn,
				status: "RUNNING",
				maxConcurrency: 2,
				toleratedFailurePercentage: 50,
				toleratedFailureCount: 0,
				itemCounts: { pending: 2, running: 8, succeeded: 0, failed: 0, aborted: 0, timedOut: 0, total: 10 },
				executionCounts: { pending: 1, running: 2, succeeded: 0, failed: 0, total: 3 },
			});
			expect(running.stopDate).toBeUndefined();
		} finally {
			release();
		}

		expect((await finished(executionArn)).status).toBe("SUCCEEDED");
		const listed = await onlyMapRun(executionArn);
		expect(listed.stopDate).toBeInstanceOf(Date);
		const done = await sfn.send(new DescribeMapRunCommand({ mapRunArn: listed.mapRunArn }));
		expect(done).toMatchObject({
			status: "SUCCEEDED",
			itemCounts: { pending: 0, running: 0, succeeded: 8, failed: 2, total: 10 },
			executionCounts: { pending: 0, running: 0, succeeded: 2, failed: 1, total: 3 },
		});
		expect(done.stopDate?.getTime()).toBeGreaterThanOrEqual(done.startDate?.getTime() ?? Number.POSITIVE_INFINITY);
	});

	it("a map run beyond its tolerated failures is FAILED", async () => {
		const executionArn = await start("too-many-failures", { accounts: 10, failing: ["acc-0", "acc-4"] });
		expect((await finished(executionArn)).status).toBe("FAILED");
		const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn: (await onlyMapRun(executionArn)).mapRunArn }));
		expect(run).toMatchObject({ status: "FAILED", itemCounts: { succeeded: 2, failed: 8, total: 10 } });
	});

	it("StopExecution aborts the map run and its unfinished children", async () => {
		const release = held();
		try {
			const executionArn = await start("stopped", { accounts: 10 });
			await expect.poll(async () => (await sfn.send(new ListMapRunsCommand({ executionArn }))).mapRuns?.length, { timeout: 5_000 }).toBe(1);
			await sfn.send(new StopExecutionCommand({ executionArn }));
			const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn: (await onlyMapRun(executionArn)).mapRunArn }));
			expect(run).toMatchObject({ status: "ABORTED", itemCounts: { pending: 0, running: 0, aborted: 10, total: 10 } });
			expect(run.stopDate).toBeInstanceOf(Date);
		} finally {
			release();
		}
	});

	it("answers unknown and malformed ARNs with the SDK's exception types", async () => {
		const executionArn = stateMachineArn.replace(":stateMachine:", ":execution:");
		await expect(sfn.send(new ListMapRunsCommand({ executionArn: `${executionArn}:missing` }))).rejects.toBeInstanceOf(
			ExecutionDoesNotExist,
		);
		await expect(
			sfn.send(new DescribeMapRunCommand({ mapRunArn: `${stateMachineArn.replace(":stateMachine:", ":mapRun:")}/Invoice Accounts:nope` })),
		).rejects.toBeInstanceOf(ResourceNotFound);
		await expect(sfn.send(new DescribeMapRunCommand({ mapRunArn: "not-an-arn" }))).rejects.toBeInstanceOf(InvalidArn);
	});
});

describe("the billing run's progress line", () => {
	it("shows the step and, while the map runs, accounts invoiced of the total with the rate, from the map run; not a line per state", async () => {
		const written: string[] = [];
		const stream = { isTTY: false, write: (text: string) => written.push(text) };
		let release: () => void = () => undefined;
		gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		// The gate opens once the line has shown the map run's counts.
		const opened = expect
			.poll(() => written.some((l) => l.startsWith("Invoice Accounts: accounts invoiced 0 of 12 (0%)")), { timeout: 10_000 })
			.toBe(true)
			.then(() => {
				gate = undefined;
				release();
			});
		const executionArn = await start("progress", { accounts: 12, failing: ["acc-8"] });
		const result = await waitForExecution(sfn, executionArn, undefined, { progressLine: progressLine({ stream }) });
		await opened;
		expect(result.status).toBe("SUCCEEDED");
		expect(written.every((l) => l.endsWith("\n") && !l.includes("\r"))).toBe(true);
		expect(written.some((l) => l.startsWith("Invoice Batch") || l.startsWith("Batch Done") || l.includes("[local"))).toBe(false);
		expect(written.at(-1)).toMatch(/^progress SUCCEEDED in \d+ s\n$/);
		expect(written.length).toBeLessThan(10);
	});
});

describe("what bench:cycle reads from the history", () => {
	it("per step: wall time, Task invocations with retries, the longest one; Standard and Express transitions; no local helper state", async () => {
		const executionArn = await start("measured", { accounts: 10, transient: "acc-0", slow: "acc-4" });
		expect((await finished(executionArn)).status).toBe("SUCCEEDED");
		const definition = JSON.parse((await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).definition ?? "{}") as unknown;
		const stats = historyStats(await executionHistory(sfn, executionArn), definition);
		expect(stats.steps.map((s) => [s.name, s.step])).toEqual([
			["Find Accounts", undefined],
			["Invoice Accounts", undefined],
			["Invoice Batch", "Invoice Accounts"],
			["Batch Done", "Invoice Accounts"],
			["Done", undefined],
		]);
		const step = (name: string) => stats.steps.find((s) => s.name === name);
		expect(step("Find Accounts")).toMatchObject({ invocations: 1, entered: 1 });
		// Three batches, one retried once: four invocations, the longest the slow one.
		expect(step("Invoice Batch")).toMatchObject({ invocations: 4, entered: 3 });
		expect(step("Invoice Batch")?.longestInvocationMs).toBeGreaterThanOrEqual(140);
		expect(step("Invoice Accounts")).toMatchObject({ invocations: 4, entered: 1 });
		expect(step("Invoice Accounts")?.longestInvocationMs).toBe(step("Invoice Batch")?.longestInvocationMs);
		expect(step("Invoice Accounts")?.seconds).toBeGreaterThanOrEqual(step("Invoice Batch")?.seconds ?? Number.POSITIVE_INFINITY);
		expect(stats.longestInvocationMs).toBe(step("Invoice Batch")?.longestInvocationMs);
		// The parent's three states; the EXPRESS children's two states per batch.
		expect(stats.standardTransitions).toBe(3);
		expect(stats.expressTransitions).toBe(6);
	});
});
