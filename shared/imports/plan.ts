import { einvoiceDetailsProblem } from "../core/einvoice-account.js";
import type { Account, CatalogPlan, Charge, ChargePage, SubscriptionRecord } from "../core/model.js";
import { MINOR_UNIT_DIGITS, parseMajorUnits } from "../core/money.js";
import { JURISDICTION_TAX_RATES, paymentTermsDays } from "../invoicing/pricing.js";
import type { AccountRow, ChargeRow, FieldError, PlanRow, SubscriptionRow } from "./rows.js";
import { EINVOICE_COLUMNS, priceDecimals } from "./rows.js";

/**
 * What an import would do with each record, decided against what is stored: create it,
 * change some of its fields, leave it as it is, or refuse the row (with the reason).
 */

export type Decision<T> =
	| { readonly action: "create"; readonly record: T }
	| { readonly action: "update"; readonly before: Record<string, unknown>; readonly after: Record<string, unknown> }
	| { readonly action: "unchanged" };

export interface StoredCharge {
	readonly charge: Charge;
	readonly page: ChargePage;
}

export interface KindCounts {
	created: number;
	updated: number;
	unchanged: number;
}

/** What is stored, read once for every id the files name; the import keeps the charges current as it writes. */
export interface StoredState {
	readonly accounts: ReadonlyMap<string, Account>;
	readonly plans: ReadonlyMap<string, CatalogPlan>;
	readonly subscriptions: ReadonlyMap<string, SubscriptionRecord>;
	/** Per account: the periods its invoice was issued for. */
	readonly invoicedPeriods: ReadonlyMap<string, ReadonlySet<string>>;
	/** Per account: its charges by id, with the page each is on. */
	readonly charges: Map<string, Map<string, StoredCharge>>;
	/** Per account: its charge book's version, on which the import's writes of its charges are conditional. */
	readonly chargeBooks: Map<string, number>;
}

/** An account's stored pages as its charges by id. */
export function storedChargesOf(pages: readonly ChargePage[]): Map<string, StoredCharge> {
	return new Map(pages.flatMap((page) => page.charges.map((charge) => [charge.chargeId, { charge, page }] as const)));
}

