import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	DescribeExecutionCommand,
	type DescribeExecutionCommandOutput,
	DescribeMapRunCommand,
	DescribeStateMachineCommand,
	ExecutionAlreadyExists,
	ExecutionDoesNotExist,
	GetExecutionHistoryCommand,
	type HistoryEvent,
	InvalidExecutionInput,
	InvalidName,
	ListExecutionsCommand,
	ListMapRunsCommand,
	ListStateMachinesCommand,
	SFNClient,
	StartExecutionCommand,
	StateMachineDoesNotExist,
	StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMBEDDED_BATCHING } from "../../local/emulator/stack.js";
import { type LocalStepFunctions, startLocalStepFunctions } from "../../local/emulator/stepfunctions/server.js";

/**
 * The embedded Step Functions endpoint running the project's real billing-cycle ASL,
 * driven through @aws-sdk/client-sfn as the `billing` CLI drives AWS. The task functions
 * are fakes: this tests the engine, its adapter and the API, not the billing handlers.
 */

const ASL = JSON.parse(readFileSync(new URL("../../statemachines/billing-cycle.asl.json", import.meta.url), "utf8")) as unknown;
const MACHINE = "billing-cycle";
const fnArn = (id: string) => `arn:aws:lambda:us-east-1:000000000000:function:billing-${id}`;
const substitutions: Record<string, string> = {};
for (const match of JSON.stringify(ASL).matchAll(/\$\{([A-Za-z0-9]+)FunctionArn\}/g)) {
	substitutions[`${match[1]}FunctionArn`] = fnArn(match[1] as string);
}
Object.assign(substitutions, EMBEDDED_BATCHING);
for (const match of JSON.stringify(ASL).matchAll(/\$\{([A-Za-z0-9]+)\}/g)) substitutions[match[1] as string] ??= `local-${match[1]}`;

/** Manifest size per period; the GenerateInvoices fake fails every batch whose first account is listed per period. */
const manifestSizes: Record<string, number> = { "2026-10": 60, "2026-11": 300, "2026-12": 60, "2027-01": 60 };
const failingFirstAccounts: Record<string, string[]> = { "2026-11": ["2026-11-acc-0"], "2026-12": ["2026-12-acc-0"] };

interface Call {
	readonly fn: string;
	readonly payload: Record<string, unknown>;
}
const calls: Call[] = [];
let transientFailuresLeft = 0;
let blockGenerate: Promise<void> | undefined;

function named(name: string, message: string): Error {
	const error = new Error(message);
	error.name = name;
	return error;
}

async function invoke(functionArn: string, payload: unknown): Promise<unknown> {
	const fn = functionArn.split(":function:billing-")[1] ?? functionArn;
	const p = payload as Record<string, unknown>;
	calls.push({ fn, payload: p });
	const billing = p.billing as { period: string; asOf: string } | undefined;
	switch (fn) {
		case "ResolveBillingPeriod": {
			const period = (p.requested as { period: string }).period;
			return { period, asOf: `${period}-28`, quarterEnd: false };
		}
		case "IdentifyOutstandingAccounts":
			return {
				manifest: { bucket: "billing-documents", key: `manifests/${billing?.period}.json` },
				reviewManifest: { bucket: "billing-documents", key: `manifests/${billing?.period}.json` },
				accounts: manifestSizes[billing?.period ?? ""] ?? 0,
			};
		case "GenerateInvoices": {
			if (blockGenerate) await blockGenerate;
			const items = p.items as { accountId: string }[];
			if (transientFailuresLeft > 0) {
				transientFailuresLeft--;
				throw named("TransientError", "DynamoDB throttled");
			}
			const first = items[0]?.accountId ?? "";
			if ((failingFirstAccounts[billing?.period ?? ""] ?? []).includes(first))
				throw named("InvoiceGenerationError", `cannot price ${first}`);
			return { invoiceNumbers: items.map((item) => `INV-${item.accountId}`) };
		}
		case "DeliverInvoices":
			return { emailed: (p.invoiceNumbers as string[]).length, printed: 0 };
		case "RecordRunFailure":
			// Like the real handler: a run-level record says why, and the Fail state's CausePath reads it.
			return { recorded: true, reason: `${(p.state as { failure?: { Error?: string } } | undefined)?.failure?.Error ?? "batch"} recorded` };
		case "RecordRunOutcome":
			return { execution: p.execution, outcome: "recorded" };
		case "SummarizeInvoicing":
			// Like the real step: adds up the batches from the ResultWriter's files, not from its input.
			return { invoices: succeededOutputs(p.results).reduce((n, o) => n + (o.generated?.invoiceNumbers?.length ?? 0), 0) };
		case "AssemblePrintBatch":
			return { period: billing?.period, documents: 0, sheets: 0 };
		case "ReconcilePayments":
			return { applied: 0, unapplied: 0 };
		case "VerifyLedgers":
			return { accountsChecked: (p.items as unknown[]).length };
		case "EscalateOverdueAccounts":
			return { overdueInvoices: 0, accounts: (p.items as unknown[]).length };
		case "SummarizeAccountReview":
			return { accountsReviewed: succeededOutputs(p.results).reduce((n, o) => n + (o.ledgers?.accountsChecked ?? 0), 0) };
		case "PublishReports":
			return { monthly: `reports/${billing?.period}.csv` };
		default:
			throw named("ResourceNotFoundException", `no fake for ${functionArn}`);
	}
}

