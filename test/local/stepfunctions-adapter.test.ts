import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { adaptForLocalEngine } from "../../local/emulator/stepfunctions/adapter.js";
import { batchItems } from "../../local/emulator/stepfunctions/batching.js";
import { UnsupportedDefinitionError } from "../../local/emulator/stepfunctions/definition-errors.js";
import { compileStateMachine, type InvokeFunction, startLocalExecution } from "../../local/emulator/stepfunctions/engine.js";
import type { HistoryEvent } from "../../local/emulator/stepfunctions/history.js";
import type { JsonObject, JsonValue } from "../../local/emulator/stepfunctions/json.js";
import type { ReadJson, WriteJson } from "../../local/emulator/stepfunctions/local-states.js";
import { MissingSubstitutionError, substituteDefinition } from "../../local/emulator/stepfunctions/substitutions.js";

const fn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const identity = {
	executionArn: "arn:aws:states:us-east-1:000000000000:execution:test:run-1",
	name: "run-1",
	stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:test",
	stateMachineName: "test",
	roleArn: "arn:aws:iam::000000000000:role/test",
	region: "us-east-1",
};

interface Call {
	readonly fn: string;
	readonly payload: JsonObject;
}

/** A fake Lambda layer: records every call; `handlers` by function name (default: echo the payload). */
function fakeLambdas(handlers: Record<string, (payload: JsonObject) => unknown> = {}): { calls: Call[]; invoke: InvokeFunction } {
	const calls: Call[] = [];
	const invoke: InvokeFunction = async (arn, payload) => {
		const name = arn.split(":").at(-1) as string;
		calls.push({ fn: name, payload: payload as JsonObject });
		const handler = handlers[name];
		return handler ? handler(payload as JsonObject) : payload;
	};
	return { calls, invoke };
}

function namedError(name: string, message: string): Error {
	const error = new Error(message);
	error.name = name;
	return error;
}

async function run(
	definition: unknown,
	input: JsonValue,
	options: { invoke?: InvokeFunction; readJson?: ReadJson; writeJson?: WriteJson } = {},
) {
	const adapted = adaptForLocalEngine(definition, {
		readJson: options.readJson ?? (async () => []),
		writeJson: options.writeJson ?? (async () => undefined),
	});
	const machine = compileStateMachine(adapted);
	const execution = startLocalExecution({ machine, input, identity, invoke: options.invoke ?? fakeLambdas().invoke });
	const outcome = await execution.done;
	return { outcome, history: execution.history as readonly HistoryEvent[], adapted };
}

const accounts = (n: number) => Array.from({ length: n }, (_, i) => ({ accountId: `acc-${i}` }));
const manifestInput = { manifest: { bucket: "billing", key: "manifests/2026-10.json" }, tag: "2026-10" };

/** A Distributed Map reading a manifest, batching by 2, then "After" (or "Failed" when the Map's Catch fires). */
function distributedMachine(mapOverrides: JsonObject = {}, processorStates?: JsonObject): JsonObject {
	return {
		StartAt: "Invoice",
		States: {
			Invoice: {
				Type: "Map",
				ItemReader: {
					Resource: "arn:aws:states:::s3:getObject",
					ReaderConfig: { InputType: "JSON" },
					Parameters: { "Bucket.$": "$.manifest.bucket", "Key.$": "$.manifest.key" },
				},
				ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { "tag.$": "$.tag" } },
				ToleratedFailurePercentage: 25,
				ItemProcessor: {
					ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
					StartAt: "Work",
					States: processorStates ?? { Work: { Type: "Task", Resource: fn("Work"), End: true } },
				},
				ResultPath: null,
				Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Failed" }],
				Next: "After",
				...mapOverrides,
			},
			After: { Type: "Task", Resource: fn("After"), End: true },
			Failed: { Type: "Task", Resource: fn("Failed"), End: true },
		},
	};
}

/** Work fails (InvoiceError) for a batch whose first account is in `failing`. */
function workFailingFor(...failing: string[]) {
	return fakeLambdas({
		Work: (payload) => {
			const first = ((payload.Items as JsonObject[])[0] as JsonObject).accountId as string;
			if (failing.includes(first)) throw namedError("InvoiceError", `cannot invoice ${first}`);
			return { invoiced: (payload.Items as unknown[]).length };
		},
	});
}

