import type { StateMachineDefinition } from "aws-local-stepfunctions";
import { asObject, invalid, UnsupportedDefinitionError, unsupported } from "./definition-errors.js";
import { type AdapterContext, isDistributed, type PlannedNames, rewriteDistributedMap } from "./distributed-map.js";
import { isJsonObject, isPositiveInteger, type JsonObject, type JsonValue, toJsonValue } from "./json.js";
import { createScope } from "./local-handlers.js";
import type { DistributedMapPlan, ExecutionScope, ReadJson, WriteJson } from "./local-states.js";
import { setResultPath } from "./reference-paths.js";
import { substituteDefinition } from "./substitutions.js";
import {
	CATCHER_FIELDS,
	COMPARISON_OPERATORS,
	FIELD_HINTS,
	LAMBDA_FUNCTION_ARN,
	LAMBDA_INVOKE,
	MACHINE_FIELDS,
	type MachineKind,
	RETRIER_FIELDS,
	STATE_TYPES,
	type StateType,
	SUPPORTED_FIELDS,
	TYPE_TESTS,
} from "./supported-fields.js";

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

export interface AdaptOptions {
	/** `${Name}` → value, the same map CDK passes as DefinitionSubstitutions. */
	readonly substitutions?: Readonly<Record<string, string>>;
	/** Needed when the definition has a Map with an ItemReader. */
	readonly readJson?: ReadJson;
	/** Needed when the definition has a Map with a ResultWriter. */
	readonly writeJson?: WriteJson;
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

/** Longest timer Node keeps (2^31-1 ms); longer ones fire at once. */
const MAX_TIMER_SECONDS = 2_147_483;
const DEFAULT_TASK_TIMEOUT_SECONDS = 900;

/** A retrier or catcher whose fields and ErrorEquals are checked. */
type ErrorRule = JsonObject & { readonly ErrorEquals: JsonValue[] };

/**
 * Checks a Retry or Catch array, each rule in turn (only `fields`, ErrorEquals a list of
 * error names), and adapts the rule with `adapt` before checking the next one.
 */
function adaptErrorRules<T>(
	state: string,
	field: "Retry" | "Catch",
	rules: JsonValue,
	fields: readonly string[],
	adapt: (rule: ErrorRule, i: number) => T,
): T[] {
	if (!Array.isArray(rules)) throw invalid(state, `${field} must be an array`);
	return rules.map((r, i) => {
		const rule = asObject(r, state, `${field}[${i}]`);
		for (const key of Object.keys(rule)) {
			if (!fields.includes(key)) throw unsupported(state, `${field}[${i}].${key}`, FIELD_HINTS[key]);
		}
		if (!Array.isArray(rule.ErrorEquals) || !rule.ErrorEquals.every((e) => typeof e === "string")) {
			throw invalid(state, `${field}[${i}].ErrorEquals must be an array of error names`);
		}
		return adapt(rule as ErrorRule, i);
	});
}

class Adapter implements AdapterContext {
	private readonly names = new Set<string>();
	private readonly entryNames = new Map<string, string>();
	readonly plannedNames = new Map<string, PlannedNames>();
	readonly taskResources: Record<string, TaskResource> = {};
	readonly localStates: Record<string, string> = {};
	readonly plans: DistributedMapPlan[] = [];
	readonly defaultTimeout: number;

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
	entry(name: JsonValue | undefined, state: string, field: string): string {
		if (typeof name !== "string") throw invalid(state, `${field} must be a state name`);
		return this.entryNames.get(name) ?? name;
	}

	adaptMachine(machine: JsonObject, kind: MachineKind, owner: string | undefined, insideMap: boolean): JsonObject {
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

	adaptRetry(state: string, retry: JsonValue): JsonValue[] {
		return adaptErrorRules(state, "Retry", retry, RETRIER_FIELDS, ({ Comment: _comment, ...rest }) => rest);
	}

	adaptCatch(state: string, catchers: JsonValue): JsonObject[] {
		return adaptErrorRules(state, "Catch", catchers, CATCHER_FIELDS, (catcher, i) => {
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
		if (stateType === "Map" && isDistributed(state)) return rewriteDistributedMap(this, name, state, insideMap);

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
	if (adapter.plans.some((p) => p.hasWriter) && !options.writeJson) {
		throw new UnsupportedDefinitionError("state machine: a Map with a ResultWriter needs the writeJson option");
	}
	const plans = [...adapter.plans];
	return {
		definition: adapted as unknown as StateMachineDefinition,
		substituted,
		taskResources: adapter.taskResources,
		localStates: adapter.localStates,
		createExecutionScope: () => createScope(plans, options.readJson, options.writeJson),
	};
}
