import "./polyfill.js";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";

/**
 * Rewrites an Amazon States Language definition (JSONPath) into one that
 * aws-local-stepfunctions 3.0.0 runs with the same observable behaviour as AWS:
 *
 * - A Distributed Map (ItemReader from S3, ItemBatcher, tolerated failures) becomes
 *   `<Map> [local: read items]` (a local Task that reads and batches the items) →
 *   the Map itself, iterating INLINE over those items, each iteration wrapped so a failed
 *   item is recorded instead of failing the Map → `<Map> [local: check failures]` (a local
 *   Task that raises States.ExceedToleratedFailureThreshold or yields the Map's result with
 *   the Map's ResultSelector, ResultPath, OutputPath and Catch). The state after the Map
 *   sees exactly what it would see on AWS; no temporary field ever enters the state data.
 * - Engine bugs are worked around (`ResultPath: "$"`, bracket-notation ResultPaths,
 *   `IsNull: false` and the other negative type tests, the 60 s default Task timeout).
 * - Every field the engine does not implement and this adapter does not rewrite is refused
 *   with an error naming the state and the field: the engine would silently ignore most of
 *   them (Assign, QueryLanguage JSONata, HeartbeatSeconds, Credentials, ResultWriter, ...).
 * - `${Name}` placeholders are substituted first, as CloudFormation's
 *   DefinitionSubstitutions do.
 */

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Reads a JSON document from S3 (the ItemReader's `arn:aws:states:::s3:getObject`). */
export type ReadJson = (bucket: string, key: string) => Promise<unknown>;

/** A local handler for a Task state, as aws-local-stepfunctions' taskResourceLocalHandlers take it. */
export type LocalTaskHandler = (input: JsonValue) => Promise<JsonValue>;

export interface AdaptOptions {
	/** `${Name}` → value, the same map CDK passes as DefinitionSubstitutions. */
	readonly substitutions?: Readonly<Record<string, string>>;
	/** Needed when the definition has a Map with an ItemReader. */
	readonly readJson?: ReadJson;
	/**
	 * TimeoutSeconds given to Task states that set none. The engine otherwise fails every
	 * Task after 60 s with States.Timeout; AWS has no default state timeout (the Lambda
	 * function's own timeout applies). Default 900, the longest a Lambda function may run.
	 */
	readonly defaultTaskTimeoutSeconds?: number;
}

/** What one Task state of the original definition calls. */
export interface TaskResource {
	/** `lambda`: `Resource` is a function ARN; `lambda:invoke`: the optimized integration. */
	readonly kind: "lambda" | "lambda:invoke";
	readonly resource: string;
}

/** One execution's share of the adapter's local machinery. */
export interface ExecutionScope {
	/** Handlers of the local Task states the adapter inserted, keyed by state name. */
	readonly taskHandlers: Record<string, LocalTaskHandler>;
	/** Must be merged into the execution's Context Object (the rewritten Maps read their items from it). */
	readonly context: Record<string, unknown>;
}

export interface AdaptedDefinition {
	/** The definition to give aws-local-stepfunctions. */
	readonly definition: StateMachineDefinition;
	/** The original definition with the substitutions applied: what AWS stores and DescribeStateMachine returns. */
	readonly substituted: JsonObject;
	/** Every Task state of the original definition (at any depth), by name. */
	readonly taskResources: Readonly<Record<string, TaskResource>>;
	/** The states the adapter inserted (all named `<original> [local: ...]`), with what each does. */
	readonly localStates: Readonly<Record<string, string>>;
	/** Creates the local task handlers and context entries for one execution. */
	createExecutionScope(): ExecutionScope;
}

/** A definition the embedded engine cannot run faithfully, or a malformed one. */
export class UnsupportedDefinitionError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "UnsupportedDefinitionError";
	}
}

/** A `${Name}` placeholder without a value. */
export class MissingSubstitutionError extends Error {
	readonly missing: readonly string[];
	constructor(missing: readonly string[]) {
		super(
			`definition substitution${missing.length > 1 ? "s" : ""} missing: ${missing.map((m) => `\${${m}}`).join(", ")} (no value for ${missing.join(", ")} in substitutions)`,
		);
		this.name = "MissingSubstitutionError";
		this.missing = missing;
	}
}

/** Key of the Context Object entry the rewritten Maps read their items from (`$$.EmbeddedEngine.<map>.items`). */
export const LOCAL_CONTEXT_KEY = "EmbeddedEngine";
/** Resource of the Task states the adapter inserts; never invoked, their handlers are local. */
export const LOCAL_RESOURCE_PREFIX = "arn:aws:states:::local:";
/** Longest timer Node keeps (2^31-1 ms); longer ones fire at once. */
const MAX_TIMER_SECONDS = 2_147_483;
const DEFAULT_TASK_TIMEOUT_SECONDS = 900;
/** AWS's limit for a batch (MaxInputBytesPerBatch can only lower it). */
const MAX_BATCH_BYTES = 262_144;
const EXCEED_THRESHOLD = "States.ExceedToleratedFailureThreshold";
const ITEM_READER_FAILED = "States.ItemReaderFailed";

const STATE_TYPES = ["Task", "Parallel", "Map", "Pass", "Wait", "Choice", "Succeed", "Fail"] as const;
type StateType = (typeof STATE_TYPES)[number];

