import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { HistoryEvent } from "./history.js";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";

/** One execution as persisted: what DescribeExecution and GetExecutionHistory return. */
export interface ExecutionRecord {
	executionArn: string;
	stateMachineArn: string;
	stateMachineName: string;
	name: string;
	status: ExecutionStatus;
	/** Epoch milliseconds. */
	startDate: number;
	stopDate?: number;
	input: string;
	output?: string;
	error?: string;
	cause?: string;
	history: HistoryEvent[];
}

const STATUSES = new Set<string>(["RUNNING", "SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"]);

function isExecutionRecord(value: unknown): value is ExecutionRecord {
	const r = value as Partial<ExecutionRecord> | null;
	return (
		typeof r === "object" &&
		r !== null &&
		typeof r.executionArn === "string" &&
		typeof r.stateMachineArn === "string" &&
		typeof r.stateMachineName === "string" &&
		typeof r.name === "string" &&
		typeof r.status === "string" &&
		STATUSES.has(r.status) &&
		typeof r.startDate === "number" &&
		typeof r.input === "string" &&
		Array.isArray(r.history)
	);
}

/**
 * Executions as JSON files, `<dir>/<state machine>/<execution>.json`, each written to a
 * temporary file and renamed over the old one, so a crash never leaves a torn file.
 * Writes of one execution are serialized; `flush()` waits for all of them.
 */
export class ExecutionStore {
	private readonly chains = new Map<string, Promise<void>>();

	constructor(readonly dir: string) {}

	fileFor(record: Pick<ExecutionRecord, "stateMachineName" | "name">): string {
		return join(this.dir, encodeURIComponent(record.stateMachineName), `${encodeURIComponent(record.name)}.json`);
	}

	/** Every persisted execution; leftover temporary files are removed, unreadable files reported and skipped. */
	async loadAll(onSkipped: (file: string, reason: string) => void = () => undefined): Promise<ExecutionRecord[]> {
		await mkdir(this.dir, { recursive: true });
		const records: ExecutionRecord[] = [];
		const walk = async (dir: string): Promise<void> => {
			for (const entry of await readdir(dir, { withFileTypes: true })) {
				const path = join(dir, entry.name);
				if (entry.isDirectory()) await walk(path);
				else if (entry.name.endsWith(".tmp")) await rm(path, { force: true });
				else if (entry.name.endsWith(".json")) {
					try {
						const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
						if (isExecutionRecord(parsed)) records.push(parsed);
						else onSkipped(path, "not an execution record");
					} catch (err) {
						onSkipped(path, err instanceof Error ? err.message : String(err));
					}
				}
			}
		};
		await walk(this.dir);
		return records;
	}

	/** Persists a snapshot of the record (taken now, written after any earlier write of it); never rejects, a failed write is reported on stderr. */
	save(record: ExecutionRecord): Promise<void> {
		const file = this.fileFor(record);
		const text = `${JSON.stringify(record, null, 2)}\n`;
		const previous = this.chains.get(file) ?? Promise.resolve();
		const next = previous.then(async () => {
			await mkdir(dirname(file), { recursive: true });
			const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
			try {
				await writeFile(tmp, text, "utf8");
				await rename(tmp, file);
			} catch (err) {
				await rm(tmp, { force: true });
				throw err;
			}
		});
		const settled = next.catch((err: unknown) => {
			process.stderr.write(`stepfunctions: could not persist ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
		});
		this.chains.set(file, settled);
		void settled.then(() => {
			if (this.chains.get(file) === settled) this.chains.delete(file);
		});
		return settled;
	}

	/** Waits for every pending write. */
	async flush(): Promise<void> {
		while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
	}
}