describe("adaptForLocalEngine: Distributed Map with ItemReader and ItemBatcher", () => {
	it("reads the manifest and hands each child execution AWS's batch shape { Items, BatchInput }", async () => {
		const reads: string[] = [];
		const lambdas = fakeLambdas();
		const { outcome } = await run(distributedMachine(), manifestInput, {
			invoke: lambdas.invoke,
			readJson: async (bucket, key) => {
				reads.push(`${bucket}/${key}`);
				return accounts(5);
			},
		});
		expect(outcome.status).toBe("SUCCEEDED");
		expect(reads).toEqual(["billing/manifests/2026-10.json"]);
		const batches = lambdas.calls.filter((c) => c.fn === "Work").map((c) => c.payload);
		batches.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
		expect(batches).toEqual([
			{ Items: [{ accountId: "acc-0" }, { accountId: "acc-1" }], BatchInput: { tag: "2026-10" } },
			{ Items: [{ accountId: "acc-2" }, { accountId: "acc-3" }], BatchInput: { tag: "2026-10" } },
			{ Items: [{ accountId: "acc-4" }], BatchInput: { tag: "2026-10" } },
		]);
	});

	it("gives the next state exactly the Map's input with ResultPath null: no temporary field leaks", async () => {
		const lambdas = fakeLambdas();
		await run(distributedMachine(), manifestInput, { invoke: lambdas.invoke, readJson: async () => accounts(5) });
		const after = lambdas.calls.find((c) => c.fn === "After");
		expect(after?.payload).toEqual(manifestInput);
	});

	it("applies ItemSelector to every item before batching, with $$.Map.Item.Index and Value", async () => {
		const lambdas = fakeLambdas();
		const definition = distributedMachine({
			ItemSelector: { "id.$": "$$.Map.Item.Value.accountId", "position.$": "$$.Map.Item.Index", "tag.$": "$.tag" },
			ItemBatcher: { MaxItemsPerBatch: 3 },
		});
		await run(definition, manifestInput, { invoke: lambdas.invoke, readJson: async () => accounts(4) });
		const batches = lambdas.calls.filter((c) => c.fn === "Work").map((c) => c.payload);
		batches.sort((a, b) => (a.Items as unknown[]).length - (b.Items as unknown[]).length);
		expect(batches).toEqual([
			{ Items: [{ id: "acc-3", position: 3, tag: "2026-10" }] },
			{
				Items: [
					{ id: "acc-0", position: 0, tag: "2026-10" },
					{ id: "acc-1", position: 1, tag: "2026-10" },
					{ id: "acc-2", position: 2, tag: "2026-10" },
				],
			},
		]);
	});

	it("limits batches by MaxItemsPerBatch and MaxInputBytesPerBatch", () => {
		const items = accounts(7);
		expect(batchItems(items, { maxItemsPerBatch: 3 }).map((b) => (b.Items as unknown[]).length)).toEqual([3, 3, 1]);
		const oneItemBytes = JSON.stringify({ Items: [items[0]] }).length;
		const byBytes = batchItems(items, { maxInputBytesPerBatch: oneItemBytes + 1 + JSON.stringify(items[1]).length });
		expect(byBytes.map((b) => (b.Items as unknown[]).length)).toEqual([2, 2, 2, 1]);
		expect(batchItems(items, { maxItemsPerBatch: 5, batchInput: { a: 1 } })[1]).toEqual({ Items: items.slice(5), BatchInput: { a: 1 } });
	});

	it("fails the Map with States.ItemReaderFailed when the object cannot be read, caught by the Map's Catch", async () => {
		const lambdas = fakeLambdas();
		const { outcome } = await run(distributedMachine(), manifestInput, {
			invoke: lambdas.invoke,
			readJson: async () => {
				throw namedError("NoSuchKey", "The specified key does not exist.");
			},
		});
		expect(outcome.status).toBe("SUCCEEDED");
		const failure = lambdas.calls.find((c) => c.fn === "Failed")?.payload.failure as JsonObject | undefined;
		expect(failure?.Error).toBe("States.ItemReaderFailed");
		expect(failure?.Cause).toContain("NoSuchKey");
	});
});

