import { type Account, accountSchema, type CatalogPlan, catalogPlanSchema, type Invoice, invoiceSchema } from "../core/model.js";
import type { Statement } from "../core/statement.js";
import { type DeliveryKey, type DeliveryRecord, deliveryRecordSchema } from "./deliveries.js";
import { keys } from "./keys.js";
import { getItems, parseRecord, type TableDeps } from "./records.js";
import { readStatement } from "./statements.js";

type Key = { readonly pk: string; readonly sk: string };

const BATCH_GET_MAX_KEYS = 100;

const keyOf = (key: Key) => `${key.pk}\n${key.sk}`;

/**
 * Records of many kinds read together: one BatchGetItem call per 100 keys (consistent, the
 * calls side by side) instead of a GetItem each. Each record is parsed when asked for, so
 * one that is unreadable fails only the caller that needs it (its account), not the batch.
 */
export class RecordsRead {
	private constructor(
		private readonly requested: ReadonlySet<string>,
		private readonly items: ReadonlyMap<string, Record<string, unknown>>,
	) {}

	static async of(deps: TableDeps, keyList: readonly Key[]): Promise<RecordsRead> {
		return new RecordsRead(new Set(), new Map()).extend(deps, keyList);
	}

	/** These records read too, besides those read already (which are not read again). */
	async extend(deps: TableDeps, keyList: readonly Key[]): Promise<RecordsRead> {
		const unique = [
			...new Map(keyList.filter((k) => !this.requested.has(keyOf(k))).map((k) => [keyOf(k), { pk: k.pk, sk: k.sk }])).values(),
		];
		const chunks: Key[][] = [];
		for (let start = 0; start < unique.length; start += BATCH_GET_MAX_KEYS) chunks.push(unique.slice(start, start + BATCH_GET_MAX_KEYS));
		const read = await Promise.all(chunks.map((chunk) => getItems(deps, chunk)));
		const items = new Map(this.items);
		for (const item of read.flat()) items.set(keyOf({ pk: String(item.pk), sk: String(item.sk) }), item);
		return new RecordsRead(new Set([...this.requested, ...unique.map(keyOf)]), items);
	}

	/** Whether the record was asked for (and so is known to exist or not). */
	wasRead(key: Key): boolean {
		return this.requested.has(keyOf(key));
	}

	/** The stored item, or undefined when there is none; a key that was not read is a mistake, not a missing record. */
	private item(key: Key): Record<string, unknown> | undefined {
		const k = keyOf(key);
		if (!this.requested.has(k)) throw new Error(`${key.pk} / ${key.sk} was not read`);
		return this.items.get(k);
	}

	account(accountId: string): Account | undefined {
		const item = this.item(keys.account(accountId));
		return item ? parseRecord(accountSchema, item) : undefined;
	}

	/** The instant the account's ledger was last cut for a statement (`statementCut`), if ever. */
	statementCutoff(accountId: string): string | undefined {
		const cutoff = this.item(keys.account(accountId))?.statementCutoff;
		return typeof cutoff === "string" ? cutoff : undefined;
	}

	invoice(number: string): Invoice | undefined {
		const item = this.item(keys.invoice(number));
		return item ? parseRecord(invoiceSchema, item) : undefined;
	}

	/** The number of the account's invoice for the period (its period guard), if issued. */
	invoiceNumberForPeriod(accountId: string, period: string): string | undefined {
		const item = this.item(keys.invoiceForPeriod(accountId, period));
		return item ? String(item.invoiceNumber) : undefined;
	}

	statement(accountId: string, period: string): Statement | undefined {
		return readStatement(this.item(keys.statement(accountId, period)));
	}

	plan(planCode: string): CatalogPlan | undefined {
		const item = this.item(keys.plan(planCode));
		return item ? parseRecord(catalogPlanSchema, item) : undefined;
	}

	/** The deliveries read that were claimed before `cutoff` and are still sending: their outcome is unknown. */
	claimsBefore(cutoff: string): { readonly key: DeliveryKey; readonly claimedAt: string }[] {
		return [...this.items.values()]
			.filter((item) => String(item.sk).startsWith("DELIVERY#") && item.status === "sending" && String(item.at) < cutoff)
			.map((item) => ({ key: { pk: String(item.pk), sk: String(item.sk) }, claimedAt: String(item.at) }));
	}

	delivery(key: DeliveryKey): DeliveryRecord | undefined {
		const item = this.item(key);
		if (!item) return undefined;
		const { pk: _pk, sk: _sk, ...record } = item;
		return deliveryRecordSchema.parse(record);
	}
}

/** The keys the billing cycle reads of each account of a batch first: the account, its invoice for the period, its statement for it. */
export function cycleAccountKeys(accountIds: readonly string[], period: string): Key[] {
	return accountIds.flatMap((id) => [keys.account(id), keys.invoiceForPeriod(id, period), keys.statement(id, period)]);
}

/** Invoices by number, those that exist. */
export async function getInvoices(deps: TableDeps, numbers: Iterable<string>): Promise<Map<string, Invoice>> {
	const wanted = [...new Set(numbers)];
	const read = await RecordsRead.of(deps, wanted.map(keys.invoice));
	const invoices = new Map<string, Invoice>();
	for (const number of wanted) {
		const invoice = read.invoice(number);
		if (invoice) invoices.set(number, invoice);
	}
	return invoices;
}
