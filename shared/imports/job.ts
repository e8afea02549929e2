import { createHash } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import * as z from "zod";
import { ValidationError } from "../core/errors.js";
import { foldMapResults, type MapResultsLocation } from "../cycle/map-results.js";
import { readObjectBytes } from "../platform/s3-objects.js";
import { importRunPut } from "../store/imports.js";
import type { TableDeps } from "../store/records.js";
import { checkCharges, writeCharges } from "./charges.js";
import { type ImportResult, readStoredState, rowsOf } from "./import.js";
import type { KindCounts } from "./plan.js";
import { Problems } from "./problems.js";
import { writeImportResult } from "./results.js";
import { s3Source } from "./sources.js";
import { type ChargePartitions, ChargeSpill, decodeCharges, type PartitionSink, type SpilledCharge } from "./spill.js";
import { endImportLease, holdImportLease } from "./writing.js";

/**
 * A charge file too large for one Lambda invocation, imported as a Step Functions job
 * (statemachines/import-job.asl.json): the same phases as a one-shot import (import.ts),
 * each a step. Check File reads the object version the event named and spills its checked
 * rows by account into partition objects under import-jobs/<jobId>/ with a manifest; each
 * partition is checked against the store, then (nothing refused) written with the same
 * ChargeWriter path, which converges: a retried or re-driven step, or the same file run
 * again, ends where one run would have. The job holds the import's writing lease from the
 * moment it writes until it is recorded (or failed), so billing runs wait for it.
 */

/** Where an import job keeps its partitions, manifest and map results (functions/catalog.ts bucketObjects.importJobs). */
export const IMPORT_JOBS_PREFIX = "import-jobs/";

export const importJobSchema = z.object({
	jobId: z.string().min(1),
	bucket: z.string().min(1),
	key: z.string().min(1),
	versionId: z.string().optional(),
	size: z.number().int().nonnegative().optional(),
	actor: z.string().min(1),
	startedAt: z.string().min(1),
});
export type ImportJob = z.infer<typeof importJobSchema>;

/** The problems of a check, as a step's output carries them: the count and the first 100. */
export const problemsSchema = z.object({ problemCount: z.number().int().nonnegative(), errors: z.array(z.string()) });
export type ProblemsOutput = z.infer<typeof problemsSchema>;

export const checkedFileSchema = problemsSchema.extend({
	rows: z.number().int().nonnegative(),
	partitions: z.number().int().nonnegative(),
	manifest: z.object({ bucket: z.string(), key: z.string() }),
});
export type CheckedFile = z.infer<typeof checkedFileSchema>;

/** A partition of the job, as the manifest lists it (one Distributed Map item): its chunk objects, in order. */
export const partitionItemSchema = z.object({ partition: z.number().int().nonnegative(), keys: z.array(z.string().min(1)) });
export type PartitionItem = z.infer<typeof partitionItemSchema>;

export const countsSchema = z.object({ created: z.number(), updated: z.number(), unchanged: z.number() });

/**
 * The job of one object version: the same key and version, the same id, so the execution a
 * redelivered event starts is the one already running (ExecutionAlreadyExists).
 */
export function importJobId(key: string, versionId: string | undefined): string {
	const hash = createHash("sha256")
		.update(`${key}\n${versionId ?? ""}`)
		.digest("hex")
		.slice(0, 32);
	return `import-${hash}`;
}

export interface JobDeps extends TableDeps {
	readonly s3: S3Client;
}

function problemsOf(problems: Problems): ProblemsOutput {
	return { problemCount: problems.count, errors: problems.errors };
}

/** The partitions the manifest's items name, each read from its chunk objects. */
const partitionsOf = (deps: JobDeps, job: ImportJob, items: readonly PartitionItem[]): ChargePartitions => ({
	async *each() {
		for (const item of items) {
			let text = "";
			for (const key of item.keys) text += new TextDecoder().decode(await readObjectBytes(deps.s3, job.bucket, key));
			yield decodeCharges(text, [job.key]);
		}
	},
});

/** Chunk objects in S3 put at once, at most. */
const PUTS_IN_FLIGHT = 16;
/** Characters a partition holds before they go to S3 as one chunk object. */
const CHUNK_CHARS = 256 * 1024;