const COMMON = ["Type", "Comment", "QueryLanguage", "InputPath", "OutputPath"];
const SUPPORTED_FIELDS: Record<StateType, readonly string[]> = {
	Task: [
		...COMMON,
		"Resource",
		"Parameters",
		"ResultSelector",
		"ResultPath",
		"Retry",
		"Catch",
		"Next",
		"End",
		"TimeoutSeconds",
		"TimeoutSecondsPath",
	],
	Parallel: [...COMMON, "Branches", "Parameters", "ResultSelector", "ResultPath", "Retry", "Catch", "Next", "End"],
	Map: [
		...COMMON,
		"ItemProcessor",
		"Iterator",
		"ItemsPath",
		"ItemSelector",
		"Parameters",
		"MaxConcurrency",
		"MaxConcurrencyPath",
		"ResultSelector",
		"ResultPath",
		"Retry",
		"Catch",
		"Next",
		"End",
		// Rewritten (Distributed Map):
		"ItemReader",
		"ItemBatcher",
		"ToleratedFailurePercentage",
		"ToleratedFailurePercentagePath",
		"ToleratedFailureCount",
		"ToleratedFailureCountPath",
	],
	Pass: [...COMMON, "Result", "ResultPath", "Parameters", "Next", "End"],
	Wait: [...COMMON, "Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Next", "End"],
	Choice: [...COMMON, "Choices", "Default"],
	Succeed: [...COMMON],
	Fail: ["Type", "Comment", "QueryLanguage", "Error", "Cause", "ErrorPath", "CausePath"],
};

/** Why a field is refused, where there is more to say than "not supported". */
const FIELD_HINTS: Record<string, string> = {
	Assign: "workflow variables are not implemented by aws-local-stepfunctions, which would silently ignore them",
	Arguments: "JSONata is not implemented; use JSONPath (Parameters)",
	Output: "JSONata is not implemented; use JSONPath (ResultSelector/ResultPath/OutputPath)",
	Condition: "JSONata is not implemented; use JSONPath choice rules",
	Items: "JSONata is not implemented; use ItemsPath",
	HeartbeatSeconds: "the engine would silently ignore it",
	HeartbeatSecondsPath: "the engine would silently ignore it",
	Credentials: "the engine would silently ignore it",
	ResultWriter: "the embedded engine keeps Map results in the state; remove ResultWriter or run on AWS",
	Label: "the engine would silently ignore it",
	ItemsPointer: "JSONata is not implemented",
};

const RETRIER_FIELDS = ["ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"];
const CATCHER_FIELDS = ["ErrorEquals", "Next", "ResultPath", "Comment"];

const COMPARISON_OPERATORS = [
	"StringEquals",
	"StringEqualsPath",
	"StringLessThan",
	"StringLessThanPath",
	"StringGreaterThan",
	"StringGreaterThanPath",
	"StringLessThanEquals",
	"StringLessThanEqualsPath",
	"StringGreaterThanEquals",
	"StringGreaterThanEqualsPath",
	"StringMatches",
	"NumericEquals",
	"NumericEqualsPath",
	"NumericLessThan",
	"NumericLessThanPath",
	"NumericGreaterThan",
	"NumericGreaterThanPath",
	"NumericLessThanEquals",
	"NumericLessThanEqualsPath",
	"NumericGreaterThanEquals",
	"NumericGreaterThanEqualsPath",
	"BooleanEquals",
	"BooleanEqualsPath",
	"TimestampEquals",
	"TimestampEqualsPath",
	"TimestampLessThan",
	"TimestampLessThanPath",
	"TimestampGreaterThan",
	"TimestampGreaterThanPath",
	"TimestampLessThanEquals",
	"TimestampLessThanEqualsPath",
	"TimestampGreaterThanEquals",
	"TimestampGreaterThanEqualsPath",
	"IsNull",
	"IsPresent",
	"IsNumeric",
	"IsString",
	"IsBoolean",
	"IsTimestamp",
];
const TYPE_TESTS = new Set(["IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"]);

const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,140}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;

export function isJsonObject(value: unknown): value is JsonObject {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy that is plain JSON (undefined becomes null at the top, dropped in objects). */
export function toJsonValue(value: unknown): JsonValue {
	if (value === undefined) return null;
	return JSON.parse(JSON.stringify(value)) as JsonValue;
}

function where(state: string | undefined): string {
	return state === undefined ? "state machine" : `state "${state}"`;
}

function unsupported(state: string | undefined, field: string, detail?: string): UnsupportedDefinitionError {
	return new UnsupportedDefinitionError(
		`${where(state)}: field ${field} is not supported by the embedded Step Functions engine${detail ? ` (${detail})` : ""}`,
	);
}

function invalid(state: string | undefined, message: string): UnsupportedDefinitionError {
	return new UnsupportedDefinitionError(`${where(state)}: ${message}`);
}

// ---------------------------------------------------------------------------------------
// Substitutions
// ---------------------------------------------------------------------------------------

const PLACEHOLDER = /\$\{(!?)([^}]+)\}/g;

/**
 * Replaces `${Name}` in every string of the definition (keys included) the way
 * CloudFormation's DefinitionSubstitutions do; `${!Name}` stands for a literal `${Name}`.
 * Throws MissingSubstitutionError naming every placeholder without a value.
 */
