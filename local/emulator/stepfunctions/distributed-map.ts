import { asObject, invalid, unsupported } from "./definition-errors.js";
import { isJsonObject, isPositiveInteger, type JsonObject, type JsonValue } from "./json.js";
import { EXCEED_THRESHOLD } from "./local-state-errors.js";
import { type DistributedMapPlan, LOCAL_CONTEXT_KEY } from "./local-states.js";
import { setResultPath } from "./reference-paths.js";
import { DISTRIBUTED_MAP_FIELDS, FIELD_HINTS, type MachineKind } from "./supported-fields.js";

/** The names of the local states planned for a Distributed Map before the rewrite. */
export type PlannedNames = Omit<DistributedMapPlan, "hasReader" | "hasWriter" | "key" | "mapName">;

/** What rewriting a Distributed Map needs from the adapter that walks the whole definition (adapter.ts). */
export interface AdapterContext {
	readonly plannedNames: ReadonlyMap<string, PlannedNames>;
	readonly plans: DistributedMapPlan[];
	readonly localStates: Record<string, string>;
	readonly defaultTimeout: number;
	entry(name: JsonValue | undefined, state: string, field: string): string;
	adaptMachine(machine: JsonObject, kind: MachineKind, owner: string | undefined, insideMap: boolean): JsonObject;
	adaptRetry(state: string, retry: JsonValue): JsonValue[];
	adaptCatch(state: string, catchers: JsonValue): JsonObject[];
}

/** Resource of the Task states the adapter inserts; never invoked, their handlers are local. */
const LOCAL_RESOURCE_PREFIX = "arn:aws:states:::local:";

export function isDistributed(state: JsonObject): boolean {
	const processor = state.ItemProcessor ?? state.Iterator;
	const config = isJsonObject(processor) ? processor.ProcessorConfig : undefined;
	const mode = isJsonObject(config) ? config.Mode : undefined;
	return mode === "DISTRIBUTED" || [...DISTRIBUTED_MAP_FIELDS, "Label"].some((f) => f in state);
}

/** Retriers and catchers copied from a Map onto a local Task must not match as `States.TaskFailed` (a Map's errors never do). */
function withoutTaskFailed<T extends JsonObject>(rules: T[]): T[] {
	return rules
		.map((r) => ({ ...r, ErrorEquals: (r.ErrorEquals as string[]).filter((e) => e !== "States.TaskFailed") }))
		.filter((r) => r.ErrorEquals.length > 0);
}

/**
 * Rewrites a Distributed Map into `<Map> [local: read items]` → the Map itself, iterating
 * INLINE with each iteration wrapped → `<Map> [local: check failures]`, and records its plan.
 */
