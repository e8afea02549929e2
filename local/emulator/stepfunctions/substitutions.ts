import { isJsonObject, type JsonObject, type JsonValue } from "./json.js";

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