export function substituteDefinition(definition: JsonValue, substitutions: Readonly<Record<string, string>>): JsonValue {
	const missing = new Set<string>();
	const replace = (text: string): string =>
		text.replace(PLACEHOLDER, (whole, bang: string, name: string) => {
			if (bang) return `\${${name}}`;
			const value = Object.hasOwn(substitutions, name) ? substitutions[name] : undefined;
			if (value === undefined) {
				missing.add(name);
				return whole;
			}
			return value;
		});
	const walk = (value: JsonValue): JsonValue => {
		if (typeof value === "string") return replace(value);
		if (Array.isArray(value)) return value.map(walk);
		if (isJsonObject(value)) {
			const out: JsonObject = {};
			for (const [k, v] of Object.entries(value)) out[replace(k)] = walk(v);
			return out;
		}
		return value;
	};
	const result = walk(definition);
	if (missing.size > 0) throw new MissingSubstitutionError([...missing].sort());
	return result;
}

// ---------------------------------------------------------------------------------------
// Runtime errors raised by the local states
// ---------------------------------------------------------------------------------------

/** An error the engine's Retry/Catch match by `name`, as AWS matches the error code. */
function namedError(name: string, message: string): Error {
	const error = new Error(message);
	error.name = name;
	return error;
}

/** States.Runtime: neither retried nor caught, as on AWS. */
function runtimeError(message: string): Error {
	const error = namedError("States.Runtime", message);
	Object.defineProperties(error, {
		isRetryable: { value: false },
		isCatchable: { value: false },
	});
	return error;
}

// ---------------------------------------------------------------------------------------
// Reference paths (ResultPath)
// ---------------------------------------------------------------------------------------

type PathSegment = string | number;