describe("adaptForLocalEngine: tolerated failures", () => {
	it("succeeds when the failed items stay within ToleratedFailurePercentage, and the next state sees the Map's input", async () => {
		const lambdas = workFailingFor("acc-0");
		const { outcome, history } = await run(distributedMachine(), manifestInput, {
			invoke: lambdas.invoke,
			readJson: async () => accounts(8),
		});
		expect(outcome.status).toBe("SUCCEEDED");
		expect(lambdas.calls.filter((c) => c.fn === "Work")).toHaveLength(4);
		expect(lambdas.calls.find((c) => c.fn === "After")?.payload).toEqual(manifestInput);
		expect(lambdas.calls.some((c) => c.fn === "Failed")).toBe(false);
		const failedIteration = history.find((e) => e.type === "LambdaFunctionFailed");
		expect(failedIteration?.lambdaFunctionFailedEventDetails).toMatchObject({ error: "InvoiceError" });
	});

	it("raises States.ExceedToleratedFailureThreshold over the threshold, and the Map's own Catch handles it", async () => {
		const lambdas = workFailingFor("acc-0", "acc-2");
		const { outcome, history } = await run(distributedMachine(), manifestInput, {
			invoke: lambdas.invoke,
			readJson: async () => accounts(8),
		});
		expect(outcome.status).toBe("SUCCEEDED");
		expect(lambdas.calls.some((c) => c.fn === "After")).toBe(false);
		const failed = lambdas.calls.find((c) => c.fn === "Failed")?.payload as JsonObject;
		expect(failed).toEqual({
			...manifestInput,
			failure: { Error: "States.ExceedToleratedFailureThreshold", Cause: expect.stringContaining("4 of 8 items failed") },
		});
		const raised = history.find((e) => e.type === "TaskFailed");
		expect(raised?.taskFailedEventDetails).toMatchObject({ error: "States.ExceedToleratedFailureThreshold" });
		expect(
			history.filter((e) => e.type === "TaskStateEntered").map((e) => (e.stateEnteredEventDetails as { name: string }).name),
		).toContain("Invoice [local: check failures]");
	});

	it("fails the execution with States.ExceedToleratedFailureThreshold when the Map has no Catch", async () => {
		const lambdas = workFailingFor("acc-0", "acc-2");
		const { Catch: _catch, ...map } = (distributedMachine().States as JsonObject).Invoice as JsonObject;
		const definition = { StartAt: "Invoice", States: { Invoice: map, After: { Type: "Succeed" } } };
		const { outcome, history } = await run(definition, manifestInput, { invoke: lambdas.invoke, readJson: async () => accounts(8) });
		expect(outcome.status).toBe("FAILED");
		expect(outcome.error).toBe("States.ExceedToleratedFailureThreshold");
		expect(history.at(-1)?.type).toBe("ExecutionFailed");
	});

	it("applies ToleratedFailureCount to items, and a zero tolerance when neither threshold is set", async () => {
		const withCount = distributedMachine({ ToleratedFailurePercentage: undefined as never, ToleratedFailureCount: 1 });
		delete ((withCount.States as JsonObject).Invoice as JsonObject).ToleratedFailurePercentage;
		const overCount = await run(withCount, manifestInput, { invoke: workFailingFor("acc-0").invoke, readJson: async () => accounts(8) });
		expect(overCount.outcome.output).toContain("States.ExceedToleratedFailureThreshold");

		const generous = distributedMachine({ ToleratedFailureCount: 2 });
		delete ((generous.States as JsonObject).Invoice as JsonObject).ToleratedFailurePercentage;
		const lambdas = workFailingFor("acc-0");
		await run(generous, manifestInput, { invoke: lambdas.invoke, readJson: async () => accounts(8) });
		expect(lambdas.calls.some((c) => c.fn === "After")).toBe(true);

		const strict = distributedMachine();
		delete ((strict.States as JsonObject).Invoice as JsonObject).ToleratedFailurePercentage;
		const strictLambdas = workFailingFor("acc-6");
		await run(strict, manifestInput, { invoke: strictLambdas.invoke, readJson: async () => accounts(8) });
		expect(strictLambdas.calls.some((c) => c.fn === "Failed")).toBe(true);
	});

	it("restores ResultSelector, ResultPath and OutputPath on the Map's result", async () => {
		const lambdas = workFailingFor("acc-2");
		const definition = distributedMachine({
			ResultSelector: { "batches.$": "States.ArrayLength($)", "all.$": "$" },
			ResultPath: "$.invoicing",
			OutputPath: "$.invoicing",
			ToleratedFailurePercentage: 50,
		});
		await run(definition, manifestInput, { invoke: lambdas.invoke, readJson: async () => accounts(5) });
		expect(lambdas.calls.find((c) => c.fn === "After")?.payload).toEqual({
			batches: 3,
			all: [{ invoiced: 2 }, { Error: "InvoiceError", Cause: expect.stringContaining("cannot invoice acc-2") }, { invoiced: 1 }],
		});
	});

	it("writes the results to S3 as AWS's ResultWriter does and yields { MapRunArn, ResultWriterDetails }", async () => {
		const lambdas = workFailingFor("acc-2");
		const objects = new Map<string, unknown>();
		const definition = distributedMachine({
			ResultWriter: {
				Resource: "arn:aws:states:::s3:putObject",
				Parameters: { "Bucket.$": "$.manifest.bucket", "Prefix.$": "States.Format('runs/{}/invoices', $.tag)" },
			},
			ResultSelector: { "results.$": "$.ResultWriterDetails" },
			ResultPath: "$.run",
			ToleratedFailurePercentage: 50,
		});
		await run(definition, manifestInput, {
			invoke: lambdas.invoke,
			readJson: async () => accounts(5),
			writeJson: async (bucket, key, body) => {
				objects.set(`${bucket}/${key}`, body);
			},
		});
		const after = lambdas.calls.find((c) => c.fn === "After")?.payload as { run: { results: { Bucket: string; Key: string } } };
		expect(after.run.results.Bucket).toBe("billing");
		const folder = /^runs\/2026-10\/invoices\/([0-9a-f-]{36})\/manifest\.json$/.exec(after.run.results.Key);
		expect(folder).not.toBeNull();
		const base = `billing/runs/2026-10/invoices/${folder?.[1]}`;
		expect([...objects.keys()].sort()).toEqual([`${base}/FAILED_0.json`, `${base}/SUCCEEDED_0.json`, `${base}/manifest.json`]);
		expect(objects.get(`${base}/manifest.json`)).toMatchObject({
			DestinationBucket: "billing",
			MapRunArn: expect.stringContaining(":mapRun:"),
			ResultFiles: {
				SUCCEEDED: [{ Key: `runs/2026-10/invoices/${folder?.[1]}/SUCCEEDED_0.json` }],
				FAILED: [{ Key: `runs/2026-10/invoices/${folder?.[1]}/FAILED_0.json` }],
				PENDING: [],
			},
		});
		const succeeded = objects.get(`${base}/SUCCEEDED_0.json`) as JsonObject[];
		expect(succeeded.map((c) => [c.Status, JSON.parse(c.Output as string), JSON.parse(c.Input as string).Items.length])).toEqual([
			["SUCCEEDED", { invoiced: 2 }, 2],
			["SUCCEEDED", { invoiced: 1 }, 1],
		]);
		const failed = objects.get(`${base}/FAILED_0.json`) as JsonObject[];
		expect(failed).toEqual([
			expect.objectContaining({
				Status: "FAILED",
				Error: "InvoiceError",
				Cause: expect.stringContaining("cannot invoice acc-2"),
				Input: JSON.stringify({ Items: [{ accountId: "acc-2" }, { accountId: "acc-3" }], BatchInput: { tag: "2026-10" } }),
			}),
		]);
	});

	it("rewrites a Distributed Map over ItemsPath (no ItemReader) the same way", async () => {
		const lambdas = fakeLambdas({
			Work: (p) => {
				if (p.accountId === "acc-1") throw namedError("InvoiceError", "no");
				return { ok: p.accountId };
			},
		});
		const definition = distributedMachine({ ItemsPath: "$.accounts", ToleratedFailurePercentage: 50, ResultPath: "$.results" });
		const map = (definition.States as JsonObject).Invoice as JsonObject;
		delete map.ItemReader;
		delete map.ItemBatcher;
		const { outcome } = await run(definition, { accounts: accounts(3) }, { invoke: lambdas.invoke });
		expect(outcome.status).toBe("SUCCEEDED");
		const after = lambdas.calls.find((c) => c.fn === "After")?.payload as JsonObject;
		expect(after.results).toEqual([{ ok: "acc-0" }, { Error: "InvoiceError", Cause: expect.any(String) }, { ok: "acc-2" }]);
		expect(after.accounts).toEqual(accounts(3));
	});
});

