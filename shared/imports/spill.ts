import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChargeRow } from "./rows.js";

/**
 * A charge file's checked rows, kept aside between an import's passes and partitioned by
 * account, so each partition (its rows, and its accounts' stored charges) is checked and
 * written on its own: memory stays bounded by a partition, whatever the file's size. A small
 * file stays in memory; a large one goes to files under the machine's temp folder (Lambda's
 * /tmp), about PARTITION_BYTES of the file each.
 */

export type SpilledCharge = ChargeRow & { readonly file: string };

const PARTITION_BYTES = 4 * 1024 * 1024;
const MAX_PARTITIONS = 1024;
/** A partition's rows are appended to its file a batch at a time. */
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

export class ChargeSpill implements ChargePartitions {
	private readonly partitions: number;
	private readonly dir?: string;
	private readonly pending: string[][];
	private readonly pendingChars: number[];
	private readonly inMemory: SpilledCharge[][];
	private readonly files: string[] = [];

	/** `bytes`: the charge files' total size, where known (else as for a file of 256 MB). */
	constructor(bytes: number | undefined) {
		this.partitions = Math.min(MAX_PARTITIONS, Math.max(1, Math.ceil((bytes ?? 256 * 1024 * 1024) / PARTITION_BYTES)));
		if (this.partitions > 1) this.dir = mkdtempSync(join(tmpdir(), "billing-import-"));
		this.pending = Array.from({ length: this.partitions }, () => []);
		this.pendingChars = Array.from({ length: this.partitions }, () => 0);
		this.inMemory = Array.from({ length: this.partitions }, () => []);
	}

	add(row: SpilledCharge): void {
		const p = partitionOf(row.accountId, this.partitions);
		if (!this.dir) {
			this.inMemory[p]?.push(row);
			return;
		}
		let fileIndex = this.files.indexOf(row.file);
		if (fileIndex < 0) fileIndex = this.files.push(row.file) - 1;
		const text = encodeCharge(row, fileIndex);
		(this.pending[p] as string[]).push(text);
		this.pendingChars[p] = (this.pendingChars[p] as number) + text.length + 1;
		if ((this.pendingChars[p] as number) >= FLUSH_CHARS) this.flush(p);
	}

	/** Every partition's rows in turn (read again on every call: an import reads them to check, then to write). */
	*each(): Generator<SpilledCharge[]> {
		for (let p = 0; p < this.partitions; p++) {
			if (!this.dir) {
				yield this.inMemory[p] as SpilledCharge[];
				continue;
			}
			this.flush(p);
			const path = this.pathOf(p);
			if (!existsSync(path)) continue;
			const rows = decodeCharges(readFileSync(path, "utf8"), this.files);
			yield rows;
		}
	}

	/**
	 * Every partition with rows, as the text a partition object holds (PartitionStore): what
	 * an import job keeps in S3 between its steps, decoded again with decodeCharges.
	 */
	*texts(): Generator<{ readonly partition: number; readonly text: string; readonly files: readonly string[] }> {
		for (let p = 0; p < this.partitions; p++) {
			if (!this.dir) {
				const rows = this.inMemory[p] as SpilledCharge[];
				if (rows.length === 0) continue;
				const files = [...new Set(rows.map((r) => r.file))];
				yield { partition: p, text: `${rows.map((r) => encodeCharge(r, files.indexOf(r.file))).join("\n")}\n`, files };
				continue;
			}
			this.flush(p);
			const path = this.pathOf(p);
			if (existsSync(path)) yield { partition: p, text: readFileSync(path, "utf8"), files: this.files };
		}
	}

	/** The files on disk, gone. */
	close(): void {
		if (this.dir) rmSync(this.dir, { recursive: true, force: true });
	}

	private pathOf(p: number): string {
		return join(this.dir as string, `${p}.jsonl`);
	}

	private flush(p: number): void {
		const rows = this.pending[p] as string[];
		if (rows.length === 0) return;
		appendFileSync(this.pathOf(p), `${rows.join("\n")}\n`);
		this.pending[p] = [];
		this.pendingChars[p] = 0;
	}
}
