/**
 * The flow of an Amazon States Language definition as the console draws it: states and
 * the transitions between them (Next, each Choice rule, Default, Catch, End), with the
 * states of a Map's ItemProcessor (or a Parallel's branches) as graphs of their own,
 * drawn inside their Map. Read from the definition itself (statemachines/*.asl.json, as
 * DescribeStateMachine returns it), the single source of the flow.
 */

export type TransitionKind = "start" | "next" | "choice" | "default" | "catch" | "end";

export interface AslTransition {
	readonly from: string;
	readonly to: string;
	readonly kind: TransitionKind;
	readonly label?: string;
}

export interface AslState {
	readonly name: string;
	readonly type: string;
	readonly comment?: string;
	/** The Map or Parallel state it runs in (absent at the top level). */
	readonly parent?: string;
	/** A Map's ItemProcessor (one graph) or a Parallel's branches. */
	readonly children: readonly AslFlow[];
	/** A Fail state's error and cause, as the definition states them. */
	readonly error?: string;
	readonly cause?: string;
	/** A distributed Map's ItemProcessor settings, as stated. */
	readonly processor?: { readonly mode?: string; readonly executionType?: string };
	/** A Map with an ItemBatcher: each child execution takes a batch of items. */
	readonly batched?: boolean;
}

export interface AslFlow {
	readonly startAt: string;
	readonly states: readonly AslState[];
	readonly transitions: readonly AslTransition[];
}

/** Pseudo-states of the top-level flow, drawn as AWS draws them. */
export const START = "Start";
export const END = "End";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

const OPERATORS: Readonly<Record<string, string>> = {
	StringEquals: "==",
	StringLessThan: "<",
	StringGreaterThan: ">",
	StringLessThanEquals: "<=",
	StringGreaterThanEquals: ">=",
	StringMatches: "matches",
	NumericEquals: "==",
	NumericLessThan: "<",
	NumericGreaterThan: ">",
	NumericLessThanEquals: "<=",
	NumericGreaterThanEquals: ">=",
	BooleanEquals: "==",
	TimestampEquals: "==",
	TimestampLessThan: "<",
	TimestampGreaterThan: ">",
	TimestampLessThanEquals: "<=",
	TimestampGreaterThanEquals: ">=",
};

/** A Choice rule in a few words: `$.reports.quarterEnd is present and == true`. */
export function describeRule(rule: Json): string {
	for (const [key, joiner] of [
		["And", " and "],
		["Or", " or "],
	] as const) {
		const rules = rule[key];
		if (!Array.isArray(rules)) continue;
		const parts = rules.filter(isObject);
		const variable = parts[0]?.Variable;
		// One variable tested twice reads once: `$.x is present and == true`.
		const same = typeof variable === "string" && parts.every((r) => r.Variable === variable);
		return parts.map((r, i) => (same && i > 0 ? describeRule(r).slice(variable.length + 1) : describeRule(r))).join(joiner);
	}
	if (isObject(rule.Not)) return `not (${describeRule(rule.Not)})`;
	const variable = typeof rule.Variable === "string" ? rule.Variable : "";
	for (const [key, value] of Object.entries(rule)) {
		if (key === "Variable" || key === "Next" || key === "Comment") continue;
		const isPath = key.endsWith("Path") && OPERATORS[key.slice(0, -4)] !== undefined;
		const operator = OPERATORS[isPath ? key.slice(0, -4) : key];
		if (operator) return `${variable} ${operator} ${isPath ? String(value) : JSON.stringify(value)}`;
		if (key.startsWith("Is")) return `${variable} ${value === false ? "is not" : "is"} ${key.slice(2).toLowerCase()}`;
	}
	return variable;
}

function parseFlow(machine: unknown, parent: string | undefined): AslFlow {
	if (!isObject(machine) || !isObject(machine.States) || typeof machine.StartAt !== "string") {
		throw new Error(`${parent ? `state "${parent}": ` : ""}a state machine needs StartAt and States`);
	}
	const states: AslState[] = [];
	const transitions: AslTransition[] = [];
	const top = parent === undefined;
	if (top) transitions.push({ from: START, to: machine.StartAt, kind: "start" });
	for (const [name, value] of Object.entries(machine.States)) {
		if (!isObject(value)) continue;
		const type = String(value.Type ?? "");
		const children: AslFlow[] = [];
		let processor: AslState["processor"];
		if (type === "Map") {
			const definition = value.ItemProcessor ?? value.Iterator;
			if (definition !== undefined) children.push(parseFlow(definition, name));
			const config = isObject(definition) && isObject(definition.ProcessorConfig) ? definition.ProcessorConfig : undefined;
			if (config) {
				processor = {
					...(typeof config.Mode === "string" ? { mode: config.Mode } : {}),
					...(typeof config.ExecutionType === "string" ? { executionType: config.ExecutionType } : {}),
				};
			}
		}
		if (type === "Parallel" && Array.isArray(value.Branches)) for (const branch of value.Branches) children.push(parseFlow(branch, name));
		states.push({
			name,
			type,
			...(typeof value.Comment === "string" ? { comment: value.Comment } : {}),
			...(parent !== undefined ? { parent } : {}),
			children,
			...(type === "Fail" && typeof value.Error === "string" ? { error: value.Error } : {}),
			...(type === "Fail" && typeof value.Cause === "string" ? { cause: value.Cause } : {}),
			...(processor ? { processor } : {}),
			...(type === "Map" && value.ItemBatcher !== undefined ? { batched: true } : {}),
		});
		if (typeof value.Next === "string") transitions.push({ from: name, to: value.Next, kind: "next" });
		if (Array.isArray(value.Choices)) {
			for (const rule of value.Choices) {
				if (isObject(rule) && typeof rule.Next === "string") {
					transitions.push({ from: name, to: rule.Next, kind: "choice", label: describeRule(rule) });
				}
			}
		}
		if (typeof value.Default === "string") transitions.push({ from: name, to: value.Default, kind: "default", label: "Default" });
		if (Array.isArray(value.Catch)) {
			for (const catcher of value.Catch) {
				if (isObject(catcher) && typeof catcher.Next === "string") {
					const errors = Array.isArray(catcher.ErrorEquals) ? catcher.ErrorEquals.join(", ") : "";
					transitions.push({ from: name, to: catcher.Next, kind: "catch", label: `Catch ${errors}` });
				}
			}
		}
		if (top && (value.End === true || type === "Succeed" || type === "Fail")) transitions.push({ from: name, to: END, kind: "end" });
	}
	return { startAt: machine.StartAt, states, transitions };
}

/** The flow of a definition (an object or its JSON text). */
export function parseAsl(definition: unknown): AslFlow {
	return parseFlow(typeof definition === "string" ? (JSON.parse(definition) as unknown) : definition, undefined);
}

/** Every state of the flow at any depth, parents before their children. */
export function allStates(flow: AslFlow): AslState[] {
	return flow.states.flatMap((s) => [s, ...s.children.flatMap(allStates)]);
}
