import pMap from "p-map";
import type { Charge, ChargePage } from "../core/model.js";
import { chargeChanged, chargePagesPut } from "../store/charges.js";
import { type ImportAudit, importedRecordChanged, importedRecordCreated } from "../store/imports.js";
import type { TableDeps } from "../store/records.js";
import { type TransactItem, transactWrite } from "../store/transact.js";
import type { Decision, StoredCharge, StoredState } from "./plan.js";

/** The writes of an import once every file passed its checks (import.ts decides, this carries out). */

const CONCURRENCY = 8;
/** Charges on one page: a few hundred keep an item far below DynamoDB's 400 KB. */
const PAGE_SIZE = 250;
/** New charges held to fill pages before they are written: bounds the memory a large file takes. */
const PAGE_BUFFER = 100_000;

export interface RecordTarget<T> {
	readonly key: { readonly pk: string; readonly sk: string };
	readonly listing?: Readonly<Record<string, string>>;
	readonly subject: { readonly subject: "account" | "plan" | "subscription"; readonly subjectId: string };
	/** How a new one is stored, when not as its fields on the key (an account starts owing nothing). */
	readonly created?: (record: T, audit: ImportAudit) => TransactItem[];
}

/** A record created on its free key, or the fields that changed updated on the values read; each with its audit entry. */
export async function writeDecision<T extends Record<string, unknown>>(
	deps: TableDeps,
	decision: Decision<T>,
	target: RecordTarget<T>,
	audit: ImportAudit,
): Promise<void> {
	if (decision.action === "create") {
		await transactWrite(
			deps,
			target.created?.(decision.record, audit) ??
				importedRecordCreated(deps.tableName, { key: target.key, listing: target.listing, fields: decision.record }, target.subject, audit),
		);
	} else if (decision.action === "update") {
		await transactWrite(deps, importedRecordChanged(deps.tableName, target.key, decision, target.subject, audit));
	}
}

/**
 * New charges gathered by account and month into pages and written a batch of pages at a
 * time (nothing on a dry run); the buffer is bounded, so a large file takes bounded memory.
 */
export class ChargePages {
	private readonly groups = new Map<string, Charge[]>();
	private readonly ready: ChargePage[] = [];
	private buffered = 0;
	private pageNumber = 0;

	constructor(
		private readonly deps: TableDeps,
		private readonly importId: string,
		private readonly dryRun: boolean,
	) {}

	async add(charge: Charge): Promise<void> {
		const group = `${charge.accountId}#${charge.period}`;
		const charges = this.groups.get(group) ?? [];
		charges.push(charge);
		this.groups.set(group, charges);
		this.buffered++;
		if (charges.length === PAGE_SIZE) {
			this.ready.push(this.page(charges));
			this.groups.delete(group);
			this.buffered -= PAGE_SIZE;
		}
		if (this.buffered >= PAGE_BUFFER) this.pageEveryGroup();
		if (this.ready.length >= 25 * CONCURRENCY || (this.buffered === 0 && this.ready.length > 0)) await this.write();
	}

	/** Whatever is left, as pages of their own. */
	async finish(): Promise<void> {
		this.pageEveryGroup();
		await this.write();
	}

	private page(charges: Charge[]): ChargePage {
		const { accountId, period } = charges[0] as Charge;
		return { accountId, period, pageId: `${this.importId}#${++this.pageNumber}`, charges, version: 0, importId: this.importId };
	}

	private pageEveryGroup(): void {
		this.ready.push(...[...this.groups.values()].map((charges) => this.page(charges)));
		this.groups.clear();
		this.buffered = 0;
	}

	private async write(): Promise<void> {
		const pages = this.ready.splice(0);
		if (this.dryRun || pages.length === 0) return;
		const chunks = Array.from({ length: Math.ceil(pages.length / 25) }, (_, i) => pages.slice(i * 25, i * 25 + 25));
		await pMap(chunks, (chunk) => chargePagesPut(this.deps, chunk), { concurrency: CONCURRENCY });
	}
}

/** A changed charge leaves its page for one of its own: one transaction each, on the page as the one before left it. */
export async function writeChangedCharges(
	deps: TableDeps,
	changed: readonly Charge[],
	state: StoredState,
	options: { readonly importId: string; readonly audit: ImportAudit },
): Promise<void> {
	const pages = new Map<string, ChargePage>();
	for (const charge of changed) {
		const stored = state.charges.get(charge.accountId)?.get(charge.chargeId) as StoredCharge;
		const pageKey = `${stored.page.accountId}#${stored.page.period}#${stored.page.pageId}`;
		const page = pages.get(pageKey) ?? stored.page;
		await transactWrite(deps, chargeChanged(deps.tableName, page, charge, `${options.importId}:${charge.chargeId}`, options.audit));
		pages.set(pageKey, { ...page, charges: page.charges.filter((c) => c.chargeId !== charge.chargeId), version: page.version + 1 });
	}
}