/** What the Maps' ResultWriter wrote, by `bucket/key`. */
const written = new Map<string, unknown>();

async function writeJson(bucket: string, key: string, body: unknown): Promise<void> {
	written.set(`${bucket}/${key}`, JSON.parse(JSON.stringify(body)));
}

interface ChildOutput {
	readonly generated?: { invoiceNumbers?: string[] };
	readonly ledgers?: { accountsChecked?: number };
}

/** The outputs of a map run's successful children, read through the manifest its ResultWriter wrote. */
function succeededOutputs(results: unknown): ChildOutput[] {
	const { Bucket, Key } = results as { Bucket: string; Key: string };
	const manifest = written.get(`${Bucket}/${Key}`) as { ResultFiles: { SUCCEEDED: { Key: string }[] } };
	return manifest.ResultFiles.SUCCEEDED.flatMap((file) =>
		(written.get(`${Bucket}/${file.Key}`) as { Output: string }[]).map((child) => JSON.parse(child.Output) as ChildOutput),
	);
}

async function readJson(bucket: string, key: string): Promise<unknown> {
	const period = /manifests\/(\d{4}-\d{2})\.json$/.exec(key)?.[1];
	if (bucket !== "billing-documents" || !period) throw named("NoSuchKey", `no s3://${bucket}/${key}`);
	return Array.from({ length: manifestSizes[period] ?? 0 }, (_, i) => ({ accountId: `${period}-acc-${i}` }));
}

let dataDir: string;
let server: LocalStepFunctions;
let sfn: SFNClient;
let stateMachineArn: string;

function client(url: string): SFNClient {
	return new SFNClient({
		endpoint: url,
		region: "us-east-1",
		credentials: { accessKeyId: "local", secretAccessKey: "local" },
		maxAttempts: 1,
	});
}

async function start(): Promise<void> {
	server = await startLocalStepFunctions({
		host: "127.0.0.1",
		port: 0,
		dataDir,
		stateMachines: [{ name: MACHINE, definition: ASL, substitutions }],
		invoke,
		readJson,
		writeJson,
		drainTimeoutMs: 2_000,
	});
	sfn = client(server.url);
	stateMachineArn = server.stateMachineArns[MACHINE] as string;
}

async function stop(): Promise<void> {
	sfn.destroy();
	await server.close();
}

async function runToEnd(name: string, input: unknown): Promise<DescribeExecutionCommandOutput> {
	const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
	return waitFor(executionArn as string);
}

async function waitFor(executionArn: string): Promise<DescribeExecutionCommandOutput> {
	for (let i = 0; i < 200; i++) {
		const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
		if (described.status !== "RUNNING") return described;
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
	throw new Error(`${executionArn} still running`);
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
	const events: HistoryEvent[] = [];
	let nextToken: string | undefined;
	do {
		const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 50 }));
		events.push(...(page.events ?? []));
		nextToken = page.nextToken;
	} while (nextToken);
	return events;
}

const enteredNames = (events: HistoryEvent[], type: string) =>
	events.filter((e) => e.type === type).map((e) => e.stateEnteredEventDetails?.name as string);

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), "billing-local-sfn-"));
	await start();
});

afterAll(async () => {
	await stop();
	rmSync(dataDir, { recursive: true, force: true });
});

