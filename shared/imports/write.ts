import pMap from "p-map";
import { ValidationError } from "../core/errors.js";
import type { Charge, ChargePage } from "../core/model.js";
import {
	ChargeBookChanged,
	chargeBytes,
	chargeChanged,
	chargePagesAdded,
	PAGE_BYTES,
	PAGES_PER_WRITE,
	readChargeBook,
} from "../store/charges.js";
import { type ImportAudit, importedRecordChanged, importedRecordCreated } from "../store/imports.js";
import type { TableDeps } from "../store/records.js";
import { isCancelled, jitteredPause, RETRY, type TransactItem, transactWrite, withOptimisticRetry } from "../store/transact.js";
import { type Decision, decideCharge, type KindCounts, type StoredCharge, type StoredState, storedChargesOf } from "./plan.js";
import type { FieldError } from "./rows.js";

/** The writes of an import once every file passed its checks (import.ts decides, this carries out). */

const CONCURRENCY = 8;
/** New charges held to fill pages before they are written: bounds the memory a large file takes. */
const PAGE_BUFFER = 100_000;
/** Pages ready before a round of writes. */
const READY_PAGES = 200;
/** Writes of one account's pages that may find its charges changed by another writer before this one gives up (transient). */
const MAX_ATTEMPTS = 8;

export interface RecordTarget<T> {
	readonly key: { readonly pk: string; readonly sk: string };
	readonly listing?: Readonly<Record<string, string>>;
	readonly subject: { readonly subject: "account" | "plan" | "subscription"; readonly subjectId: string };
	/** How a new one is stored, when not as its fields on the key (an account starts owing nothing). */
	readonly created?: (record: T, audit: ImportAudit) => TransactItem[];
	/** How a change is stored, when not as its fields changed on the key (an account's carries its event). */
	readonly changed?: (change: Extract<Decision<T>, { action: "update" }>, audit: ImportAudit) => TransactItem[];
	/** The row decided again on the record as stored now, when another writer changed it after it was read. */
	readonly decideAgain: () => Promise<Decision<T> | FieldError>;
}

/**
 * A record created on its free key, or the fields that changed updated on the values read;
 * each with its audit entry. When another writer got there first (two imports of one file at
 * once), the row is decided again on what it wrote: the same values leave it unchanged.
 * Answers what was done.
 */
export async function writeDecision<T extends Record<string, unknown>>(
	deps: TableDeps,
	decided: Decision<T>,
	target: RecordTarget<T>,
	audit: ImportAudit,
): Promise<Decision<T>> {
	let decision = decided;
	for (let attempt = 1; ; attempt++) {
		try {
			if (decision.action === "create") {
				await transactWrite(
					deps,
					target.created?.(decision.record, audit) ??
						importedRecordCreated(
							deps.tableName,
							{ key: target.key, listing: target.listing, fields: decision.record },
							target.subject,
							audit,
						),
				);
			} else if (decision.action === "update") {
				await transactWrite(
					deps,
					target.changed?.(decision, audit) ?? importedRecordChanged(deps.tableName, target.key, decision, target.subject, audit),
				);
			}
			return decision;
		} catch (err) {
			if (!isCancelled(err) || attempt === MAX_ATTEMPTS) throw err;
		}
		await jitteredPause(attempt);
		const again = await target.decideAgain();
		if ("reason" in again)
			throw new ValidationError(`line ${again.line}: ${again.field}: ${again.reason} (changed by another writer during this import)`);
		decision = again;
	}
}

/**
 * A charge file's rows as the store's charges: each decided against what is stored, new ones
 * gathered by account and month into pages (closed by their bytes) and written a few pages of
 * an account at a time on its book's version, changed ones moved to pages of their own.
 * When another writer changed an account's charges since they were read (two imports of one
 * file at once), the account is read again and its charges decided again, so every import
 * converges on what one would have written. Nothing is written on a dry run; the buffer is
 * bounded, so a large file takes bounded memory.
 */
export class ChargeWriter {
	readonly counts: KindCounts = { created: 0, updated: 0, unchanged: 0 };
	private readonly changed: { readonly charge: Charge; readonly file: string }[] = [];
	/** The file each new charge came from, until its page is written. */
	private readonly files = new Map<Charge, string>();
	private readonly groups = new Map<string, { charges: Charge[]; bytes: number }>();
	private ready: ChargePage[] = [];
	private buffered = 0;
	private pageNumber = 0;

	constructor(
		private readonly deps: TableDeps,
		private readonly state: StoredState,
		private readonly options: { readonly importId: string; readonly dryRun: boolean; readonly audit: (file: string) => ImportAudit },
	) {}

	/** A charge of the file named (its audit entry names the file when it changes a stored one). */
	async add(charge: Charge, file: string): Promise<void> {
		const decision = decideCharge(charge, this.state);
		if (decision.action === "unchanged") this.counts.unchanged++;
		else if (decision.action === "update") {
			this.counts.updated++;
			this.changed.push({ charge, file });
		} else {
			this.counts.created++;
			await this.gather(charge, file);
		}
	}

	/** The new charges still gathered, as pages of their own. */
	async finishNew(): Promise<void> {
		this.pageEveryGroup();
		await this.write();
	}

