/** Reference paths (ResultPath). */

import { invalid, unsupported } from "./definition-errors.js";
import type { JsonObject, JsonValue } from "./json.js";

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

export function setResultPath(target: JsonObject, state: string, field: string, value: JsonValue): void {
	const normalized = normalizeResultPath(state, field, value);
	if (normalized === undefined) delete target[field];
	else target[field] = normalized;
}
