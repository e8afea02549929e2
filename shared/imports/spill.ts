import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChargeRow } from "./rows.js";

/**
 * A charge file's checked rows, kept aside between an import's passes and partitioned by
 * account, so each partition (its rows, and its accounts' stored charges) is checked and
 * written on its own: memory stays bounded by a partition, whatever the file's size. A small
 * file stays in memory; a large one goes to a PartitionSink (files under the machine's temp
 * folder, or an import job's objects in S3), about PARTITION_BYTES of the file each.
 */

export type SpilledCharge = ChargeRow & { readonly file: string };

const PARTITION_BYTES = 4 * 1024 * 1024;
const MAX_PARTITIONS = 1024;
/** A partition's rows are appended to its temp file a batch at a time. */
const FLUSH_CHARS = 64 * 1024;

/** FNV-1a: an account's partition, the same for every row of it. */
function partitionOf(accountId: string, partitions: number): number {
	let hash = 0x811c9dc5;
	for (let i = 0; i < accountId.length; i++) hash = Math.imul(hash ^ accountId.charCodeAt(i), 0x01000193);
	return (hash >>> 0) % partitions;
}

/** One row as a line of a partition: its fields in order, the file as its index in the partition's files. */
export function encodeCharge(row: SpilledCharge, fileIndex: number): string {
	return JSON.stringify([
		row.line,
		row.chargeId,
		row.accountId,
		row.date,
		row.description,
		row.quantity,
		row.unitPrice,
		row.kind,
		fileIndex,
	]);
}

/** A partition's lines (encodeCharge) read back. */
export function decodeCharges(text: string, files: readonly string[]): SpilledCharge[] {
	const rows: SpilledCharge[] = [];
	for (const line of text.split("\n")) {
		if (line === "") continue;
		const [lineNo, chargeId, accountId, date, description, quantity, unitPrice, kind, fileIndex] = JSON.parse(line) as [
			number,
			string,
			string,
			string,
			string,
			ChargeRow["quantity"],
			string,
			ChargeRow["kind"],
			number,
		];
		rows.push({ line: lineNo, chargeId, accountId, date, description, quantity, unitPrice, kind, file: files[fileIndex] as string });
	}
	return rows;
}

/**
 * Where a charge file's partitions are read from once spilled: the import's own spill (in
 * memory or files under the temp folder), or an import job's partition objects in S3
 * (job.ts). checkCharges and writeCharges take either.
 */
export interface ChargePartitions {
	each(): Iterable<SpilledCharge[]> | AsyncIterable<SpilledCharge[]>;
}

/**
 * Where a spill's partitions go once they outgrow memory: lines appended to a partition a
 * batch at a time, read back whole. Two implementations: files under the machine's temp
 * folder (an import in one process), and chunk objects in S3 (an import job, whose steps
 * run in separate invocations: job.ts).
 */
export interface PartitionSink {
	/** Characters a partition holds in memory before they are appended. */
	readonly flushChars: number;
	append(partition: number, text: string): void | Promise<void>;
	/** A partition's text, every append in order; undefined when nothing was appended. */
	read(partition: number): string | undefined | Promise<string | undefined>;
	close(): void;
}

/** Partitions as files under the machine's temp folder (Lambda's /tmp). */
export class LocalFileSink implements PartitionSink {
	readonly flushChars = FLUSH_CHARS;
	private readonly dir = mkdtempSync(join(tmpdir(), "billing-import-"));

	append(partition: number, text: string): void {
		appendFileSync(this.pathOf(partition), text);
	}

	read(partition: number): string | undefined {
		const path = this.pathOf(partition);
		return existsSync(path) ? readFileSync(path, "utf8") : undefined;
	}

	close(): void {
		rmSync(this.dir, { recursive: true, force: true });
	}

	private pathOf(partition: number): string {
		return join(this.dir, `${partition}.jsonl`);
	}
}

export class ChargeSpill implements ChargePartitions {
	readonly partitions: number;
	private readonly sink?: PartitionSink;
	private readonly pending: string[][];
	private readonly pendingChars: number[];
	private readonly inMemory: SpilledCharge[][];
	/** The files the rows name, by index (a spilled line names its file by index). */
	readonly files: string[] = [];

	/**
	 * `bytes`: the charge files' total size, where known (else as for a file of 256 MB).
	 * `sink`: where the partitions go; by default memory for a small file, else temp files.
	 */
	constructor(bytes: number | undefined, sink?: (partitions: number) => PartitionSink) {
		this.partitions = Math.min(MAX_PARTITIONS, Math.max(1, Math.ceil((bytes ?? 256 * 1024 * 1024) / PARTITION_BYTES)));
		if (sink) this.sink = sink(this.partitions);
		else if (this.partitions > 1) this.sink = new LocalFileSink();
		this.pending = Array.from({ length: this.partitions }, () => []);
		this.pendingChars = Array.from({ length: this.partitions }, () => 0);
		this.inMemory = Array.from({ length: this.partitions }, () => []);
	}

	/** Keeps the row aside in its account's partition; awaits only when a batch goes to the sink. */
	add(row: SpilledCharge): void | Promise<void> {
		const p = partitionOf(row.accountId, this.partitions);
		if (!this.sink) {
			this.inMemory[p]?.push(row);
			return;
		}
		let fileIndex = this.files.indexOf(row.file);
		if (fileIndex < 0) fileIndex = this.files.push(row.file) - 1;
		const text = encodeCharge(row, fileIndex);
		(this.pending[p] as string[]).push(text);
		this.pendingChars[p] = (this.pendingChars[p] as number) + text.length + 1;
		if ((this.pendingChars[p] as number) >= this.sink.flushChars) return this.flush(p);
	}

	/** Every row given to the sink (the partitions' last batches appended). */
	async finish(): Promise<void> {
		for (let p = 0; p < this.partitions; p++) await this.flush(p);
	}

	/** Every partition's rows in turn (read again on every call: an import reads them to check, then to write). */
	async *each(): AsyncGenerator<SpilledCharge[]> {
		await this.finish();
		for (let p = 0; p < this.partitions; p++) {
			if (!this.sink) {
				yield this.inMemory[p] as SpilledCharge[];
				continue;
			}
			const text = await this.sink.read(p);
			if (text !== undefined) yield decodeCharges(text, this.files);
		}
	}

	/** The sink's files, gone. */
	close(): void {
		this.sink?.close();
	}

	private flush(p: number): void | Promise<void> {
		const rows = this.pending[p] as string[];
		if (rows.length === 0 || !this.sink) return;
		this.pending[p] = [];
		this.pendingChars[p] = 0;
		return this.sink.append(p, `${rows.join("\n")}\n`);
	}
}
