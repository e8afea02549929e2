import { createReadStream, existsSync } from "node:fs";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ValidationError } from "../core/errors.js";
import { type ImportSource, importKindOf } from "./import.js";
import { formatOf } from "./read.js";

/** Where an import's bytes come from: a file on this machine, or an object in the stack's bucket. */

export function fileSource(path: string, kind?: string): ImportSource {
	if (!existsSync(path)) throw new ValidationError(`${path}: no such file`);
	return { name: basename(path), kind: importKindOf(path, kind), format: formatOf(path), open: () => createReadStream(path) };
}

/** Read as a stream, twice for a charge file (checked, then written), never whole. */
export function s3Source(s3: S3Client, bucket: string, key: string, kind?: string): ImportSource {
	return {
		name: key,
		kind: importKindOf(key, kind),
		format: formatOf(key),
		open: async () => (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable,
	};
}
