import { createInterface } from "node:readline";
import { type Readable, Transform } from "node:stream";
import { parse } from "csv-parse";

/**
 * Reads an import file as a stream of rows, each with the line it starts on: CSV (RFC
 * 4180, header row, BOM and CRLF allowed, quoted fields with commas and line breaks) or
 * JSON Lines. Text that is not UTF-8 stops the file with the line it was found on.
 */

export interface ImportRow {
	readonly line: number;
	/** Field values as written; a JSON number keeps its digits, never read as a float. */
	readonly fields: Readonly<Record<string, string>>;
}

export type ImportFormat = "csv" | "jsonl";

/** A problem with the file as a whole (encoding, header, broken CSV, a line that is not JSON): where, and why. */
export class ImportFileError extends Error {
	constructor(
		readonly line: number,
		readonly field: string,
		readonly reason: string,
	) {
		super(`line ${line}: ${field}: ${reason}`);
		this.name = "ImportFileError";
	}
}

export function formatOf(fileName: string): ImportFormat {
	return /\.(jsonl|ndjson)$/i.test(fileName) ? "jsonl" : "csv";
}

/** How many line breaks precede the first line of `bytes` that is not UTF-8. */
function firstBadLine(bytes: Buffer): number {
	let breaks = 0;
	for (let start = 0; start <= bytes.length; breaks++) {
		const end = bytes.indexOf(10, start);
		try {
			new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, end < 0 ? bytes.length : end));
		} catch {
			return breaks;
		}
		if (end < 0) return breaks;
		start = end + 1;
	}
	return breaks;
}

/** Decodes UTF-8 strictly, so a file saved in another encoding is refused instead of read as garbage. */
function strictUtf8(): Transform {
	const decoder = new TextDecoder("utf-8", { fatal: true });
	let line = 1;
	const decode = (bytes?: Buffer): string => {
		try {
			const text = bytes ? decoder.decode(bytes, { stream: true }) : decoder.decode();
			for (const c of text) if (c === "\n") line++;
			return text;
		} catch {
			throw new ImportFileError(
				bytes ? line + firstBadLine(bytes) : line,
				"(file)",
				"is not UTF-8 text; save it as UTF-8 (in Excel: CSV UTF-8)",
			);
		}
	};
	return new Transform({
		transform(chunk: Buffer, _encoding, done) {
			try {
				done(null, decode(chunk));
			} catch (err) {
				done(err as Error);
			}
		},
		flush(done) {
			try {
				done(null, decode());
			} catch (err) {
				done(err as Error);
			}
		},
	});
}

/** `columns`: every column the kind has; a CSV header without one of `required` is refused at once. */
export async function* readRows(
	source: Readable,
	format: ImportFormat,
	columns: readonly string[],
	required: readonly string[],
): AsyncGenerator<ImportRow> {
	const text = source.pipe(strictUtf8());
	source.on("error", (err) => text.destroy(err));
	yield* format === "csv" ? csvRows(text, columns, required) : jsonLines(text, columns);
}

async function* csvRows(text: Readable, columns: readonly string[], required: readonly string[]): AsyncGenerator<ImportRow> {
	const known = new Set(columns);
	const parser = parse({
		bom: true,
		skip_empty_lines: true,
		info: true,
		columns: (header: string[]) => {
			const names = header.map((h) => h.trim());
			const unknown = names.filter((n) => !known.has(n));
			if (unknown.length > 0) throw new ImportFileError(1, unknown.join(", "), `unknown column; the columns are ${columns.join(", ")}`);
			const twice = names.filter((n, i) => names.indexOf(n) !== i);
			if (twice.length > 0) throw new ImportFileError(1, twice.join(", "), "column appears twice");
			const missing = required.filter((n) => !names.includes(n));
			if (missing.length > 0) throw new ImportFileError(1, missing.join(", "), "required column missing");
			return names;
		},
	});
	text.on("error", (err) => parser.destroy(err));
	text.pipe(parser);
	let previousEnd = 1;
	let emptyLines = 0;
	try {
		for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { empty_lines: number } }>) {
			const line = previousEnd + 1 + (info.empty_lines - emptyLines);
			emptyLines = info.empty_lines;
			const breaks = Object.values(record).reduce((n, v) => n + (v.match(/\n/g)?.length ?? 0), 0);
			previousEnd = line + breaks;
			yield { line, fields: record };
		}
	} catch (err) {
		if (err instanceof ImportFileError) throw err;
		const csvError = err as { code?: string; lines?: number; message?: string };
		if (csvError.code?.startsWith("CSV_")) {
			throw new ImportFileError(
				csvError.lines ?? previousEnd + 1,
				"(row)",
				(csvError.message ?? "").replace(/^Invalid Record Length: /, ""),
			);
		}
		throw err;
	}
}

async function* jsonLines(text: Readable, columns: readonly string[]): AsyncGenerator<ImportRow> {
	const known = new Set(columns);
	let line = 0;
	for await (const raw of createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY })) {
		line++;
		const source = line === 1 ? raw.replace(/^\uFEFF/, "") : raw;
		if (source.trim() === "") continue;
		let parsed: unknown;
		try {
			parsed = JSON.parse(numbersAsStrings(source));
		} catch {
			throw new ImportFileError(line, "(row)", "is not a JSON object");
		}
		if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
			throw new ImportFileError(line, "(row)", "is not a JSON object");
		const fields: Record<string, string> = {};
		for (const [name, value] of Object.entries(parsed)) {
			if (!known.has(name)) throw new ImportFileError(line, name, `unknown field; the fields are ${columns.join(", ")}`);
			if (value === null) continue;
			if (typeof value === "object") throw new ImportFileError(line, name, "must be a string, number or boolean");
			fields[name] = String(value);
		}
		yield { line, fields };
	}
}

/**
 * Puts quotes around the numbers of a JSON text (outside its strings), so `19.99` is read
 * as the digits "19.99" and never passes through a binary float.
 */
export function numbersAsStrings(json: string): string {
	let out = "";
	let inString = false;
	for (let i = 0; i < json.length; i++) {
		const c = json[i] as string;
		if (inString) {
			out += c;
			if (c === "\\") out += json[++i] ?? "";
			else if (c === '"') inString = false;
		} else if (c === '"') {
			inString = true;
			out += c;
		} else if (c === "-" || (c >= "0" && c <= "9")) {
			const number = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(json.slice(i))?.[0] ?? c;
			out += JSON.stringify(number);
			i += number.length - 1;
		} else out += c;
	}
	return out;
}