describe("embedded Step Functions: the billing cycle through @aws-sdk/client-sfn", () => {
	let billingArn: string;

	it("runs the real ASL to SUCCEEDED, invoicing the manifest in batches of at most 25 with BatchInput.billing", async () => {
		calls.length = 0;
		const described = await runToEnd("billing-2026-10", { period: "2026-10" });
		billingArn = described.executionArn as string;
		expect(described).toMatchObject({ status: "SUCCEEDED", name: "billing-2026-10", stateMachineArn });
		expect(described.startDate).toBeInstanceOf(Date);
		expect(described.stopDate?.getTime()).toBeGreaterThanOrEqual(described.startDate?.getTime() ?? 0);
		const output = JSON.parse(described.output ?? "null") as Record<string, unknown>;
		expect(output).toMatchObject({
			period: "2026-10",
			billing: { period: "2026-10", asOf: "2026-10-28" },
			outstanding: { manifest: { key: "manifests/2026-10.json" } },
			invoicing: { invoices: 60 },
			reports: { monthly: "reports/2026-10.csv" },
		});
		// Each Map yields where its results are, as on AWS; nothing of the local adapter reaches the output.
		expect(Object.keys(output).sort()).toEqual([
			"batching",
			"billing",
			"invoiceRun",
			"invoicing",
			"outstanding",
			"period",
			"printBatch",
			"reconciliation",
			"reports",
			"review",
			"reviewRun",
		]);
		// Plan Batches turns the substitutions into the numbers the maps read (MaxItemsPerBatchPath, MaxConcurrencyPath).
		expect(output.batching).toEqual({
			invoiceAccounts: { maxItemsPerBatch: 25, maxConcurrency: 8 },
			reviewAccounts: { maxItemsPerBatch: 50, maxConcurrency: 8 },
		});
		const mapRuns = (await sfn.send(new ListMapRunsCommand({ executionArn: billingArn }))).mapRuns ?? [];
		const concurrency = await Promise.all(
			mapRuns.map(async (run) => (await sfn.send(new DescribeMapRunCommand({ mapRunArn: run.mapRunArn }))).maxConcurrency),
		);
		expect(concurrency).toEqual([8, 8]);
		const invoiceRun = output.invoiceRun as { results: { Bucket: string; Key: string } };
		expect(invoiceRun.results.Bucket).toBe("billing-documents");
		expect(invoiceRun.results.Key).toMatch(/^runs\/2026-10\/invoice-accounts\/[0-9a-f-]{36}\/manifest\.json$/);
		expect(output.review).toEqual({ accountsReviewed: 60 });
		const review = calls.filter((c) => c.fn === "VerifyLedgers");
		expect(review.map((c) => (c.payload.items as unknown[]).length).sort((a, b) => a - b)).toEqual([10, 50]);
		// The report adds up the review batches' tallies: it is handed where the review map left them.
		const publish = calls.filter((c) => c.fn === "PublishReports");
		expect(publish).toHaveLength(1);
		const results = publish[0]?.payload.results as { Key: string } | undefined;
		expect(results).toEqual((output.reviewRun as { results: unknown }).results);
		expect(results?.Key).toMatch(/^runs\/2026-10\/review-accounts\/[0-9a-f-]{36}\/manifest\.json$/);

		const generate = calls.filter((c) => c.fn === "GenerateInvoices");
		expect(generate.map((c) => (c.payload.items as unknown[]).length).sort((a, b) => a - b)).toEqual([10, 25, 25]);
		for (const call of generate) expect(call.payload.billing).toEqual({ period: "2026-10", asOf: "2026-10-28", quarterEnd: false });
		const accountIds = generate.flatMap((c) => (c.payload.items as { accountId: string }[]).map((i) => i.accountId));
		expect(new Set(accountIds).size).toBe(60);
		expect(calls.filter((c) => c.fn === "DeliverInvoices")).toHaveLength(3);
		expect(calls.some((c) => c.fn === "RecordRunFailure")).toBe(false);
	});

	it("records a history with the ASL's state names, AWS event types and pagination", async () => {
		const events = await history(billingArn);
		expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
		expect(events[0]?.type).toBe("ExecutionStarted");
		expect(events[0]?.executionStartedEventDetails?.input).toBe(JSON.stringify({ period: "2026-10" }));
		expect(events.at(-1)?.type).toBe("ExecutionSucceeded");
		expect(events[1]?.timestamp).toBeInstanceOf(Date);
		const tasks = enteredNames(events, "TaskStateEntered");
		for (const name of [
			"Resolve Billing Period",
			"Identify Outstanding Accounts",
			"Generate Invoices",
			"Deliver Invoices",
			"Summarize Invoicing",
			"Assemble Print Batch",
			"Reconcile Payments",
			"Verify Ledgers",
			"Escalate Overdue Accounts",
			"Summarize Account Review",
			"Publish Monthly Report",
		]) {
			expect(tasks).toContain(name);
		}
		expect(tasks).toContain("Invoice Accounts [local: read items]");
		expect(enteredNames(events, "MapStateEntered")).toEqual(["Invoice Accounts", "Review Accounts"]);
		expect(enteredNames(events, "SucceedStateEntered")).toEqual(["Billing Cycle Complete"]);
		expect(events.filter((e) => e.type === "MapIterationSucceeded")).toHaveLength(5);
		const resolved = events.find((e) => e.type === "TaskStateExited" && e.stateExitedEventDetails?.name === "Resolve Billing Period");
		expect(JSON.parse(resolved?.stateExitedEventDetails?.output ?? "null")).toMatchObject({ billing: { period: "2026-10" } });
		expect(events.find((e) => e.type === "LambdaFunctionScheduled")?.lambdaFunctionScheduledEventDetails?.resource).toBe(
			fnArn("ResolveBillingPeriod"),
		);

		const newest = await sfn.send(new GetExecutionHistoryCommand({ executionArn: billingArn, reverseOrder: true, maxResults: 2 }));
		expect(newest.events?.map((e) => e.id)).toEqual([events.length, events.length - 1]);
		expect(newest.nextToken).toBeDefined();
		const bare = await sfn.send(new GetExecutionHistoryCommand({ executionArn: billingArn, maxResults: 1, includeExecutionData: false }));
		expect(bare.events?.[0]?.executionStartedEventDetails?.input).toBeUndefined();
	});

	it("refuses a second start of the same period with the SDK's ExecutionAlreadyExists", async () => {
		const attempt = sfn.send(
			new StartExecutionCommand({ stateMachineArn, name: "billing-2026-10", input: JSON.stringify({ period: "2026-10" }) }),
		);
		await expect(attempt).rejects.toBeInstanceOf(ExecutionAlreadyExists);
		await expect(attempt).rejects.toMatchObject({
			name: "ExecutionAlreadyExists",
			message: `Execution Already Exists: '${billingArn}'`,
			$metadata: { httpStatusCode: 400 },
		});
	});

	it("retries a TransientError from a task (quickly) and still succeeds", async () => {
		calls.length = 0;
		transientFailuresLeft = 2;
		const started = Date.now();
		const described = await runToEnd("billing-2027-01", { period: "2027-01" });
		expect(described.status).toBe("SUCCEEDED");
		expect(calls.filter((c) => c.fn === "GenerateInvoices")).toHaveLength(5);
		expect(Date.now() - started).toBeLessThan(3_000);
		const events = await history(described.executionArn as string);
		expect(events.filter((e) => e.type === "LambdaFunctionFailed").map((e) => e.lambdaFunctionFailedEventDetails?.error)).toEqual([
			"TransientError",
			"TransientError",
		]);
	});

	it("tolerates a failed batch within ToleratedFailurePercentage: the run succeeds and the batch is recorded", async () => {
		calls.length = 0;
		const described = await runToEnd("billing-2026-11", { period: "2026-11" });
		expect(described.status).toBe("SUCCEEDED");
		expect(calls.filter((c) => c.fn === "GenerateInvoices")).toHaveLength(12);
		const recorded = calls.filter((c) => c.fn === "RecordRunFailure");
		expect(recorded).toHaveLength(1);
		expect(recorded[0]?.payload).toMatchObject({
			scope: "batch",
			billing: { period: "2026-11" },
			failure: { Error: "InvoiceGenerationError" },
		});
		const batch = recorded[0]?.payload as { items: unknown[]; failure: { Cause: string } };
		expect(batch.items).toHaveLength(25);
		const cause = JSON.parse(batch.failure.Cause) as Record<string, unknown>;
		expect(cause).toMatchObject({ errorType: "InvoiceGenerationError", errorMessage: "cannot price 2026-11-acc-0" });
		expect(JSON.parse(described.output ?? "null")).not.toHaveProperty("failure");
	});

	it("fails the run through Record Run Failure when too many batches fail", async () => {
		calls.length = 0;
		const described = await runToEnd("billing-2026-12", { period: "2026-12" });
		expect(described).toMatchObject({
			status: "FAILED",
			error: "BillingRunFailed",
			cause: "States.ExceedToleratedFailureThreshold recorded",
		});
		const runFailure = calls.find((c) => c.fn === "RecordRunFailure" && c.payload.scope === "run");
		expect(runFailure?.payload).toMatchObject({
			execution: "billing-2026-12",
			state: { period: "2026-12", failure: { Error: "States.ExceedToleratedFailureThreshold" } },
		});
		expect(calls.some((c) => c.fn === "SummarizeInvoicing")).toBe(false);
		const events = await history(described.executionArn as string);
		expect(enteredNames(events, "TaskStateEntered")).toContain("Record Run Failure");
		expect(enteredNames(events, "FailStateEntered")).toContain("Billing Run Failed");
		expect(events.at(-1)).toMatchObject({ type: "ExecutionFailed", executionFailedEventDetails: { error: "BillingRunFailed" } });
	});

	it("answers the API's errors with the SDK's exception types", async () => {
		await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: `${stateMachineArn}-missing` }))).rejects.toBeInstanceOf(
			StateMachineDoesNotExist,
		);
		await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: "bad name/with slash" }))).rejects.toBeInstanceOf(InvalidName);
		await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, input: "{not json" }))).rejects.toBeInstanceOf(
			InvalidExecutionInput,
		);
		await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${billingArn}-missing` }))).rejects.toBeInstanceOf(
			ExecutionDoesNotExist,
		);
	});

	it("lists executions newest first, filters by status, pages, and describes the state machine with its original definition", async () => {
		const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
		const names = all.executions?.map((e) => e.name) ?? [];
		expect(names.slice(0, 4)).toEqual(["billing-2026-12", "billing-2026-11", "billing-2027-01", "billing-2026-10"]);
		const failed = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: "FAILED" }));
		expect(failed.executions?.map((e) => e.name)).toEqual(["billing-2026-12"]);
		const first = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 2 }));
		const second = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 2, nextToken: first.nextToken }));
		expect([...(first.executions ?? []), ...(second.executions ?? [])].map((e) => e.name)).toEqual(names.slice(0, 4));

		const machines = await sfn.send(new ListStateMachinesCommand({}));
		expect(machines.stateMachines?.map((m) => m.stateMachineArn)).toEqual([stateMachineArn]);
		const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
		expect(described).toMatchObject({ name: MACHINE, status: "ACTIVE", type: "STANDARD" });
		const definition = JSON.parse(described.definition ?? "{}") as { States: Record<string, { Type: string; ItemReader?: unknown }> };
		expect(definition.States["Invoice Accounts"]).toMatchObject({ Type: "Map", ItemReader: { Resource: "arn:aws:states:::s3:getObject" } });
		expect(Object.keys(definition.States).some((name) => name.includes("[local"))).toBe(false);
		expect(described.definition).toContain(fnArn("GenerateInvoices"));
	});

	it("stops a running execution (StopExecution) as ABORTED", async () => {
		let release: () => void = () => undefined;
		blockGenerate = new Promise<void>((resolve) => {
			release = resolve;
		});
		calls.length = 0;
		try {
			const { executionArn } = await sfn.send(
				new StartExecutionCommand({ stateMachineArn, name: "to-stop", input: JSON.stringify({ period: "2026-10" }) }),
			);
			await expect.poll(async () => calls.filter((c) => c.fn === "GenerateInvoices").length, { timeout: 2_000 }).toBeGreaterThan(0);
			await sfn.send(new StopExecutionCommand({ executionArn, error: "Operator", cause: "stopped by the test" }));
			const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
			expect(described).toMatchObject({ status: "ABORTED", error: "Operator", cause: "stopped by the test" });
			expect((await history(executionArn as string)).at(-1)?.type).toBe("ExecutionAborted");
		} finally {
			blockGenerate = undefined;
			release();
		}
	});

	it("persists executions across a restart, and marks one cut off while RUNNING as ABORTED", async () => {
		const before = await history(billingArn);
		// A second process on the same data dir while this one still runs an execution: as after a crash.
		let release: () => void = () => undefined;
		blockGenerate = new Promise<void>((resolve) => {
			release = resolve;
		});
		const { executionArn: cutOffArn } = await sfn.send(
			new StartExecutionCommand({ stateMachineArn, name: "cut-off", input: JSON.stringify({ period: "2026-10" }) }),
		);
		await expect
			.poll(async () => (await history(cutOffArn as string)).some((e) => e.type === "MapStateEntered"), { timeout: 2_000 })
			.toBe(true);
		await new Promise((resolve) => setTimeout(resolve, 600)); // the running execution's history is persisted within 500 ms

		const second = await startLocalStepFunctions({
			dataDir,
			stateMachines: [{ name: MACHINE, definition: ASL, substitutions }],
			invoke,
			readJson,
			writeJson,
		});
		const secondClient = client(second.url);
		try {
			const cutOff = await secondClient.send(new DescribeExecutionCommand({ executionArn: cutOffArn }));
			expect(cutOff).toMatchObject({ status: "ABORTED", cause: "embedded stack stopped while the execution was running" });
			const cutOffHistory = await secondClient.send(
				new GetExecutionHistoryCommand({ executionArn: cutOffArn, reverseOrder: true, maxResults: 1 }),
			);
			expect(cutOffHistory.events?.[0]?.type).toBe("ExecutionAborted");
		} finally {
			secondClient.destroy();
			await second.close();
		}

		// Now a clean restart of this process: everything it ran is still there.
		blockGenerate = undefined;
		release();
		await stop();
		expect(readdirSync(join(dataDir, "stepfunctions", "executions", MACHINE)).filter((f) => f.endsWith(".tmp"))).toEqual([]);
		await start();
		const described = await sfn.send(new DescribeExecutionCommand({ executionArn: billingArn }));
		expect(described).toMatchObject({ status: "SUCCEEDED", name: "billing-2026-10" });
		expect(await history(billingArn)).toEqual(before);
		const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
		expect(listed.executions?.map((e) => e.name)).toEqual(
			expect.arrayContaining(["billing-2026-10", "billing-2026-11", "billing-2026-12", "to-stop", "cut-off"]),
		);
		await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: "billing-2026-10" }))).rejects.toBeInstanceOf(
			ExecutionAlreadyExists,
		);
	});

	it("close() waits for running executions, aborts those still running after the drain timeout, and persists them", async () => {
		const ownDir = mkdtempSync(join(tmpdir(), "billing-local-sfn-close-"));
		let release: () => void = () => undefined;
		const hang = new Promise<void>((resolve) => {
			release = resolve;
		});
		const slowInvoke = async (arn: string, payload: unknown) => {
			if (arn.endsWith("GenerateInvoices")) await hang;
			return invoke(arn, payload);
		};
		const local = await startLocalStepFunctions({
			dataDir: ownDir,
			stateMachines: [{ name: MACHINE, definition: ASL, substitutions }],
			invoke: slowInvoke,
			readJson,
			writeJson,
			drainTimeoutMs: 200,
		});
		const localClient = client(local.url);
		try {
			const { executionArn } = await localClient.send(
				new StartExecutionCommand({ stateMachineArn, name: "in-flight", input: JSON.stringify({ period: "2026-10" }) }),
			);
			const quick = await localClient.send(
				new StartExecutionCommand({ stateMachineArn, name: "quick", input: JSON.stringify({ period: "not-a-period" }) }),
			);
			localClient.destroy();
			await local.close();
			const reopened = await startLocalStepFunctions({
				dataDir: ownDir,
				stateMachines: [{ name: MACHINE, definition: ASL, substitutions }],
				invoke,
				readJson,
				writeJson,
			});
			const reopenedClient = client(reopened.url);
			try {
				const inFlight = await reopenedClient.send(new DescribeExecutionCommand({ executionArn }));
				expect(inFlight).toMatchObject({ status: "ABORTED", cause: "embedded stack stopped while the execution was running" });
				expect((await reopenedClient.send(new DescribeExecutionCommand({ executionArn: quick.executionArn }))).status).not.toBe("RUNNING");
			} finally {
				reopenedClient.destroy();
				await reopened.close();
			}
		} finally {
			release();
			rmSync(ownDir, { recursive: true, force: true });
		}
	});

	it("refuses to start a state machine whose definition has a field the engine does not support", async () => {
		const definition = structuredClone(ASL) as { States: Record<string, Record<string, unknown>> };
		(definition.States["Summarize Invoicing"] as Record<string, unknown>).Assign = { invoicing: "{% $states.result %}" };
		await expect(
			startLocalStepFunctions({ dataDir, port: 0, stateMachines: [{ name: "refused", definition, substitutions }], invoke, readJson }),
		).rejects.toThrow('state "Summarize Invoicing": field Assign is not supported by the embedded Step Functions engine');
	});
});