describe("the engine: errors, Retry and Catch", () => {
	const retrying = (catchers?: JsonValue[]): JsonObject => ({
		StartAt: "Charge",
		States: {
			Charge: {
				Type: "Task",
				Resource: fn("Charge"),
				Retry: [{ ErrorEquals: ["TransientError"], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: "FULL" }],
				...(catchers ? { Catch: catchers } : {}),
				ResultPath: "$.charged",
				Next: "Done",
			},
			Done: { Type: "Succeed" },
			...(catchers ? { Handle: { Type: "Pass", End: true } } : {}),
		},
	});

	it("keeps the error's name so Retry ErrorEquals matches, and waits at most ~100 ms between attempts", async () => {
		let attempts = 0;
		const lambdas = fakeLambdas({
			Charge: () => {
				attempts++;
				if (attempts < 3) throw namedError("TransientError", "throttled");
				return { ok: true };
			},
		});
		const started = Date.now();
		const { outcome, history } = await run(retrying(), { amount: 1 }, { invoke: lambdas.invoke });
		expect(outcome.status).toBe("SUCCEEDED");
		expect(JSON.parse(outcome.output ?? "null")).toEqual({ amount: 1, charged: { ok: true } });
		expect(attempts).toBe(3);
		expect(Date.now() - started).toBeLessThan(1500);
		expect(history.filter((e) => e.type === "LambdaFunctionScheduled")).toHaveLength(3);
		expect(
			history.filter((e) => e.type === "LambdaFunctionFailed").map((e) => (e.lambdaFunctionFailedEventDetails as { error: string }).error),
		).toEqual(["TransientError", "TransientError"]);
	});

	it("catches by error name with the Lambda runtime's JSON cause, and States.TaskFailed matches function errors", async () => {
		const lambdas = fakeLambdas({
			Charge: () => {
				throw namedError("CardDeclined", "card declined");
			},
		});
		const byName = await run(
			retrying([{ ErrorEquals: ["CardDeclined"], ResultPath: "$.failure", Next: "Handle" }]),
			{ amount: 1 },
			{ invoke: lambdas.invoke },
		);
		const output = JSON.parse(byName.outcome.output ?? "null") as { failure: { Error: string; Cause: string } };
		expect(output.failure.Error).toBe("CardDeclined");
		expect(JSON.parse(output.failure.Cause)).toMatchObject({ errorType: "CardDeclined", errorMessage: "card declined" });

		const byTaskFailed = await run(
			retrying([{ ErrorEquals: ["States.TaskFailed"], Next: "Handle" }]),
			{ amount: 1 },
			{ invoke: lambdas.invoke },
		);
		expect(JSON.parse(byTaskFailed.outcome.output ?? "null")).toMatchObject({ Error: "CardDeclined" });

		const uncaught = await run(retrying([{ ErrorEquals: ["SomethingElse"], Next: "Handle" }]), { amount: 1 }, { invoke: lambdas.invoke });
		expect(uncaught.outcome).toMatchObject({ status: "FAILED", error: "CardDeclined" });
	});

	it("runs the optimized arn:aws:states:::lambda:invoke integration with AWS's result shape", async () => {
		const lambdas = fakeLambdas({ Quote: (p) => ({ price: (p.qty as number) * 2 }) });
		const definition = {
			StartAt: "Quote",
			States: {
				Quote: {
					Type: "Task",
					Resource: "arn:aws:states:::lambda:invoke",
					Parameters: { FunctionName: fn("Quote"), "Payload.$": "$" },
					ResultSelector: { "price.$": "$.Payload.price", "status.$": "$.StatusCode" },
					ResultPath: "$.quote",
					End: true,
				},
			},
		};
		const { outcome } = await run(definition, { qty: 3 }, { invoke: lambdas.invoke });
		expect(JSON.parse(outcome.output ?? "null")).toEqual({ qty: 3, quote: { price: 6, status: 200 } });
		expect(lambdas.calls).toEqual([{ fn: "Quote", payload: { qty: 3 } }]);
	});

	it('treats ResultPath "$" as AWS does (the result replaces the input), despite the engine\'s bug', async () => {
		const definition = { StartAt: "T", States: { T: { Type: "Task", Resource: fn("T"), ResultPath: "$", End: true } } };
		const { outcome } = await run(definition, { a: 1 }, { invoke: fakeLambdas({ T: () => ({ b: 2 }) }).invoke });
		expect(JSON.parse(outcome.output ?? "null")).toEqual({ b: 2 });
	});

	it("evaluates negative type tests (IsPresent: false, IsNull: false) as AWS does", async () => {
		const definition = {
			StartAt: "Route",
			States: {
				Route: {
					Type: "Choice",
					Choices: [
						{ Variable: "$.discount", IsPresent: false, Next: "NoDiscount" },
						{ And: [{ Variable: "$.discount", IsNull: false }], Next: "Discount" },
					],
					Default: "Other",
				},
				NoDiscount: { Type: "Pass", Result: "none", End: true },
				Discount: { Type: "Pass", Result: "some", End: true },
				Other: { Type: "Pass", Result: "other", End: true },
			},
		};
		expect((await run(definition, {})).outcome.output).toBe('"none"');
		expect((await run(definition, { discount: 5 })).outcome.output).toBe('"some"');
		expect((await run(definition, { discount: null })).outcome.output).toBe('"other"');
	});

	it("stops an execution without calling functions for Map iterations that had not started", async () => {
		let release: () => void = () => undefined;
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		const lambdas = fakeLambdas({
			Work: async () => {
				await gate;
				return {};
			},
		});
		const machine = compileStateMachine(
			adaptForLocalEngine(distributedMachine({ MaxConcurrency: 1 }), { readJson: async () => accounts(10) }),
		);
		const execution = startLocalExecution({ machine, input: manifestInput, identity, invoke: lambdas.invoke });
		await expect.poll(() => lambdas.calls.length).toBe(1);
		execution.stop("Operator", "enough");
		release();
		const outcome = await execution.done;
		expect(outcome).toMatchObject({ status: "ABORTED", error: "Operator", cause: "enough" });
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(lambdas.calls.map((c) => c.fn)).toEqual(["Work"]);
		expect(execution.history.at(-1)).toMatchObject({
			type: "ExecutionAborted",
			executionAbortedEventDetails: { error: "Operator", cause: "enough" },
		});
	});

	it("records AWS-shaped history events with consecutive ids, each chained to the event that led to it", async () => {
		const { history } = await run(distributedMachine(), manifestInput, { readJson: async () => accounts(3) });
		expect(history.map((e) => e.id)).toEqual(history.map((_, i) => i + 1));
		expect(history.every((e) => e.previousEventId < e.id)).toBe(true);
		// Each Map iteration's events chain back through MapIterationStarted to the Map's entry, not to
		// the events of another iteration recorded in between.
		const byId = new Map(history.map((e) => [e.id, e]));
		const mapEntered = history.find((e) => e.type === "MapStateEntered");
		for (const succeeded of history.filter((e) => e.type === "LambdaFunctionSucceeded")) {
			const chain: string[] = [];
			for (let e = byId.get(succeeded.previousEventId); e && chain.length < 50; e = byId.get(e.previousEventId)) chain.push(e.type);
			expect(chain.slice(0, 3)).toEqual(["LambdaFunctionStarted", "LambdaFunctionScheduled", "TaskStateEntered"]);
		}
		for (const started of history.filter((e) => e.type === "MapIterationStarted")) {
			expect(started.previousEventId).toBe(mapEntered?.id);
		}
		expect(history[0]).toMatchObject({ type: "ExecutionStarted", executionStartedEventDetails: { input: JSON.stringify(manifestInput) } });
		const types = history.map((e) => e.type);
		expect(types).toContain("MapStateEntered");
		expect(types).toContain("MapIterationStarted");
		expect(types.at(-1)).toBe("ExecutionSucceeded");
		// A Map's own exit comes after all of its iterations.
		expect(types.lastIndexOf("MapIterationSucceeded")).toBeLessThan(types.indexOf("MapStateExited"));
	});
});