export function rewriteDistributedMap(adapter: AdapterContext, name: string, state: JsonObject, insideMap: boolean): JsonObject {
	const names = adapter.plannedNames.get(name);
	if (!names) throw invalid(name, "internal error: Distributed Map not planned");
	const processorField = "ItemProcessor" in state ? "ItemProcessor" : "Iterator";
	const processor = { ...asObject(state[processorField], name, processorField) };
	const config =
		processor.ProcessorConfig === undefined ? {} : asObject(processor.ProcessorConfig, name, `${processorField}.ProcessorConfig`);
	for (const key of Object.keys(config)) {
		if (key !== "Mode" && key !== "ExecutionType") throw unsupported(name, `${processorField}.ProcessorConfig.${key}`, FIELD_HINTS[key]);
	}
	if ("Label" in state) throw unsupported(name, "Label", FIELD_HINTS.Label);
	if (config.Mode !== "DISTRIBUTED") {
		const field = DISTRIBUTED_MAP_FIELDS.find((f) => f in state);
		throw invalid(name, `field ${field} requires ${processorField}.ProcessorConfig.Mode "DISTRIBUTED"`);
	}
	if (config.ExecutionType !== undefined && config.ExecutionType !== "STANDARD" && config.ExecutionType !== "EXPRESS") {
		throw invalid(name, `${processorField}.ProcessorConfig.ExecutionType must be STANDARD or EXPRESS`);
	}
	if (insideMap) {
		throw unsupported(
			name,
			`${processorField}.ProcessorConfig.Mode "DISTRIBUTED"`,
			"a Distributed Map inside another Map's ItemProcessor cannot be rewritten",
		);
	}
	delete processor.ProcessorConfig;

	const params: JsonObject = {};
	let readerMaxItems: number | undefined;
	const hasReader = "ItemReader" in state;
	if (hasReader) {
		const reader = asObject(state.ItemReader, name, "ItemReader");
		for (const key of Object.keys(reader)) {
			if (!["Resource", "ReaderConfig", "Parameters"].includes(key)) throw unsupported(name, `ItemReader.${key}`, FIELD_HINTS[key]);
		}
		if (reader.Resource !== "arn:aws:states:::s3:getObject") {
			throw unsupported(name, `ItemReader.Resource "${String(reader.Resource)}"`, "only arn:aws:states:::s3:getObject with InputType JSON");
		}
		const readerConfig = asObject(reader.ReaderConfig, name, "ItemReader.ReaderConfig");
		for (const key of Object.keys(readerConfig)) {
			if (!["InputType", "MaxItems", "MaxItemsPath"].includes(key)) throw unsupported(name, `ItemReader.ReaderConfig.${key}`);
		}
		if (readerConfig.InputType !== "JSON") {
			throw unsupported(name, `ItemReader.ReaderConfig.InputType "${String(readerConfig.InputType)}"`, "only JSON");
		}
		if (readerConfig.MaxItems !== undefined) {
			if (!isPositiveInteger(readerConfig.MaxItems)) throw invalid(name, "ItemReader.ReaderConfig.MaxItems must be a positive integer");
			readerMaxItems = readerConfig.MaxItems;
		}
		if (typeof readerConfig.MaxItemsPath === "string") params["readerMaxItems.$"] = readerConfig.MaxItemsPath;
		const readerParams = asObject(reader.Parameters, name, "ItemReader.Parameters");
		for (const key of Object.keys(readerParams)) {
			if (!["Bucket", "Bucket.$", "Key", "Key.$"].includes(key)) throw unsupported(name, `ItemReader.Parameters.${key}`);
		}
		if (!("Bucket" in readerParams || "Bucket.$" in readerParams) || !("Key" in readerParams || "Key.$" in readerParams)) {
			throw invalid(name, "ItemReader.Parameters must name a Bucket and a Key");
		}
		if ("ItemsPath" in state) throw unsupported(name, "ItemsPath", "ItemsPath together with ItemReader");
		params.reader = readerParams;
	} else {
		params["items.$"] = typeof state.ItemsPath === "string" ? state.ItemsPath : "$";
	}

	const hasWriter = "ResultWriter" in state;
	if (hasWriter) {
		const writer = asObject(state.ResultWriter, name, "ResultWriter");
		for (const key of Object.keys(writer)) {
			if (!["Resource", "Parameters"].includes(key)) throw unsupported(name, `ResultWriter.${key}`, FIELD_HINTS[key]);
		}
		if (writer.Resource !== "arn:aws:states:::s3:putObject") {
			throw unsupported(name, `ResultWriter.Resource "${String(writer.Resource)}"`, "only arn:aws:states:::s3:putObject");
		}
		const writerParams = asObject(writer.Parameters, name, "ResultWriter.Parameters");
		for (const key of Object.keys(writerParams)) {
			if (!["Bucket", "Bucket.$", "Prefix", "Prefix.$"].includes(key)) throw unsupported(name, `ResultWriter.Parameters.${key}`);
		}
		if (!("Bucket" in writerParams || "Bucket.$" in writerParams)) throw invalid(name, "ResultWriter.Parameters must name a Bucket");
		params.writer = writerParams;
	}

	if ("ItemSelector" in state && "Parameters" in state) throw invalid(name, "ItemSelector and Parameters are mutually exclusive");
	const selector = state.ItemSelector ?? state.Parameters;
	if (selector !== undefined) params["effective.$"] = "$";

	let batcher: DistributedMapPlan["batcher"];
	if ("ItemBatcher" in state) {
		const itemBatcher = asObject(state.ItemBatcher, name, "ItemBatcher");
		for (const key of Object.keys(itemBatcher)) {
			if (!["MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput"].includes(key)) {
				throw unsupported(name, `ItemBatcher.${key}`);
			}
		}
		for (const key of ["MaxItemsPerBatch", "MaxInputBytesPerBatch"]) {
			if (itemBatcher[key] !== undefined && !isPositiveInteger(itemBatcher[key]))
				throw invalid(name, `ItemBatcher.${key} must be a positive integer`);
		}
		batcher = {
			...(itemBatcher.MaxItemsPerBatch !== undefined ? { maxItemsPerBatch: itemBatcher.MaxItemsPerBatch as number } : {}),
			...(itemBatcher.MaxInputBytesPerBatch !== undefined ? { maxInputBytesPerBatch: itemBatcher.MaxInputBytesPerBatch as number } : {}),
		};
		if (typeof itemBatcher.MaxItemsPerBatchPath === "string") params["maxItemsPerBatch.$"] = itemBatcher.MaxItemsPerBatchPath;
		if (typeof itemBatcher.MaxInputBytesPerBatchPath === "string")
			params["maxInputBytesPerBatch.$"] = itemBatcher.MaxInputBytesPerBatchPath;
		if ("BatchInput" in itemBatcher) params.batchInput = asObject(itemBatcher.BatchInput, name, "ItemBatcher.BatchInput");
	}

	const percentage = state.ToleratedFailurePercentage;
	if (percentage !== undefined && (typeof percentage !== "number" || percentage < 0 || percentage > 100)) {
		throw invalid(name, "ToleratedFailurePercentage must be a number from 0 to 100");
	}
	const count = state.ToleratedFailureCount;
	if (count !== undefined && (typeof count !== "number" || !Number.isInteger(count) || count < 0)) {
		throw invalid(name, "ToleratedFailureCount must be a non-negative integer");
	}
	// Read here too (the inline Map below applies it), so the map run reports the concurrency it ran with.
	if (typeof state.MaxConcurrencyPath === "string") params["maxConcurrency.$"] = state.MaxConcurrencyPath;
	if (typeof state.ToleratedFailurePercentagePath === "string")
		params["toleratedFailurePercentage.$"] = state.ToleratedFailurePercentagePath;
	if (typeof state.ToleratedFailureCountPath === "string") params["toleratedFailureCount.$"] = state.ToleratedFailureCountPath;

	const retry = "Retry" in state ? adapter.adaptRetry(name, state.Retry ?? null) : undefined;
	if (retry?.some((r) => ((r as JsonObject).ErrorEquals as string[]).some((e) => e === "States.ALL" || e === EXCEED_THRESHOLD))) {
		throw unsupported(
			name,
			"Retry matching States.ExceedToleratedFailureThreshold (or States.ALL)",
			"re-running a whole Distributed Map is not implemented; retry inside the ItemProcessor instead",
		);
	}
	const catchers = "Catch" in state ? adapter.adaptCatch(name, state.Catch ?? null) : undefined;
	const taskRetry = retry ? withoutTaskFailed(retry as JsonObject[]) : [];
	const taskCatch = catchers ? withoutTaskFailed(catchers) : [];

	const key = `m${adapter.plans.length}`;
	adapter.plans.push({
		mapName: name,
		key,
		...names,
		hasReader,
		hasWriter,
		...(readerMaxItems !== undefined ? { readerMaxItems } : {}),
		...(selector !== undefined ? { selector } : {}),
		...(batcher ? { batcher } : {}),
		...(typeof percentage === "number" ? { toleratedFailurePercentage: percentage } : {}),
		...(typeof count === "number" ? { toleratedFailureCount: count } : {}),
	});

	const prepare: JsonObject = {
		Type: "Task",
		Comment: `Embedded engine only: ${hasReader ? "reads the items of" : "collects the items of"} "${name}"${batcher ? " and batches them" : ""} as AWS's Distributed Map does.`,
		Resource: `${LOCAL_RESOURCE_PREFIX}${hasReader ? "read-items" : "prepare-items"}`,
		...("InputPath" in state ? { InputPath: state.InputPath ?? null } : {}),
		Parameters: params,
		ResultPath: null,
		TimeoutSeconds: adapter.defaultTimeout,
		...(taskRetry.length > 0 ? { Retry: taskRetry } : {}),
		...(taskCatch.length > 0 ? { Catch: taskCatch } : {}),
		Next: name,
	};
	const iterationStates: JsonObject = {
		[names.iteration]: {
			Type: "Parallel",
			Comment: "Embedded engine only: runs one child execution of the Distributed Map and records its outcome.",
			InputPath: "$.value",
			Branches: [adapter.adaptMachine(processor, "processor", name, true)],
			ResultPath: "$.output",
			Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: names.recordFailed }],
			Next: names.record,
		},
		[names.record]: { Type: "Task", Resource: `${LOCAL_RESOURCE_PREFIX}record-item`, TimeoutSeconds: adapter.defaultTimeout, End: true },
		[names.recordFailed]: {
			Type: "Task",
			Resource: `${LOCAL_RESOURCE_PREFIX}record-failed-item`,
			TimeoutSeconds: adapter.defaultTimeout,
			End: true,
		},
	};
	const map: JsonObject = {
		Type: "Map",
		...(typeof state.Comment === "string" ? { Comment: state.Comment } : {}),
		...("InputPath" in state ? { InputPath: state.InputPath ?? null } : {}),
		ItemsPath: `$$.${LOCAL_CONTEXT_KEY}.${key}.items`,
		ItemSelector: { "index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value" },
		...(state.MaxConcurrency !== undefined ? { MaxConcurrency: state.MaxConcurrency } : {}),
		...(state.MaxConcurrencyPath !== undefined ? { MaxConcurrencyPath: state.MaxConcurrencyPath } : {}),
		ItemProcessor: { StartAt: names.iteration, States: iterationStates },
		ResultPath: null,
		...(retry ? { Retry: retry } : {}),
		...(catchers ? { Catch: catchers } : {}),
		Next: names.check,
	};
	const check: JsonObject = {
		Type: "Task",
		Comment: `Embedded engine only: applies "${name}"'s tolerated failure threshold${hasWriter ? ", writes its results to S3 as its ResultWriter does" : ""}, ResultSelector, ResultPath, OutputPath and Catch.`,
		Resource: `${LOCAL_RESOURCE_PREFIX}check-tolerated-failures`,
		TimeoutSeconds: adapter.defaultTimeout,
		...("ResultSelector" in state ? { ResultSelector: state.ResultSelector ?? null } : {}),
		...("OutputPath" in state ? { OutputPath: state.OutputPath ?? null } : {}),
		...(taskCatch.length > 0 ? { Catch: taskCatch } : {}),
	};
	if ("ResultPath" in state) setResultPath(check, name, "ResultPath", state.ResultPath ?? null);
	if ("Next" in state) check.Next = adapter.entry(state.Next, name, "Next");
	else if (state.End === true) check.End = true;
	else throw invalid(name, "a Map must have Next or End");

	adapter.localStates[names.prepare] = `reads the items of "${name}" (ItemReader/ItemBatcher)`;
	adapter.localStates[names.iteration] = `wraps each iteration of "${name}" so a failed item is recorded, not fatal`;
	adapter.localStates[names.record] = `records a successful iteration of "${name}"`;
	adapter.localStates[names.recordFailed] = `records a failed iteration of "${name}"`;
	adapter.localStates[names.check] =
		`applies the tolerated failure threshold and output of "${name}"${hasWriter ? " and writes its results to S3 (ResultWriter)" : ""}`;
	return { [names.prepare]: prepare, [name]: map, [names.check]: check };
}