	/** A changed charge leaves its page for one of its own: one transaction each, on the book as read. */
	async writeChanged(): Promise<void> {
		if (this.options.dryRun) return;
		for (const { charge, file } of this.changed) {
			await withOptimisticRetry(`changing charge ${charge.chargeId}`, async () => {
				const stored = this.state.charges.get(charge.accountId)?.get(charge.chargeId);
				if (!stored) throw new Error(`charge ${charge.chargeId} of ${charge.accountId} was decided changed but is not stored`);
				if (decideCharge(charge, this.state).action === "unchanged") {
					this.counts.updated--;
					this.counts.unchanged++;
					return true;
				}
				const pageId = `${this.options.importId}:${charge.chargeId}`;
				try {
					const version = await chargeChanged(
						this.deps,
						{ page: stored.page, after: charge, pageId, bookVersion: this.bookVersion(charge.accountId) },
						this.options.audit(file),
					);
					this.state.chargeBooks.set(charge.accountId, version);
					this.changedAsWritten(stored.page, charge, pageId);
					return true;
				} catch (err) {
					if (!(err instanceof ChargeBookChanged)) throw err;
					await this.readAgain(charge.accountId);
					return RETRY;
				}
			});
		}
	}

	private bookVersion(accountId: string): number {
		return this.state.chargeBooks.get(accountId) ?? 0;
	}

	private async gather(charge: Charge, file: string): Promise<void> {
		this.files.set(charge, file);
		const key = `${charge.accountId}#${charge.period}`;
		const bytes = chargeBytes(charge);
		let group = this.groups.get(key);
		if (group && group.bytes + bytes > PAGE_BYTES) {
			this.ready.push(this.page(group.charges));
			this.buffered -= group.charges.length;
			group = undefined;
		}
		if (!group) {
			group = { charges: [], bytes: 0 };
			this.groups.set(key, group);
		}
		group.charges.push(charge);
		group.bytes += bytes;
		this.buffered++;
		if (this.buffered >= PAGE_BUFFER) this.pageEveryGroup();
		if (this.ready.length >= READY_PAGES) await this.write();
	}

	private page(charges: Charge[]): ChargePage {
		const { accountId, period } = charges[0] as Charge;
		const { importId } = this.options;
		return { accountId, period, pageId: `${importId}#${++this.pageNumber}`, charges, version: 0, importId };
	}

	private pageEveryGroup(): void {
		this.ready.push(...[...this.groups.values()].map((group) => this.page(group.charges)));
		this.groups.clear();
		this.buffered = 0;
	}

	/** The pages ready, each account's written in turn (its book allows one writer at a time), accounts side by side. */
	private async write(): Promise<void> {
		const pages = this.ready;
		this.ready = [];
		if (this.options.dryRun || pages.length === 0) return;
		const byAccount = new Map<string, ChargePage[]>();
		for (const page of pages) byAccount.set(page.accountId, [...(byAccount.get(page.accountId) ?? []), page]);
		await pMap(
			byAccount.values(),
			async (ofAccount) => {
				for (let start = 0; start < ofAccount.length; start += PAGES_PER_WRITE)
					await this.writePages(ofAccount.slice(start, start + PAGES_PER_WRITE));
			},
			{ concurrency: CONCURRENCY },
		);
	}

	private async writePages(pages: ChargePage[]): Promise<void> {
		const accountId = (pages[0] as ChargePage).accountId;
		let pending = pages;
		for (let attempt = 1; pending.length > 0; attempt++) {
			try {
				this.state.chargeBooks.set(accountId, await chargePagesAdded(this.deps, accountId, this.bookVersion(accountId), pending));
				for (const page of pending) for (const charge of page.charges) this.files.delete(charge);
				return;
			} catch (err) {
				if (!(err instanceof ChargeBookChanged) || attempt === MAX_ATTEMPTS) throw err;
				await jitteredPause(attempt);
				await this.readAgain(accountId);
				const still = this.stillNew(pending.flatMap((page) => page.charges));
				pending = pending
					.map((page) => ({ ...page, charges: page.charges.filter((c) => still.has(c)) }))
					.filter((page) => page.charges.length > 0);
			}
		}
	}

	/** The account's charges as stored now: after another writer changed them. */
	private async readAgain(accountId: string): Promise<void> {
		const book = await readChargeBook(this.deps, accountId);
		this.state.chargeBooks.set(accountId, book.version);
		this.state.charges.set(accountId, storedChargesOf(book.pages));
	}

	/** Charges this import was creating, decided again on what is stored now: another import may have stored them. */
	private stillNew(charges: readonly Charge[]): Set<Charge> {
		const still = new Set<Charge>();
		for (const charge of charges) {
			const decision = decideCharge(charge, this.state);
			if (decision.action === "create") {
				still.add(charge);
				continue;
			}
			this.counts.created--;
			if (decision.action === "unchanged") this.counts.unchanged++;
			else {
				this.counts.updated++;
				this.changed.push({ charge, file: this.files.get(charge) as string });
			}
		}
		return still;
	}

	/** What is stored once a change is written: the page without the charge (one version on), the charge on its own page. */
	private changedAsWritten(page: ChargePage, charge: Charge, pageId: string): void {
		const stored = this.state.charges.get(charge.accountId) as Map<string, StoredCharge>;
		const rest = { ...page, charges: page.charges.filter((c) => c.chargeId !== charge.chargeId), version: page.version + 1 };
		for (const c of rest.charges) stored.set(c.chargeId, { charge: c, page: rest });
		stored.set(charge.chargeId, {
			charge,
			page: { accountId: charge.accountId, period: charge.period, pageId, charges: [charge], version: 0 },
		});
	}
}
