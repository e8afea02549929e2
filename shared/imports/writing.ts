import { TransientError } from "../core/errors.js";
import { importLeaseSeconds } from "../platform/config.js";
import { importWritingLeaseEnded, importWritingLeasePut, listImportsWriting } from "../store/imports.js";
import type { TableDeps } from "../store/records.js";

/**
 * While an import writes, it holds a lease (IMPORT_LEASE_SECONDS, two minutes by default,
 * renewed at a quarter of it); a billing run refuses to start while any lease holds, so it
 * never bills a month from half an import. An import that crashed holds its lease until it
 * lapses; importing the same files again finishes what it started.
 */

/** A billing run asked for while an import writes: the state machine's Retry waits for it (minutes, not seconds). */
export class ImportInProgress extends TransientError {
	constructor(message: string) {
		super(message);
		this.name = "ImportInProgress";
	}
}

export class ImportWriting {
	private readonly renewal: NodeJS.Timeout;

	private constructor(
		private readonly deps: TableDeps,
		private readonly lease: {
			readonly importId: string;
			readonly actor: string;
			readonly files: readonly string[];
			readonly startedAt: string;
		},
	) {
		this.renewal = setInterval(() => void this.renew().catch(() => undefined), (importLeaseSeconds() * 1000) / 4);
		this.renewal.unref();
	}

	static async start(
		deps: TableDeps,
		run: { readonly importId: string; readonly actor: string; readonly files: readonly string[] },
	): Promise<ImportWriting> {
		const writing = new ImportWriting(deps, { ...run, startedAt: new Date().toISOString() });
		await writing.renew();
		return writing;
	}

	async end(): Promise<void> {
		clearInterval(this.renewal);
		await endImportLease(this.deps, this.lease.importId);
	}

	private async renew(): Promise<void> {
		await holdImportLease(this.deps, this.lease);
	}
}

/**
 * The lease taken or renewed: by a one-shot import on its timer, and by each step of an
 * import job (job.ts), whose steps run in separate invocations; the last step, or its
 * failure, ends it.
 */
export async function holdImportLease(
	deps: TableDeps,
	lease: { readonly importId: string; readonly actor: string; readonly files: readonly string[]; readonly startedAt: string },
): Promise<void> {
	await importWritingLeasePut(deps, { ...lease, leaseUntil: new Date(Date.now() + importLeaseSeconds() * 1000).toISOString() });
}

export async function endImportLease(deps: TableDeps, importId: string): Promise<void> {
	await importWritingLeaseEnded(deps, importId);
}

/** Refuses a billing run while an import writes, naming it. */
export async function refuseWhileImportWriting(deps: TableDeps, now = new Date()): Promise<void> {
	const writing = await listImportsWriting(deps, now);
	if (writing.length === 0) return;
	const names = writing.map(
		(w) => `${w.files.join(", ")} (import ${w.importId} by ${w.actor}, writing since ${w.startedAt}, lease until ${w.leaseUntil})`,
	);
	throw new ImportInProgress(
		`an import is writing: ${names.join("; ")}. The run starts once it is done; an import that stopped half-way is finished by importing the same files again`,
	);
}