/** JSON with object keys in order and absent fields dropped, so equal records compare equal however they were built. */
function canonical(value: unknown): string {
	return JSON.stringify(value, (_key, v: unknown) =>
		v && typeof v === "object" && !Array.isArray(v)
			? Object.fromEntries(
					Object.entries(v)
						.filter(([, x]) => x !== undefined)
						.sort(([a], [b]) => a.localeCompare(b)),
				)
			: v,
	);
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** The fields of `wanted` that differ from `stored`, before and after; undefined on either side is "absent". */
function difference(
	stored: Record<string, unknown>,
	wanted: Record<string, unknown>,
): { before: Record<string, unknown>; after: Record<string, unknown> } {
	const before: Record<string, unknown> = {};
	const after: Record<string, unknown> = {};
	for (const field of Object.keys(wanted)) {
		if (same(stored[field], wanted[field])) continue;
		before[field] = stored[field];
		after[field] = wanted[field];
	}
	return { before, after };
}

function decide<T>(stored: Record<string, unknown> | undefined, wanted: Record<string, unknown>, create: () => T): Decision<T> {
	if (!stored) return { action: "create", record: create() };
	const change = difference(stored, wanted);
	return Object.keys(change.after).length === 0 ? { action: "unchanged" } : { action: "update", ...change };
}

/** The account's fields an import owns; balance, credit, dunning status and statement cut-offs are the system's. */
function importedAccountFields(row: AccountRow): Record<string, unknown> {
	return {
		name: row.name,
		email: row.email,
		currency: row.currency,
		delivery: row.delivery,
		addressLines: row.addressLines,
		taxRatePpm: row.taxRatePpm ?? 0,
		jurisdiction: row.jurisdiction,
		taxExempt: row.taxExempt ? true : undefined,
		paymentTerms: row.paymentTerms,
		paymentTermsDays: paymentTermsDays(row.paymentTerms),
		closedOn: row.closedOn,
		externalRef: row.externalRef,
		// Only the e-invoice columns the file has: one it leaves out leaves the stored value.
		...row.einvoice,
	};
}

export function decideAccount(row: AccountRow, state: StoredState, createdAt: string): Decision<Account> | FieldError {
	const stored = state.accounts.get(row.accountId);
	const refuse = (field: string, reason: string): FieldError => ({ line: row.line, field, reason });
	if (row.jurisdiction !== undefined && !(row.jurisdiction in JURISDICTION_TAX_RATES)) {
		return refuse("jurisdiction", `no tax rate is known for ${row.jurisdiction}; known: ${Object.keys(JURISDICTION_TAX_RATES).join(", ")}`);
	}
	if (stored && stored.currency !== row.currency && (state.invoicedPeriods.get(row.accountId)?.size ?? 0) > 0) {
		return refuse("currency", `account ${row.accountId} has invoices in ${stored.currency}; its currency cannot change`);
	}
	if (stored?.status === "closed" && row.status !== "closed") {
		return refuse("status", `account ${row.accountId} is closed (on ${stored.closedOn ?? "an earlier day"}); import does not reopen it`);
	}
	const wanted = importedAccountFields(row);
	const einvoice = einvoiceDetailsProblem({
		einvoice: stored?.einvoice,
		vatId: stored?.vatId,
		peppolId: stored?.peppolId,
		buyerReference: stored?.buyerReference,
		city: stored?.city,
		postalCode: stored?.postalCode,
		country: stored?.country,
		...row.einvoice,
	});
	if (einvoice) return refuse(EINVOICE_COLUMNS[einvoice.field], einvoice.reason);
	// Dunning moves an account between active, past_due and in_collections; an import only closes one.
	if (row.status === "closed") wanted.status = "closed";
	return decide(stored, wanted, () => ({
		...(Object.fromEntries(Object.entries(wanted).filter(([, v]) => v !== undefined)) as Omit<Account, "accountId">),
		accountId: row.accountId,
		status: row.status,
		balance: 0,
		creditBalance: 0,
		createdAt,
	}));
}

export function decidePlan(row: PlanRow, state: StoredState): Decision<CatalogPlan> | FieldError {
	const stored = state.plans.get(row.planCode);
	if (stored && stored.currency !== row.currency) {
		return {
			line: row.line,
			field: "currency",
			reason: `plan ${row.planCode} is in ${stored.currency}; a plan's currency cannot change, add a plan under a new code`,
		};
	}
	const wanted = { description: row.description, currency: row.currency, unitAmount: parseMajorUnits(row.unitPrice, row.currency) };
	return decide(stored, wanted, () => ({ planCode: row.planCode, ...wanted }));
}

export function decideSubscription(
	row: SubscriptionRow,
	state: StoredState,
	currencyOfAccount: (accountId: string) => string | undefined,
	currencyOfPlan: (planCode: string) => string | undefined,
): Decision<SubscriptionRecord> | FieldError {
	const refuse = (field: string, reason: string): FieldError => ({ line: row.line, field, reason });
	const accountCurrency = currencyOfAccount(row.accountId);
	if (accountCurrency === undefined) return refuse("account_id", `no account ${row.accountId}, stored or in this import`);
	const planCurrency = currencyOfPlan(row.planCode);
	if (planCurrency === undefined) return refuse("plan_code", `no plan ${row.planCode}, stored or in this import`);
	if (planCurrency !== accountCurrency) {
		return refuse("plan_code", `plan ${row.planCode} is in ${planCurrency}, account ${row.accountId} in ${accountCurrency}`);
	}
	const stored = state.subscriptions.get(row.subscriptionId);
	if (stored && stored.accountId !== row.accountId) {
		return refuse(
			"account_id",
			`subscription ${row.subscriptionId} belongs to ${stored.accountId}; give the new account's a new subscription_id`,
		);
	}
	const wanted = { planCode: row.planCode, quantity: row.quantity, startDate: row.startDate, endDate: row.endDate };
	return decide(stored, wanted, () => ({
		subscriptionId: row.subscriptionId,
		accountId: row.accountId,
		planCode: row.planCode,
		quantity: row.quantity,
		startDate: row.startDate,
		...(row.endDate ? { endDate: row.endDate } : {}),
	}));
}

/** What the checks of a charge row against the store need (a row of a partition, charges.ts). */
export interface ChargeRef {
	readonly line: number;
	readonly accountId: string;
	readonly chargeId: string;
	readonly date: string;
	readonly unitPrice: string;
}

/** A charge row against its account's currency and invoiced months, and the charge stored under its id. */
export function chargeProblem(ref: ChargeRef, currency: string | undefined, state: StoredState): FieldError | undefined {
	const refuse = (field: string, reason: string): FieldError => ({ line: ref.line, field, reason });
	if (currency === undefined) return refuse("account_id", `no account ${ref.accountId}, stored or in this import`);
	const digits = MINOR_UNIT_DIGITS[currency] ?? 0;
	if (priceDecimals(ref.unitPrice) > digits) {
		return refuse(
			"unit_price",
			`${JSON.stringify(ref.unitPrice)} has more decimals than ${currency}, the account's currency, has (${digits})`,
		);
	}
	const period = ref.date.slice(0, 7);
	const invoiced = state.invoicedPeriods.get(ref.accountId);
	if (invoiced?.has(period)) {
		return refuse("date", `${ref.accountId} was invoiced for ${period} already; bill it in an open month or issue a one-off invoice`);
	}
	const stored = state.charges.get(ref.accountId)?.get(ref.chargeId)?.charge;
	if (stored && invoiced?.has(stored.period)) {
		return refuse("charge_id", `charge ${ref.chargeId} was billed on ${ref.accountId}'s invoice for ${stored.period}; it cannot change`);
	}
	return undefined;
}

/** The charge a checked row makes, its price in the account's currency. */
export function chargeOf(row: ChargeRow, currency: string): Charge {
	return {
		accountId: row.accountId,
		period: row.date.slice(0, 7),
		chargeId: row.chargeId,
		date: row.date,
		description: row.description,
		quantity: row.quantity,
		unitAmount: parseMajorUnits(row.unitPrice, currency),
		kind: row.kind,
	};
}

export function decideCharge(charge: Charge, state: StoredState): Decision<Charge> {
	const stored = state.charges.get(charge.accountId)?.get(charge.chargeId)?.charge;
	if (!stored) return { action: "create", record: charge };
	return same(stored, charge) ? { action: "unchanged" } : { action: "update", before: { ...stored }, after: { ...charge } };
}
