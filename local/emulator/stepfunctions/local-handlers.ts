/** Per-execution local handlers: run the states the adapter inserts for each Distributed Map. */

import { randomUUID } from "node:crypto";
import { batchItems, selectItems } from "./batching.js";
import { isJsonObject, isPositiveInteger, type JsonObject, type JsonValue, toJsonValue } from "./json.js";
import { EXCEED_THRESHOLD, ITEM_READER_FAILED, namedError, runtimeError } from "./local-state-errors.js";
import {
	type DistributedMapPlan,
	type ExecutionScope,
	LOCAL_CONTEXT_KEY,
	type LocalTaskHandler,
	type ReadJson,
	type WriteJson,
} from "./local-states.js";
import { currentMapRunObserver } from "./map-runs.js";

interface IterationOutcome {
	readonly ok: boolean;
	readonly value: JsonValue;
	readonly items: number;
	/** The child execution's input (its batch), for a ResultWriter's results. */
	readonly input: JsonValue;
	readonly startDate: string;
	readonly stopDate: string;
}

interface MapRun {
	readonly outcomes: (IterationOutcome | undefined)[];
	readonly percentage: number | undefined;
	readonly count: number | undefined;
	readonly mapRunArn: string;
	readonly startDate: string;
	/** Where the ResultWriter puts the results: `<Prefix>/<map run id>/`. */
	readonly writer?: { readonly bucket: string; readonly prefix: string };
}

function optionalNumber(value: JsonValue | undefined, what: string, check: (n: number) => boolean): number | undefined {
	if (value === undefined) return undefined;
	if (typeof value !== "number" || !check(value)) throw runtimeError(`${what} evaluated to ${JSON.stringify(value)}`);
	return value;
}