describe("adaptForLocalEngine: refusals", () => {
	const task = (extra: JsonObject): JsonObject => ({
		StartAt: "Charge Card",
		States: { "Charge Card": { Type: "Task", Resource: fn("Charge"), End: true, ...extra } },
	});
	const withMap = (extra: JsonObject) => {
		const definition = distributedMachine();
		Object.assign((definition.States as JsonObject).Invoice as JsonObject, extra);
		return definition;
	};

	it.each([
		["Assign", task({ Assign: { total: 1 } }), "Charge Card", "Assign"],
		["state QueryLanguage JSONata", task({ QueryLanguage: "JSONata" }), "Charge Card", 'QueryLanguage "JSONata"'],
		["Arguments", task({ Arguments: { a: 1 } }), "Charge Card", "Arguments"],
		["Output", task({ Output: { a: 1 } }), "Charge Card", "Output"],
		["HeartbeatSeconds", task({ HeartbeatSeconds: 30 }), "Charge Card", "HeartbeatSeconds"],
		["Credentials", task({ Credentials: { RoleArn: "arn:aws:iam::000000000000:role/x" } }), "Charge Card", "Credentials"],
		["task token", task({ Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken" }), "Charge Card", "Resource"],
		["other service", task({ Resource: "arn:aws:states:::dynamodb:putItem" }), "Charge Card", "Resource"],
		["Catch Output", task({ Catch: [{ ErrorEquals: ["States.ALL"], Next: "Charge Card", Output: {} }] }), "Charge Card", "Catch[0].Output"],
		[
			"ResultWriter WriterConfig",
			withMap({
				ResultWriter: {
					Resource: "arn:aws:states:::s3:putObject",
					Parameters: { Bucket: "b", Prefix: "p" },
					WriterConfig: { OutputType: "JSONL" },
				},
			}),
			"Invoice",
			"ResultWriter.WriterConfig",
		],
		["Label", withMap({ Label: "invoices" }), "Invoice", "Label"],
		[
			"CSV ItemReader",
			withMap({
				ItemReader: {
					Resource: "arn:aws:states:::s3:getObject",
					ReaderConfig: { InputType: "CSV" },
					Parameters: { Bucket: "b", Key: "k" },
				},
			}),
			"Invoice",
			"ItemReader.ReaderConfig.InputType",
		],
		[
			"listObjectsV2 ItemReader",
			withMap({ ItemReader: { Resource: "arn:aws:states:::s3:listObjectsV2", Parameters: { Bucket: "b" } } }),
			"Invoice",
			"ItemReader.Resource",
		],
		["Retry States.ALL on a Distributed Map", withMap({ Retry: [{ ErrorEquals: ["States.ALL"] }] }), "Invoice", "Retry"],
		[
			"Choice Condition",
			{
				StartAt: "Route",
				States: { Route: { Type: "Choice", Choices: [{ Condition: "{% true %}", Next: "Done" }] }, Done: { Type: "Succeed" } },
			},
			"Route",
			"Choices[0].Condition",
		],
		["Pass with Result false", { StartAt: "Flag", States: { Flag: { Type: "Pass", Result: false, End: true } } }, "Flag", "Result"],
		["unknown field", task({ Foo: 1 }), "Charge Card", "Foo"],
	])("refuses %s, naming the state and the field", (_label, definition, state, field) => {
		const attempt = () => adaptForLocalEngine(definition, { readJson: async () => [] });
		expect(attempt).toThrow(UnsupportedDefinitionError);
		expect(attempt).toThrow(`state "${state}": field ${field}`);
		expect(attempt).toThrow("is not supported by the embedded Step Functions engine");
	});

	it("refuses top-level JSONata", () => {
		expect(() => adaptForLocalEngine({ ...task({}), QueryLanguage: "JSONata" })).toThrow('state machine: field QueryLanguage "JSONata"');
	});

	it("refuses a Distributed Map nested in another Map, and duplicate state names", () => {
		const { Next: _next, Catch: _catch, ...inner } = (distributedMachine().States as JsonObject).Invoice as JsonObject;
		const nested = {
			StartAt: "Outer",
			States: { Outer: { Type: "Map", ItemProcessor: { StartAt: "Inner", States: { Inner: { ...inner, End: true } } }, End: true } },
		};
		expect(() => adaptForLocalEngine(nested, { readJson: async () => [] })).toThrow('state "Inner"');
		const duplicate = {
			StartAt: "P",
			States: {
				P: { Type: "Parallel", Branches: [{ StartAt: "Step", States: { Step: { Type: "Succeed" } } }], Next: "Step" },
				Step: { Type: "Succeed" },
			},
		};
		expect(() => adaptForLocalEngine(duplicate)).toThrow('state "Step": duplicate state name');
	});

	it("needs readJson for an ItemReader and writeJson for a ResultWriter", () => {
		expect(() => adaptForLocalEngine(distributedMachine())).toThrow("readJson");
		const writing = distributedMachine({ ResultWriter: { Resource: "arn:aws:states:::s3:putObject", Parameters: { Bucket: "b" } } });
		expect(() => adaptForLocalEngine(writing, { readJson: async () => [] })).toThrow("writeJson");
	});
});

describe("substitutions", () => {
	it("replaces placeholders everywhere, keys included, and keeps the escaped form literal", () => {
		const out = substituteDefinition(
			{ Resource: `\${FnArn}`, Parameters: { "${Key}.$": "$.a", note: `\${!Literal} and \${FnArn}` } },
			{ FnArn: fn("X"), Key: "k" },
		);
		expect(out).toEqual({ Resource: fn("X"), Parameters: { "k.$": "$.a", note: `\${Literal} and ${fn("X")}` } });
	});

	it("names every missing substitution", () => {
		const definition = {
			StartAt: "A",
			States: {
				A: { Type: "Task", Resource: `\${AFunctionArn}`, Next: "B" },
				B: { Type: "Task", Resource: `\${BFunctionArn}`, End: true },
			},
		};
		const attempt = () => adaptForLocalEngine(definition, { substitutions: { Unused: "x" } });
		expect(attempt).toThrow(MissingSubstitutionError);
		expect(attempt).toThrow(`\${AFunctionArn}, \${BFunctionArn}`);
	});

	it("adapts the project's billing-cycle definition, keeping every original state name", () => {
		const asl = JSON.parse(readFileSync(new URL("../../statemachines/billing-cycle.asl.json", import.meta.url), "utf8")) as JsonObject;
		const substitutions: Record<string, string> = {};
		for (const placeholder of JSON.stringify(asl).matchAll(/\$\{([^}]+)\}/g))
			substitutions[placeholder[1] as string] = fn(placeholder[1] as string);
		const adapted = adaptForLocalEngine(asl, { substitutions, readJson: async () => [], writeJson: async () => undefined });
		expect(() => compileStateMachine(adapted)).not.toThrow();
		expect(Object.keys(adapted.taskResources)).toEqual(
			expect.arrayContaining(["Resolve Billing Period", "Generate Invoices", "Record Run Failure"]),
		);
		expect(Object.keys(adapted.localStates)).toEqual(
			expect.arrayContaining(["Invoice Accounts [local: read items]", "Invoice Accounts [local: check failures]"]),
		);
		expect(JSON.stringify(adapted.substituted)).not.toContain("${");
		expect(JSON.stringify(adapted.substituted)).toContain('"ItemReader"');
	});
});