/**
 * An import job's partitions as chunk objects, import-jobs/<jobId>/partitions/<p>/<n>.jsonl:
 * S3 has no append, so each batch of a partition is an object of its own, put while the file
 * is still read (up to PUTS_IN_FLIGHT at once), and the manifest lists each partition's chunks.
 */
export class S3ChunkSink implements PartitionSink {
	readonly chunks = new Map<number, string[]>();
	private readonly inFlight = new Set<Promise<void>>();
	private failure: unknown;

	constructor(
		private readonly s3: S3Client,
		private readonly bucket: string,
		private readonly prefix: string,
		readonly flushChars = CHUNK_CHARS,
	) {}

	async append(partition: number, text: string): Promise<void> {
		if (this.failure !== undefined) throw this.failure;
		const keys = this.chunks.get(partition) ?? [];
		const key = `${this.prefix}/partitions/${partition}/${keys.length}.jsonl`;
		keys.push(key);
		this.chunks.set(partition, keys);
		const put: Promise<void> = putJson(this.s3, this.bucket, key, text, "application/x-ndjson")
			.catch((err: unknown) => {
				this.failure ??= err;
			})
			.finally(() => this.inFlight.delete(put));
		this.inFlight.add(put);
		if (this.inFlight.size >= PUTS_IN_FLIGHT) await Promise.race(this.inFlight);
	}

	/** Every chunk put (or the first failure thrown). */
	async drain(): Promise<void> {
		await Promise.all(this.inFlight);
		if (this.failure !== undefined) throw this.failure;
	}

	async read(partition: number): Promise<string | undefined> {
		await this.drain();
		const keys = this.chunks.get(partition);
		if (keys === undefined) return undefined;
		let text = "";
		for (const key of keys) text += new TextDecoder().decode(await readObjectBytes(this.s3, this.bucket, key));
		return text;
	}

	close(): void {}
}

async function putJson(s3: S3Client, bucket: string, key: string, body: string, type = "application/json"): Promise<void> {
	await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: type }));
}

/**
 * Check File: every row read and checked on its own (pass 1), the checked rows spilled by
 * account into partition objects, and the manifest listing them. Its output is small:
 * counts, keys and the first problems.
 */
export async function checkImportFile(deps: { readonly s3: S3Client }, job: ImportJob): Promise<CheckedFile> {
	const source = s3Source(deps.s3, job.bucket, job.key, { size: job.size, versionId: job.versionId });
	if (source.kind !== "charges") throw new ValidationError(`${job.key}: only charge files run as an import job`);
	const problems = new Problems(false);
	const prefix = `${IMPORT_JOBS_PREFIX}${job.jobId}`;
	const sink = new S3ChunkSink(deps.s3, job.bucket, prefix);
	const spill = new ChargeSpill(job.size, () => sink);
	const rows = rowsOf(source, problems, "checking");
	let next = await rows.next();
	for (; !next.done; next = await rows.next()) {
		if (next.value.kind !== "charges") continue;
		const spilling = spill.add({ ...next.value.row, file: job.key });
		if (spilling) await spilling;
	}
	await spill.finish();
	await sink.drain();
	// One file per job: its rows name it as file 0 (partitionsOf reads them so).
	const items: PartitionItem[] = [...sink.chunks.entries()].sort(([a], [b]) => a - b).map(([partition, keys]) => ({ partition, keys }));
	const manifest = { bucket: job.bucket, key: `${prefix}/manifest.json` };
	await putJson(deps.s3, job.bucket, manifest.key, JSON.stringify(items));
	return { ...problemsOf(problems), rows: next.value, partitions: items.length, manifest };
}

/** Stored state of the accounts a partition's rows name: their currency and invoiced months (the charges are read per partition). */
async function stateOf(deps: JobDeps, rows: readonly SpilledCharge[]) {
	const state = await readStoredState(deps, new Map(), new Map(), new Map(), new Set(rows.map((r) => r.accountId)));
	return { state, currencyOf: (id: string) => state.accounts.get(id)?.currency };
}

/** Check Partitions (one child): the partitions' charges against the store, as a one-shot import checks them. */
export async function checkImportPartitions(deps: JobDeps, job: ImportJob, items: readonly PartitionItem[]): Promise<ProblemsOutput> {
	const problems = new Problems(false);
	for await (const rows of partitionsOf(deps, job, items).each()) {
		const { state, currencyOf } = await stateOf(deps, rows);
		await checkCharges(deps, { each: () => [rows] }, state, currencyOf, problems);
	}
	return problemsOf(problems);
}

