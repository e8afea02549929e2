import type { S3Client } from "@aws-sdk/client-s3";
import * as z from "zod";
import { readObjectBytes } from "../platform/s3-objects.js";

/**
 * Where a Distributed Map's ResultWriter left its results: the map state's
 * `ResultWriterDetails`, pointing at `<prefix>/<map run id>/manifest.json`.
 */
export const mapResultsSchema = z.object({ Bucket: z.string().min(1), Key: z.string().min(1) });
export type MapResultsLocation = z.infer<typeof mapResultsSchema>;

const manifestSchema = z.object({
	ResultFiles: z.object({
		SUCCEEDED: z.array(z.object({ Key: z.string() })).default([]),
		FAILED: z.array(z.object({ Key: z.string() })).default([]),
		PENDING: z.array(z.object({ Key: z.string() })).default([]),
	}),
});

/** One child execution as the ResultWriter records it; Input and Output are JSON text. */
const childSchema = z.object({
	Status: z.string(),
	Input: z.string().optional(),
	Output: z.string().optional(),
	Error: z.string().optional(),
	Cause: z.string().optional(),
});

export interface FailedChild {
	readonly input: unknown;
	readonly error: string;
	readonly cause: string;
}

async function readJson(s3: S3Client, bucket: string, key: string): Promise<unknown> {
	return JSON.parse(new TextDecoder().decode(await readObjectBytes(s3, bucket, key)));
}

/**
 * Folds a map run's results: `onSucceeded` gets each successful child's output, parsed
 * with `outputSchema`; `onFailed` each failed (or never finished) child's input and error.
 * The result files are read one at a time, so a combining step holds one file, not the
 * whole run, in memory.
 */
export async function foldMapResults<T extends z.ZodType>(
	s3: S3Client,
	location: MapResultsLocation,
	outputSchema: T,
	onSucceeded: (output: z.infer<T>) => void,
	onFailed: (child: FailedChild) => void,
): Promise<void> {
	const manifest = manifestSchema.parse(await readJson(s3, location.Bucket, location.Key));
	const files = [
		...manifest.ResultFiles.SUCCEEDED.map((f) => ({ ...f, ok: true })),
		...manifest.ResultFiles.FAILED.map((f) => ({ ...f, ok: false })),
		...manifest.ResultFiles.PENDING.map((f) => ({ ...f, ok: false })),
	];
	for (const file of files) {
		const children = z.array(childSchema).parse(await readJson(s3, location.Bucket, file.Key));
		for (const child of children) {
			if (file.ok && child.Status === "SUCCEEDED") {
				onSucceeded(outputSchema.parse(JSON.parse(child.Output ?? "null")));
				continue;
			}
			onFailed({
				input: child.Input === undefined ? null : JSON.parse(child.Input),
				error: child.Error ?? child.Status,
				cause: child.Cause ?? "",
			});
		}
	}
}

/** The accounts a failed child carried (its batch's Items), or none when its input says nothing. */
export function accountsOfFailedChild(child: FailedChild): string[] {
	const parsed = z.object({ Items: z.array(z.object({ accountId: z.string() })) }).safeParse(child.input);
	return parsed.success ? parsed.data.Items.map((i) => i.accountId) : [];
}
