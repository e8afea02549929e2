/** The JSON values a state machine definition and its state data are made of. */

export type JsonPrimitive = null | boolean | number | string;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy that is plain JSON (undefined becomes null at the top, dropped in objects). */
export function toJsonValue(value: unknown): JsonValue {
	if (value === undefined) return null;
	return JSON.parse(JSON.stringify(value)) as JsonValue;
}

export function isPositiveInteger(value: unknown): value is number {
	return typeof value === "number" && Number.isInteger(value) && value > 0;
}