const MAX_ERRORS = 100;

/**
 * Summarize Checks: the file's and the partitions' problems added up. Any problem and the
 * file is refused (its result says why; nothing was written). Otherwise the job takes the
 * import's writing lease: billing runs wait from here.
 */
export async function summarizeImportChecks(
	deps: JobDeps,
	job: ImportJob,
	checked: ProblemsOutput,
	results: MapResultsLocation,
): Promise<{ refused: boolean; problemCount: number }> {
	let problemCount = checked.problemCount;
	const errors = [...checked.errors];
	const failed: string[] = [];
	await foldMapResults(
		deps.s3,
		results,
		problemsSchema,
		(out) => {
			problemCount += out.problemCount;
			errors.push(...out.errors.slice(0, MAX_ERRORS - errors.length));
		},
		(child) => failed.push(`${child.error}: ${child.cause}`),
	);
	if (failed.length > 0) throw new Error(`${failed.length} partition checks failed: ${failed[0]}`);
	if (problemCount > 0) {
		await writeImportResult(deps.s3, job.bucket, job.key, {
			status: "refused",
			errorCount: problemCount,
			errors: errors.slice(0, MAX_ERRORS),
			jobId: job.jobId,
		});
		return { refused: true, problemCount };
	}
	await holdImportLease(deps, leaseOf(job));
	return { refused: false, problemCount: 0 };
}

const leaseOf = (job: ImportJob) => ({ importId: job.jobId, actor: job.actor, files: [job.key], startedAt: job.startedAt });
const auditOf = (job: ImportJob) => (file: string) => ({ actor: job.actor, at: job.startedAt, reason: `import ${file}` });

/** Write Partitions (one child): each partition written, the lease renewed before each; idempotent, so a retry converges. */
export async function writeImportPartitions(deps: JobDeps, job: ImportJob, items: readonly PartitionItem[]): Promise<KindCounts> {
	const counts: KindCounts = { created: 0, updated: 0, unchanged: 0 };
	for await (const rows of partitionsOf(deps, job, items).each()) {
		// Renewed before each partition: a partition is written well within the lease.
		await holdImportLease(deps, leaseOf(job));
		const { state, currencyOf } = await stateOf(deps, rows);
		const written = await writeCharges(deps, { each: () => [rows] }, state, currencyOf, {
			importId: job.jobId,
			dryRun: false,
			audit: auditOf(job),
		});
		for (const kind of ["created", "updated", "unchanged"] as const) counts[kind] += written[kind];
	}
	return counts;
}

/** Record Import: the partitions' counts added up, the import's record and result written, its lease ended. */
export async function recordImportJob(deps: JobDeps, job: ImportJob, rows: number, results: MapResultsLocation): Promise<ImportResult> {
	const counts: KindCounts = { created: 0, updated: 0, unchanged: 0 };
	const failed: string[] = [];
	await foldMapResults(
		deps.s3,
		results,
		countsSchema,
		(out) => {
			for (const kind of ["created", "updated", "unchanged"] as const) counts[kind] += out[kind];
		},
		(child) => failed.push(`${child.error}: ${child.cause}`),
	);
	if (failed.length > 0) throw new Error(`${failed.length} partition writes failed: ${failed[0]}`);
	const files = [{ name: job.key, kind: "charges" as const, rows }];
	const result: ImportResult = { importId: job.jobId, dryRun: false, files, counts: { charges: counts }, warnings: [] };
	await importRunPut(deps, { importId: job.jobId, actor: job.actor, at: job.startedAt, files, counts: result.counts, warnings: [] });
	await writeImportResult(deps.s3, job.bucket, job.key, { status: "imported", result, jobId: job.jobId });
	await endImportLease(deps, job.jobId);
	return result;
}

/** Record Import Failure: the result says failed, and the lease ends (what was written stays; the same file again finishes it). */
export async function recordImportJobFailure(deps: JobDeps, job: ImportJob, failure: { Error?: string; Cause?: string }): Promise<void> {
	const error = `${failure.Error ?? "Error"}: ${failure.Cause ?? ""}`;
	await writeImportResult(deps.s3, job.bucket, job.key, { status: "failed", error, jobId: job.jobId });
	await endImportLease(deps, job.jobId);
}