export function createScope(
	plans: readonly DistributedMapPlan[],
	readJson: ReadJson | undefined,
	writeJson: WriteJson | undefined,
): ExecutionScope {
	const exposed: Record<string, { items: JsonValue[] }> = {};
	const runs = new Map<string, MapRun>();
	const taskHandlers: Record<string, LocalTaskHandler> = {};
	// Map runs for ListMapRuns/DescribeMapRun (map-runs.ts): the server sets the observer while it starts the execution.
	const mapRuns = currentMapRunObserver();

	for (const plan of plans) {
		const countItems = (value: JsonValue | undefined): number =>
			plan.batcher && isJsonObject(value) && Array.isArray(value.Items) ? value.Items.length : 1;

		taskHandlers[plan.prepare] = async (input) => {
			const params = isJsonObject(input) ? input : {};
			let items: JsonValue[];
			if (plan.hasReader) {
				const reader = isJsonObject(params.reader) ? params.reader : {};
				const { Bucket: bucket, Key: key } = reader;
				if (typeof bucket !== "string" || typeof key !== "string") {
					throw namedError(
						ITEM_READER_FAILED,
						`ItemReader Bucket and Key must be strings (got ${JSON.stringify({ Bucket: bucket, Key: key })})`,
					);
				}
				if (!readJson) throw namedError(ITEM_READER_FAILED, "the embedded engine was started without readJson");
				let data: unknown;
				try {
					data = await readJson(bucket, key);
				} catch (err) {
					throw namedError(
						ITEM_READER_FAILED,
						`Attempt to read s3://${bucket}/${key} failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
					);
				}
				if (!Array.isArray(data)) throw namedError(ITEM_READER_FAILED, `s3://${bucket}/${key} does not hold a JSON array`);
				items = toJsonValue(data) as JsonValue[];
				const maxItems =
					plan.readerMaxItems ?? optionalNumber(params.readerMaxItems, "ItemReader.ReaderConfig.MaxItemsPath", isPositiveInteger);
				if (maxItems !== undefined) items = items.slice(0, maxItems);
			} else {
				if (!Array.isArray(params.items)) throw runtimeError(`ItemsPath of Map "${plan.mapName}" must point to an array`);
				items = params.items;
			}
			if (plan.selector !== undefined) items = await selectItems(plan.selector, params.effective ?? null, items);
			if (plan.batcher) {
				const maxItemsPerBatch =
					plan.batcher.maxItemsPerBatch ?? optionalNumber(params.maxItemsPerBatch, "ItemBatcher.MaxItemsPerBatchPath", isPositiveInteger);
				const maxInputBytesPerBatch =
					plan.batcher.maxInputBytesPerBatch ??
					optionalNumber(params.maxInputBytesPerBatch, "ItemBatcher.MaxInputBytesPerBatchPath", isPositiveInteger);
				items = batchItems(items, {
					...(maxItemsPerBatch !== undefined ? { maxItemsPerBatch } : {}),
					...(maxInputBytesPerBatch !== undefined ? { maxInputBytesPerBatch } : {}),
					...(params.batchInput !== undefined ? { batchInput: params.batchInput } : {}),
				});
			}
			const percentage =
				plan.toleratedFailurePercentage ??
				optionalNumber(params.toleratedFailurePercentage, "ToleratedFailurePercentagePath", (n) => n >= 0 && n <= 100);
			const count =
				plan.toleratedFailureCount ??
				optionalNumber(params.toleratedFailureCount, "ToleratedFailureCountPath", (n) => Number.isInteger(n) && n >= 0);
			let writer: MapRun["writer"];
			if (plan.hasWriter) {
				const { Bucket: bucket, Prefix: prefix = "" } = isJsonObject(params.writer) ? params.writer : {};
				if (typeof bucket !== "string" || typeof prefix !== "string") {
					throw runtimeError(`ResultWriter Bucket and Prefix must be strings (got ${JSON.stringify({ Bucket: bucket, Prefix: prefix })})`);
				}
				writer = { bucket, prefix };
			}
			const maxConcurrency = optionalNumber(params.maxConcurrency, "MaxConcurrencyPath", (n) => Number.isInteger(n) && n >= 0);
			const mapRunArn =
				mapRuns?.started(plan.mapName, items.map(countItems), maxConcurrency) ??
				`arn:aws:states:::mapRun:local/${plan.mapName}:${randomUUID()}`;
			exposed[plan.key] = { items };
			runs.set(plan.key, {
				outcomes: new Array<IterationOutcome | undefined>(items.length).fill(undefined),
				percentage,
				count,
				mapRunArn,
				startDate: new Date().toISOString(),
				...(writer ? { writer } : {}),
			});
			return null;
		};

		const record = (ok: boolean) => async (input: JsonValue) => {
			const run = runs.get(plan.key);
			if (!run || !isJsonObject(input) || typeof input.index !== "number")
				throw runtimeError(`no running Map "${plan.mapName}" to record an item in`);
			const value = ok ? (Array.isArray(input.output) ? (input.output[0] ?? null) : null) : (input.error ?? null);
			const stopDate = new Date().toISOString();
			run.outcomes[input.index] = {
				ok,
				value,
				items: countItems(input.value),
				input: input.value ?? null,
				startDate: typeof input.startDate === "string" ? input.startDate : stopDate,
				stopDate,
			};
			mapRuns?.childFinished(plan.mapName, input.index, ok);
			return null;
		};
		taskHandlers[plan.record] = record(true);
		taskHandlers[plan.recordFailed] = record(false);

		taskHandlers[plan.check] = async () => {
			const run = runs.get(plan.key);
			runs.delete(plan.key);
			delete exposed[plan.key];
			if (!run) throw runtimeError(`no running Map "${plan.mapName}" to check`);
			let total = 0;
			let failed = 0;
			const results: JsonValue[] = [];
			const outcomes: IterationOutcome[] = [];
			for (let i = 0; i < run.outcomes.length; i++) {
				const outcome = run.outcomes[i] ?? {
					ok: false,
					value: { Error: "States.Runtime", Cause: "the iteration left no result" },
					items: 1,
					input: null,
					startDate: run.startDate,
					stopDate: run.startDate,
				};
				outcomes.push(outcome);
				total += outcome.items;
				if (!outcome.ok) failed += outcome.items;
				results.push(outcome.value);
			}
			const limits: string[] = [];
			if (run.percentage !== undefined) limits.push(`${run.percentage}%`);
			if (run.count !== undefined) limits.push(`${run.count} items`);
			const exceeded =
				(run.percentage !== undefined && total > 0 && (failed * 100) / total > run.percentage) ||
				(run.count !== undefined && failed > run.count) ||
				(run.percentage === undefined && run.count === undefined && failed > 0);
			mapRuns?.closed(plan.mapName, !exceeded);
			// AWS writes the results whether or not the threshold was exceeded.
			const written = run.writer ? await writeResults(writeJson, run, outcomes) : undefined;
			if (exceeded) {
				throw namedError(
					EXCEED_THRESHOLD,
					`The specified tolerated failure threshold was exceeded: ${failed} of ${total} items failed (tolerated: ${limits.join(" or ") || "none"})`,
				);
			}
			return written ?? results;
		};
	}
	return { taskHandlers, context: { [LOCAL_CONTEXT_KEY]: exposed } };
}

/**
 * Writes a map run's results as AWS's ResultWriter does (JSON output, no transformation):
 * `<Prefix>/<map run id>/SUCCEEDED_0.json` and `FAILED_0.json`, each an array of child
 * execution records with Input and Output as JSON text, and `manifest.json` listing them.
 * Returns what the Map state then yields, `{ MapRunArn, ResultWriterDetails }`.
 */
async function writeResults(writeJson: WriteJson | undefined, run: MapRun, outcomes: readonly IterationOutcome[]): Promise<JsonValue> {
	const writer = run.writer;
	if (!writer || !writeJson) throw runtimeError("the embedded engine was started without writeJson");
	const runId = run.mapRunArn.split(":").at(-1) ?? randomUUID();
	const folder = `${writer.prefix.replace(/\/+$/, "")}${writer.prefix ? "/" : ""}${runId}`;
	const stateMachineArn = run.mapRunArn.replace(":mapRun:", ":stateMachine:").replace(/:[^:]+$/, "");
	const record = (o: IterationOutcome, i: number): JsonObject => {
		const common = {
			ExecutionArn: `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${runId}-${i}`,
			Input: JSON.stringify(o.input),
			InputDetails: { Included: true },
			Name: `${runId}-${i}`,
			StartDate: o.startDate,
			StateMachineArn: stateMachineArn,
			StopDate: o.stopDate,
		};
		if (o.ok) return { ...common, Output: JSON.stringify(o.value), OutputDetails: { Included: true }, Status: "SUCCEEDED" };
		const error = isJsonObject(o.value) ? o.value : {};
		return {
			...common,
			Error: typeof error.Error === "string" ? error.Error : "States.TaskFailed",
			Cause: typeof error.Cause === "string" ? error.Cause : "",
			Status: "FAILED",
		};
	};
	const files: Record<string, { Key: string; Size: number }[]> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
	for (const status of ["SUCCEEDED", "FAILED"] as const) {
		const records = outcomes.flatMap((o, i) => ((o.ok ? "SUCCEEDED" : "FAILED") === status ? [record(o, i)] : []));
		if (records.length === 0) continue;
		const key = `${folder}/${status}_0.json`;
		await writeJson(writer.bucket, key, records);
		files[status]?.push({ Key: key, Size: Buffer.byteLength(JSON.stringify(records)) });
	}
	const manifestKey = `${folder}/manifest.json`;
	await writeJson(writer.bucket, manifestKey, { DestinationBucket: writer.bucket, MapRunArn: run.mapRunArn, ResultFiles: files });
	return { MapRunArn: run.mapRunArn, ResultWriterDetails: { Bucket: writer.bucket, Key: manifestKey } };
}
