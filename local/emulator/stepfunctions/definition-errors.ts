import { isJsonObject, type JsonObject, type JsonValue } from "./json.js";

/** A definition the embedded engine cannot run faithfully, or a malformed one. */
export class UnsupportedDefinitionError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "UnsupportedDefinitionError";
	}
}

function where(state: string | undefined): string {
	return state === undefined ? "state machine" : `state "${state}"`;
}

export function unsupported(state: string | undefined, field: string, detail?: string): UnsupportedDefinitionError {
	return new UnsupportedDefinitionError(
		`${where(state)}: field ${field} is not supported by the embedded Step Functions engine${detail ? ` (${detail})` : ""}`,
	);
}

export function invalid(state: string | undefined, message: string): UnsupportedDefinitionError {
	return new UnsupportedDefinitionError(`${where(state)}: ${message}`);
}

export function asObject(value: JsonValue | undefined, state: string | undefined, field: string): JsonObject {
	if (!isJsonObject(value)) throw invalid(state, `${field} must be a JSON object`);
	return value;
}
