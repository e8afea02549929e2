import { createReadStream, existsSync, statSync } from "node:fs";
import { basename } from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ValidationError } from "../core/errors.js";
import { type ImportSource, importKindOf } from "./import.js";
import { formatOf, numbersAsStrings } from "./read.js";
import type { ImportKind } from "./rows.js";

/** Where an import's bytes come from: a file on this machine, or an object in the stack's bucket. */

export function fileSource(path: string, kind?: string): ImportSource {
	if (!existsSync(path)) throw new ValidationError(`${path}: no such file`);
	return {
		name: basename(path),
		kind: importKindOf(path, kind),
		format: formatOf(path),
		open: () => createReadStream(path),
		size: statSync(path).size,
	};
}

/** A file a person uploaded at the desk, its kind from its name (or `kind`) as for a file on disk. */
export function uploadedSource(name: string, content: string, kind?: string): ImportSource {
	const bytes = Buffer.from(content, "utf8");
	return { name, kind: importKindOf(name, kind), format: formatOf(name), open: () => Readable.from([bytes]), size: bytes.length };
}

/**
 * Read as a stream, never whole. With the version S3's event names, a redelivered event for
 * a key put again since reads the version it was sent for, not the newest.
 */
export function s3Source(
	s3: S3Client,
	bucket: string,
	key: string,
	options: { readonly kind?: string; readonly size?: number; readonly versionId?: string } = {},
): ImportSource {
	return {
		name: key,
		kind: importKindOf(key, options.kind),
		format: formatOf(key),
		open: async () => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: options.versionId }))).Body as Readable,
		...(options.size === undefined ? {} : { size: options.size }),
	};
}

/**
 * Records posted as JSON (one object, or an array of at most `max`), as an import of one
 * kind: numbers keep their digits (never read as floats) and `fields` are set on every
 * record (the account id of PUT /accounts/{id}). Record N is "line N" in the errors.
 */
export function jsonBodySource(
	name: string,
	kind: ImportKind,
	body: string,
	options: { readonly max: number; readonly fields?: Readonly<Record<string, string>> },
): ImportSource {
	let parsed: unknown;
	try {
		parsed = JSON.parse(numbersAsStrings(body));
	} catch {
		throw new ValidationError("the body is not JSON");
	}
	const records = Array.isArray(parsed) ? parsed : [parsed];
	if (records.length === 0) throw new ValidationError("no records in the body");
	if (records.length > options.max) throw new ValidationError(`${records.length} records; at most ${options.max} a request`);
	const lines: string[] = [];
	for (const [i, record] of records.entries()) {
		if (typeof record !== "object" || record === null || Array.isArray(record))
			throw new ValidationError(`record ${i + 1} is not a JSON object`);
		for (const [field, value] of Object.entries(options.fields ?? {})) {
			const given = (record as Record<string, unknown>)[field];
			if (given !== undefined && given !== value)
				throw new ValidationError(`record ${i + 1}: ${field} is ${JSON.stringify(given)}, the path says ${value}`);
		}
		lines.push(JSON.stringify({ ...record, ...options.fields }));
	}
	const text = `${lines.join("\n")}\n`;
	return { name, kind, format: "jsonl", open: () => Readable.from([Buffer.from(text)]), size: Buffer.byteLength(text) };
}