function parseReferencePath(path: string): PathSegment[] | undefined {
	if (!path.startsWith("$") || path.startsWith("$$")) return undefined;
	const segments: PathSegment[] = [];
	let i = 1;
	while (i < path.length) {
		const ch = path[i];
		if (ch === ".") {
			let j = i + 1;
			while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
			const name = path.slice(i + 1, j);
			if (name === "" || /[*?@()'"\]]/.test(name)) return undefined;
			segments.push(name);
			i = j;
		} else if (ch === "[") {
			const quote = path[i + 1];
			if (quote === "'" || quote === '"') {
				const end = path.indexOf(`${quote}]`, i + 2);
				if (end < 0) return undefined;
				segments.push(path.slice(i + 2, end));
				i = end + 2;
			} else {
				const end = path.indexOf("]", i);
				const digits = end < 0 ? "" : path.slice(i + 1, end);
				if (!/^\d+$/.test(digits)) return undefined;
				segments.push(Number(digits));
				i = end + 1;
			}
		} else {
			return undefined;
		}
	}
	return segments;
}

/**
 * The engine strips a leading "$." and treats "$" itself as a key, so `ResultPath: "$"`
 * would write the result under a "$" key and `$['a']` under "$" then "a". Returns the
 * path the engine understands, or undefined for "$" (meaning: omit the field, which
 * replaces the input with the result exactly like "$").
 */
function normalizeResultPath(state: string, field: string, path: JsonValue): string | null | undefined {
	if (path === null) return null;
	if (typeof path !== "string") throw invalid(state, `${field} must be a string or null`);
	const segments = parseReferencePath(path.trim());
	if (!segments) throw unsupported(state, `${field} "${path}"`, "ResultPath must be a reference path such as $.a.b or $.a['b c'][0]");
	if (segments.length === 0) return undefined;
	const [first, ...rest] = segments;
	if (typeof first !== "string" || /[.[\]]/.test(first)) {
		throw unsupported(state, `${field} "${path}"`, "the engine cannot write under this first key; use $.name");
	}
	let out = `$.${first}`;
	for (const segment of rest) {
		if (typeof segment === "number") out += `[${segment}]`;
		else if (/^[^.[\]'"]+$/.test(segment)) out += `.${segment}`;
		else if (!segment.includes("'")) out += `['${segment}']`;
		else if (!segment.includes('"')) out += `["${segment}"]`;
		else throw unsupported(state, `${field} "${path}"`, "a key with both quote characters");
	}
	return out;
}

function setResultPath(target: JsonObject, state: string, field: string, value: JsonValue): void {
	const normalized = normalizeResultPath(state, field, value);
	if (normalized === undefined) delete target[field];
	else target[field] = normalized;
}

// ---------------------------------------------------------------------------------------
// Batching and item selection (used by the local "read items" state)
// ---------------------------------------------------------------------------------------

export interface BatchSettings {
	readonly maxItemsPerBatch?: number;
	readonly maxInputBytesPerBatch?: number;
	readonly batchInput?: JsonValue;
}

/** Groups items the way ItemBatcher does: `{ "Items": [...], "BatchInput": {...} }` per child execution. */
export function batchItems(items: readonly JsonValue[], settings: BatchSettings): JsonObject[] {
	const maxItems = settings.maxItemsPerBatch ?? Number.POSITIVE_INFINITY;
	const maxBytes = Math.min(settings.maxInputBytesPerBatch ?? MAX_BATCH_BYTES, MAX_BATCH_BYTES);
	const shape = (batch: JsonValue[]): JsonObject =>
		settings.batchInput === undefined ? { Items: batch } : { Items: batch, BatchInput: settings.batchInput };
	const emptyBytes = Buffer.byteLength(JSON.stringify(shape([])));
	const batches: JsonObject[] = [];
	let current: JsonValue[] = [];
	let bytes = emptyBytes;
	for (const item of items) {
		const itemBytes = Buffer.byteLength(JSON.stringify(item));
		if (current.length > 0 && (current.length >= maxItems || bytes + 1 + itemBytes > maxBytes)) {
			batches.push(shape(current));
			current = [];
			bytes = emptyBytes;
		}
		// A single item larger than the limit still travels alone, as one batch.
		bytes += itemBytes + (current.length > 0 ? 1 : 0);
		current.push(item);
	}
	if (current.length > 0) batches.push(shape(current));
	return batches;
}

/** Applies an ItemSelector to every item with the engine itself, so `$$.Map.Item.Value`/`Index` behave as in a Map. */
async function selectItems(selector: JsonValue, effectiveInput: JsonValue, items: JsonValue[]): Promise<JsonValue[]> {
	const definition = {
		StartAt: "select",
		States: {
			select: {
				Type: "Map",
				ItemsPath: `$$.${LOCAL_CONTEXT_KEY}.items`,
				ItemSelector: selector,
				ItemProcessor: { StartAt: "item", States: { item: { Type: "Pass", End: true } } },
				End: true,
			},
		},
	} as unknown as StateMachineDefinition;
	const machine = new StateMachine(definition, { validationOptions: { noValidate: true } });
	try {
		const result = await machine.run(effectiveInput as never, { context: { [LOCAL_CONTEXT_KEY]: { items } } }).result;
		return result as JsonValue[];
	} catch (err) {
		const cause = (err as { cause?: unknown }).cause;
		throw cause instanceof Error ? cause : err;
	}
}

// ---------------------------------------------------------------------------------------
// The adapter
// ---------------------------------------------------------------------------------------

interface DistributedMapPlan {
	readonly mapName: string;
	readonly key: string;
	readonly prepare: string;
	readonly check: string;
	readonly iteration: string;
	readonly record: string;
	readonly recordFailed: string;
	readonly hasReader: boolean;
	readonly readerMaxItems?: number;
	readonly selector?: JsonValue;
	readonly batcher?: { maxItemsPerBatch?: number; maxInputBytesPerBatch?: number };
	readonly toleratedFailurePercentage?: number;
	readonly toleratedFailureCount?: number;
}

type MachineKind = "root" | "branch" | "processor";

const MACHINE_FIELDS: Record<MachineKind, readonly string[]> = {
	root: ["StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"],
	branch: ["StartAt", "States", "Comment"],
	processor: ["StartAt", "States", "Comment", "ProcessorConfig"],
};

function asObject(value: JsonValue | undefined, state: string | undefined, field: string): JsonObject {
	if (!isJsonObject(value)) throw invalid(state, `${field} must be a JSON object`);
	return value;
}

function isPositiveInteger(value: unknown): value is number {
	return typeof value === "number" && Number.isInteger(value) && value > 0;
}

function isDistributed(state: JsonObject): boolean {
	const processor = state.ItemProcessor ?? state.Iterator;
	const config = isJsonObject(processor) ? processor.ProcessorConfig : undefined;
	const mode = isJsonObject(config) ? config.Mode : undefined;
	return (
		mode === "DISTRIBUTED" ||
		[
			"ItemReader",
			"ItemBatcher",
			"ToleratedFailurePercentage",
			"ToleratedFailurePercentagePath",
			"ToleratedFailureCount",
			"ToleratedFailureCountPath",
			"ResultWriter",
			"Label",
		].some((f) => f in state)
	);
}

class Adapter {
	private readonly names = new Set<string>();
	private readonly entryNames = new Map<string, string>();
	private readonly plannedNames = new Map<string, Omit<DistributedMapPlan, "hasReader" | "key" | "mapName">>();
	readonly taskResources: Record<string, TaskResource> = {};
	readonly localStates: Record<string, string> = {};
	readonly plans: DistributedMapPlan[] = [];
	private readonly defaultTimeout: number;

	constructor(options: AdaptOptions) {
		const timeout = options.defaultTaskTimeoutSeconds ?? DEFAULT_TASK_TIMEOUT_SECONDS;
		if (!isPositiveInteger(timeout)) throw new UnsupportedDefinitionError("defaultTaskTimeoutSeconds must be a positive integer");
		this.defaultTimeout = Math.min(timeout, MAX_TIMER_SECONDS);
	}

	run(root: JsonObject): JsonObject {
		this.collectNames(root, undefined);
		this.planDistributedMaps(root);
		return this.adaptMachine(root, "root", undefined, false);
	}

	/** State names are unique across the whole state machine (AWS refuses duplicates; the engine's overrides are keyed by name). */
	private collectNames(machine: JsonValue, owner: string | undefined): void {
		const states = isJsonObject(machine) ? machine.States : undefined;
		if (!isJsonObject(states)) throw invalid(owner, `${owner === undefined ? "" : "nested state machine: "}States must be a JSON object`);
		for (const [name, state] of Object.entries(states)) {
			if (this.names.has(name)) throw invalid(name, "duplicate state name (state names must be unique across the whole state machine)");
			this.names.add(name);
			if (!isJsonObject(state)) throw invalid(name, "a state must be a JSON object");
			if (state.Type === "Parallel" && Array.isArray(state.Branches)) for (const branch of state.Branches) this.collectNames(branch, name);
			if (state.Type === "Map") {
				const processor = state.ItemProcessor ?? state.Iterator;
				if (processor !== undefined) this.collectNames(processor, name);
			}
		}
	}

	private uniqueName(base: string): string {
		let name = base;
		for (let n = 2; this.names.has(name); n++) name = `${base} ${n}`;
		this.names.add(name);
		return name;
	}

	private planDistributedMaps(machine: JsonObject): void {
		const states = machine.States as JsonObject;
		for (const [name, value] of Object.entries(states)) {
			const state = value as JsonObject;
			if (state.Type === "Map" && isDistributed(state)) {
				const hasReader = "ItemReader" in state;
				const names = {
					prepare: this.uniqueName(`${name} [local: ${hasReader ? "read items" : "prepare items"}]`),
					iteration: this.uniqueName(`${name} [local: iteration]`),
					record: this.uniqueName(`${name} [local: record item]`),
					recordFailed: this.uniqueName(`${name} [local: record failed item]`),
					check: this.uniqueName(`${name} [local: check failures]`),
				};
				this.plannedNames.set(name, names);
				this.entryNames.set(name, names.prepare);
			}
			if (state.Type === "Parallel" && Array.isArray(state.Branches))
				for (const b of state.Branches) this.planDistributedMaps(b as JsonObject);
			const processor = state.Type === "Map" ? (state.ItemProcessor ?? state.Iterator) : undefined;
			if (isJsonObject(processor)) this.planDistributedMaps(processor);
		}
	}

	/** Where a transition to `name` must now go (the first local state of a rewritten Map). */
	private entry(name: JsonValue | undefined, state: string, field: string): string {
		if (typeof name !== "string") throw invalid(state, `${field} must be a state name`);
		return this.entryNames.get(name) ?? name;
	}

	private adaptMachine(machine: JsonObject, kind: MachineKind, owner: string | undefined, insideMap: boolean): JsonObject {
		const prefix = kind === "root" ? "" : kind === "branch" ? "Branches[]." : "ItemProcessor.";
		for (const key of Object.keys(machine)) {
			if (!MACHINE_FIELDS[kind].includes(key)) throw unsupported(owner, `${prefix}${key}`, FIELD_HINTS[key]);
		}
		if (kind === "root" && "QueryLanguage" in machine && machine.QueryLanguage !== "JSONPath") {
			throw unsupported(
				undefined,
				`QueryLanguage "${String(machine.QueryLanguage)}"`,
				"JSONata is not implemented by the engine; use JSONPath",
			);
		}
		if (typeof machine.StartAt !== "string") throw invalid(owner, `${prefix}StartAt must be a state name`);
		const states = asObject(machine.States, owner, `${prefix}States`);
		const out: JsonObject = {};
		if (typeof machine.Comment === "string") out.Comment = machine.Comment;
		if (kind === "root" && machine.Version !== undefined) out.Version = machine.Version;
		if (kind === "root" && machine.TimeoutSeconds !== undefined) {
			if (!isPositiveInteger(machine.TimeoutSeconds)) throw invalid(undefined, "TimeoutSeconds must be a positive integer");
			out.TimeoutSeconds = Math.min(machine.TimeoutSeconds, MAX_TIMER_SECONDS);
		}
		out.StartAt = this.entry(machine.StartAt, owner ?? "StartAt", "StartAt");
		const adaptedStates: JsonObject = {};
		for (const [name, state] of Object.entries(states)) {
			Object.assign(adaptedStates, this.adaptState(name, asObject(state, name, "state"), insideMap));
		}
		out.States = adaptedStates;
		return out;
	}

	private adaptRetry(state: string, retry: JsonValue): JsonValue[] {
		if (!Array.isArray(retry)) throw invalid(state, "Retry must be an array");
		return retry.map((r, i) => {
			const retrier = asObject(r, state, `Retry[${i}]`);
			for (const key of Object.keys(retrier)) {
				if (!RETRIER_FIELDS.includes(key)) throw unsupported(state, `Retry[${i}].${key}`, FIELD_HINTS[key]);
			}
			if (!Array.isArray(retrier.ErrorEquals) || !retrier.ErrorEquals.every((e) => typeof e === "string")) {
				throw invalid(state, `Retry[${i}].ErrorEquals must be an array of error names`);
			}
			const { Comment: _comment, ...rest } = retrier;
			return rest;
		});
	}

	private adaptCatch(state: string, catchers: JsonValue): JsonObject[] {
		if (!Array.isArray(catchers)) throw invalid(state, "Catch must be an array");
		return catchers.map((c, i) => {
			const catcher = asObject(c, state, `Catch[${i}]`);
			for (const key of Object.keys(catcher)) {
				if (!CATCHER_FIELDS.includes(key)) throw unsupported(state, `Catch[${i}].${key}`, FIELD_HINTS[key]);
			}
			if (!Array.isArray(catcher.ErrorEquals) || !catcher.ErrorEquals.every((e) => typeof e === "string")) {
				throw invalid(state, `Catch[${i}].ErrorEquals must be an array of error names`);
			}
			const out: JsonObject = { ErrorEquals: catcher.ErrorEquals, Next: this.entry(catcher.Next, state, `Catch[${i}].Next`) };
			if ("ResultPath" in catcher) setResultPath(out, state, "ResultPath", catcher.ResultPath ?? null);
			return out;
		});
	}

	private adaptState(name: string, state: JsonObject, insideMap: boolean): JsonObject {
		const type = state.Type;
		if (typeof type !== "string" || !(STATE_TYPES as readonly string[]).includes(type)) {
			throw invalid(name, `unknown state Type ${JSON.stringify(type)}`);
		}
		const stateType = type as StateType;
		if ("QueryLanguage" in state && state.QueryLanguage !== "JSONPath") {
			throw unsupported(name, `QueryLanguage "${String(state.QueryLanguage)}"`, "JSONata is not implemented by the engine; use JSONPath");
		}
		for (const key of Object.keys(state)) {
			if (!SUPPORTED_FIELDS[stateType].includes(key)) throw unsupported(name, key, FIELD_HINTS[key]);
		}
		if (stateType === "Map" && isDistributed(state)) return this.rewriteDistributedMap(name, state, insideMap);

		const out: JsonObject = { ...state };
		delete out.QueryLanguage;
		if ("Next" in state) out.Next = this.entry(state.Next, name, "Next");
		if ("ResultPath" in state) setResultPath(out, name, "ResultPath", state.ResultPath ?? null);
		if ("Retry" in state) out.Retry = this.adaptRetry(name, state.Retry ?? null);
		if ("Catch" in state) out.Catch = this.adaptCatch(name, state.Catch ?? null);

		switch (stateType) {
			case "Task":
				this.adaptTask(name, state, out);
				break;
			case "Parallel": {
				if (!Array.isArray(state.Branches)) throw invalid(name, "Branches must be an array");
				out.Branches = state.Branches.map((b, i) => this.adaptMachine(asObject(b, name, `Branches[${i}]`), "branch", name, insideMap));
				break;
			}
			case "Map": {
				const field = "ItemProcessor" in state ? "ItemProcessor" : "Iterator";
				const processor = { ...asObject(state[field], name, field) };
				if ("ProcessorConfig" in processor) {
					const config = asObject(processor.ProcessorConfig, name, `${field}.ProcessorConfig`);
					for (const key of Object.keys(config)) {
						if (key !== "Mode") throw unsupported(name, `${field}.ProcessorConfig.${key}`, "only with Mode DISTRIBUTED");
					}
					if (config.Mode !== undefined && config.Mode !== "INLINE") {
						throw unsupported(name, `${field}.ProcessorConfig.Mode "${String(config.Mode)}"`);
					}
					delete processor.ProcessorConfig;
				}
				out[field] = this.adaptMachine(processor, "processor", name, true);
				break;
			}
			case "Pass":
				if ("Result" in state && !state.Result) {
					throw unsupported(
						name,
						`Result ${JSON.stringify(state.Result)}`,
						'the engine ignores a Result that is null, false, 0 or "" and passes the input through',
					);
				}
				break;
			case "Choice": {
				if (!Array.isArray(state.Choices) || state.Choices.length === 0) throw invalid(name, "Choices must be a non-empty array");
				out.Choices = state.Choices.map((rule, i) =>
					this.adaptChoiceRule(name, asObject(rule, name, `Choices[${i}]`), `Choices[${i}]`, true),
				);
				if ("Default" in state) out.Default = this.entry(state.Default, name, "Default");
				break;
			}
			default:
				break;
		}
		return { [name]: out };
	}

	private adaptTask(name: string, state: JsonObject, out: JsonObject): void {
		const resource = state.Resource;
		if (typeof resource !== "string") throw invalid(name, "Resource must be a string");
		if (LAMBDA_FUNCTION_ARN.test(resource)) this.taskResources[name] = { kind: "lambda", resource };
		else if (LAMBDA_INVOKE.test(resource)) this.taskResources[name] = { kind: "lambda:invoke", resource };
		else if (/\.(waitForTaskToken|sync)(:\d+)?$/.test(resource)) {
			throw unsupported(name, `Resource "${resource}"`, "task tokens and .sync integrations are not implemented by the engine");
		} else {
			throw unsupported(name, `Resource "${resource}"`, "only Lambda function ARNs and arn:aws:states:::lambda:invoke run embedded");
		}
		if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) out.TimeoutSeconds = this.defaultTimeout;
		else if (state.TimeoutSeconds !== undefined) {
			if (!isPositiveInteger(state.TimeoutSeconds)) throw invalid(name, "TimeoutSeconds must be a positive integer");
			out.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
		}
	}

	private adaptChoiceRule(name: string, rule: JsonObject, field: string, top: boolean): JsonObject {
		const out: JsonObject = {};
		const keys = Object.keys(rule).filter((k) => k !== "Comment" && !(top && k === "Next"));
		const combinator = keys.find((k) => k === "And" || k === "Or" || k === "Not");
		if (combinator) {
			for (const key of keys) if (key !== combinator) throw unsupported(name, `${field}.${key}`, FIELD_HINTS[key]);
			const value = rule[combinator];
			if (combinator === "Not") out.Not = this.adaptChoiceRule(name, asObject(value, name, `${field}.Not`), `${field}.Not`, false);
			else {
				if (!Array.isArray(value) || value.length === 0) throw invalid(name, `${field}.${combinator} must be a non-empty array`);
				out[combinator] = value.map((r, i) =>
					this.adaptChoiceRule(name, asObject(r, name, `${field}.${combinator}[${i}]`), `${field}.${combinator}[${i}]`, false),
				);
			}
		} else {
			for (const key of keys) {
				if (key !== "Variable" && !COMPARISON_OPERATORS.includes(key)) throw unsupported(name, `${field}.${key}`, FIELD_HINTS[key]);
			}
			if (typeof rule.Variable !== "string") throw invalid(name, `${field}.Variable must be a path`);
			const operators = keys.filter((k) => k !== "Variable");
			const operator = operators[0];
			if (operators.length !== 1 || operator === undefined) throw invalid(name, `${field} must have exactly one comparison operator`);
			const value = rule[operator] ?? null;
			if (TYPE_TESTS.has(operator) && value === false) {
				// The engine evaluates `IsNull: false` (and the other type tests) as always false.
				out.Not = { Variable: rule.Variable, [operator]: true };
			} else {
				out.Variable = rule.Variable;
				out[operator] = value;
			}
		}
		if (top) out.Next = this.entry(rule.Next, name, `${field}.Next`);
		return out;
	}

	/** Retriers and catchers copied from a Map onto a local Task must not match as `States.TaskFailed` (a Map's errors never do). */
	private static withoutTaskFailed<T extends JsonObject>(rules: T[]): T[] {
		return rules
			.map((r) => ({ ...r, ErrorEquals: (r.ErrorEquals as string[]).filter((e) => e !== "States.TaskFailed") }))
			.filter((r) => r.ErrorEquals.length > 0);
	}

	private rewriteDistributedMap(name: string, state: JsonObject, insideMap: boolean): JsonObject {
		const names = this.plannedNames.get(name);
		if (!names) throw invalid(name, "internal error: Distributed Map not planned");
		const processorField = "ItemProcessor" in state ? "ItemProcessor" : "Iterator";
		const processor = { ...asObject(state[processorField], name, processorField) };
		const config =
			processor.ProcessorConfig === undefined ? {} : asObject(processor.ProcessorConfig, name, `${processorField}.ProcessorConfig`);
		for (const key of Object.keys(config)) {
			if (key !== "Mode" && key !== "ExecutionType") throw unsupported(name, `${processorField}.ProcessorConfig.${key}`, FIELD_HINTS[key]);
		}
		if ("ResultWriter" in state) throw unsupported(name, "ResultWriter", FIELD_HINTS.ResultWriter);
		if ("Label" in state) throw unsupported(name, "Label", FIELD_HINTS.Label);
		if (config.Mode !== "DISTRIBUTED") {
			const field = [
				"ItemReader",
				"ItemBatcher",
				"ToleratedFailurePercentage",
				"ToleratedFailurePercentagePath",
				"ToleratedFailureCount",
				"ToleratedFailureCountPath",
			].find((f) => f in state);
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
				throw unsupported(
					name,
					`ItemReader.Resource "${String(reader.Resource)}"`,
					"only arn:aws:states:::s3:getObject with InputType JSON",
				);
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

		if ("ItemSelector" in state && "Parameters" in state) throw invalid(name, "ItemSelector and Parameters are mutually exclusive");
		const selector = state.ItemSelector ?? state.Parameters;
		if (selector !== undefined) params["effective.$"] = "$";

		let batcher: DistributedMapPlan["batcher"];
		if ("ItemBatcher" in state) {
			const itemBatcher = asObject(state.ItemBatcher, name, "ItemBatcher");
			for (const key of Object.keys(itemBatcher)) {
				if (
					!["MaxItemsPerBatch", "MaxItemsPerBatchPath", "MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath", "BatchInput"].includes(key)
				) {
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
		if (typeof state.ToleratedFailurePercentagePath === "string")
			params["toleratedFailurePercentage.$"] = state.ToleratedFailurePercentagePath;
		if (typeof state.ToleratedFailureCountPath === "string") params["toleratedFailureCount.$"] = state.ToleratedFailureCountPath;

		const retry = "Retry" in state ? this.adaptRetry(name, state.Retry ?? null) : undefined;
		if (retry?.some((r) => ((r as JsonObject).ErrorEquals as string[]).some((e) => e === "States.ALL" || e === EXCEED_THRESHOLD))) {
			throw unsupported(
				name,
				"Retry matching States.ExceedToleratedFailureThreshold (or States.ALL)",
				"re-running a whole Distributed Map is not implemented; retry inside the ItemProcessor instead",
			);
		}
		const catchers = "Catch" in state ? this.adaptCatch(name, state.Catch ?? null) : undefined;
		const taskRetry = retry ? Adapter.withoutTaskFailed(retry as JsonObject[]) : [];
		const taskCatch = catchers ? Adapter.withoutTaskFailed(catchers) : [];

		const key = `m${this.plans.length}`;
		this.plans.push({
			mapName: name,
			key,
			...names,
			hasReader,
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
			TimeoutSeconds: this.defaultTimeout,
			...(taskRetry.length > 0 ? { Retry: taskRetry } : {}),
			...(taskCatch.length > 0 ? { Catch: taskCatch } : {}),
			Next: name,
		};
		const iterationStates: JsonObject = {
			[names.iteration]: {
				Type: "Parallel",
				Comment: "Embedded engine only: runs one child execution of the Distributed Map and records its outcome.",
				InputPath: "$.value",
				Branches: [this.adaptMachine(processor, "processor", name, true)],
				ResultPath: "$.output",
				Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: names.recordFailed }],
				Next: names.record,
			},
			[names.record]: { Type: "Task", Resource: `${LOCAL_RESOURCE_PREFIX}record-item`, TimeoutSeconds: this.defaultTimeout, End: true },
			[names.recordFailed]: {
				Type: "Task",
				Resource: `${LOCAL_RESOURCE_PREFIX}record-failed-item`,
				TimeoutSeconds: this.defaultTimeout,
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
			Comment: `Embedded engine only: applies "${name}"'s tolerated failure threshold, ResultSelector, ResultPath, OutputPath and Catch.`,
			Resource: `${LOCAL_RESOURCE_PREFIX}check-tolerated-failures`,
			TimeoutSeconds: this.defaultTimeout,
			...("ResultSelector" in state ? { ResultSelector: state.ResultSelector ?? null } : {}),
			...("OutputPath" in state ? { OutputPath: state.OutputPath ?? null } : {}),
			...(taskCatch.length > 0 ? { Catch: taskCatch } : {}),
		};
		if ("ResultPath" in state) setResultPath(check, name, "ResultPath", state.ResultPath ?? null);
		if ("Next" in state) check.Next = this.entry(state.Next, name, "Next");
		else if (state.End === true) check.End = true;
		else throw invalid(name, "a Map must have Next or End");

		this.localStates[names.prepare] = `reads the items of "${name}" (ItemReader/ItemBatcher)`;
		this.localStates[names.iteration] = `wraps each iteration of "${name}" so a failed item is recorded, not fatal`;
		this.localStates[names.record] = `records a successful iteration of "${name}"`;
		this.localStates[names.recordFailed] = `records a failed iteration of "${name}"`;
		this.localStates[names.check] = `applies the tolerated failure threshold and output of "${name}"`;
		return { [names.prepare]: prepare, [name]: map, [names.check]: check };
	}
}

// ---------------------------------------------------------------------------------------
// Per-execution local handlers
// ---------------------------------------------------------------------------------------

interface IterationOutcome {
	readonly ok: boolean;
	readonly value: JsonValue;
	readonly items: number;
}

interface MapRun {
	readonly outcomes: (IterationOutcome | undefined)[];
	readonly percentage: number | undefined;
	readonly count: number | undefined;
}

function optionalNumber(value: JsonValue | undefined, what: string, check: (n: number) => boolean): number | undefined {
	if (value === undefined) return undefined;
	if (typeof value !== "number" || !check(value)) throw runtimeError(`${what} evaluated to ${JSON.stringify(value)}`);
	return value;
}

function createScope(plans: readonly DistributedMapPlan[], readJson: ReadJson | undefined): ExecutionScope {
	const exposed: Record<string, { items: JsonValue[] }> = {};
	const runs = new Map<string, MapRun>();
	const taskHandlers: Record<string, LocalTaskHandler> = {};

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
			exposed[plan.key] = { items };
			runs.set(plan.key, { outcomes: new Array<IterationOutcome | undefined>(items.length).fill(undefined), percentage, count });
			return null;
		};

		const record = (ok: boolean) => async (input: JsonValue) => {
			const run = runs.get(plan.key);
			if (!run || !isJsonObject(input) || typeof input.index !== "number")
				throw runtimeError(`no running Map "${plan.mapName}" to record an item in`);
			const value = ok ? (Array.isArray(input.output) ? (input.output[0] ?? null) : null) : (input.error ?? null);
			run.outcomes[input.index] = { ok, value, items: countItems(input.value) };
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
			for (let i = 0; i < run.outcomes.length; i++) {
				const outcome = run.outcomes[i] ?? {
					ok: false,
					value: { Error: "States.Runtime", Cause: "the iteration left no result" },
					items: 1,
				};
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
			if (exceeded) {
				throw namedError(
					EXCEED_THRESHOLD,
					`The specified tolerated failure threshold was exceeded: ${failed} of ${total} items failed (tolerated: ${limits.join(" or ") || "none"})`,
				);
			}
			return results;
		};
	}
	return { taskHandlers, context: { [LOCAL_CONTEXT_KEY]: exposed } };
}

/**
 * Returns a definition aws-local-stepfunctions 3.0.0 runs with the behaviour AWS gives the
 * original, plus what the engine module needs to run it. Throws UnsupportedDefinitionError
 * (naming the state and the field) for anything it cannot run faithfully, and
 * MissingSubstitutionError for a `${Name}` without a value.
 */
export function adaptForLocalEngine(definition: unknown, options: AdaptOptions = {}): AdaptedDefinition {
	const parsed: unknown = typeof definition === "string" ? JSON.parse(definition) : definition;
	const substituted = substituteDefinition(toJsonValue(parsed), options.substitutions ?? {});
	if (!isJsonObject(substituted)) throw new UnsupportedDefinitionError("state machine: the definition must be a JSON object");
	const adapter = new Adapter(options);
	const adapted = adapter.run(substituted);
	if (adapter.plans.some((p) => p.hasReader) && !options.readJson) {
		throw new UnsupportedDefinitionError("state machine: a Map with an ItemReader needs the readJson option");
	}
	const plans = [...adapter.plans];
	return {
		definition: adapted as unknown as StateMachineDefinition,
		substituted,
		taskResources: adapter.taskResources,
		localStates: adapter.localStates,
		createExecutionScope: () => createScope(plans, options.readJson),
	};
}
