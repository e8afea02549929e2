import pMap from "p-map";
import { TransientError } from "../core/errors.js";
import type { Account, CatalogPlan, Charge, Invoice, SubscriptionRecord } from "../core/model.js";
import type { BillingPeriod } from "../core/period.js";
import { cycleAccountKeys, RecordsRead } from "../store/batch-reads.js";
import { listSubscriptionsOfAccount } from "../store/catalog.js";
import { listCharges } from "../store/charges.js";
import { keys } from "../store/keys.js";
import { formatDocumentNumber, readSeries, type SeriesAsRead, seriesAdvance } from "../store/series.js";
import { conditionFailedAt, isCancelled, jitteredPause, type TransactItem, transactWrite } from "../store/transact.js";
import { subscriptionsAtPlanPrices } from "./catalog.js";
import {
	type AccountInvoice,
	ensureInvoicePdf,
	FINALIZATION_ACCOUNT_OFFSET,
	FINALIZATION_GUARD_OFFSET,
	finalizationItems,
	type InvoiceTotals,
	type InvoicingDeps,
	inSeriesOrder,
	invoiceRecord,
	invoiceSeriesOf,
	invoiceTotals,
	isBillable,
	issueAccountInvoice,
	MAX_NUMBERING_ATTEMPTS,
	storeNewInvoicePdf,
} from "./invoices.js";
import { priceInvoiceLines } from "./pricing.js";

export interface CurrencyTotal {
	readonly invoices: number;
	readonly total: number;
}

export interface BatchInvoicingResult {
	/** Numbers of the batch's invoices for the period, new or issued by an earlier attempt. */
	readonly invoiceNumbers: string[];
	readonly issued: number;
	readonly alreadyIssued: number;
	readonly nothingToBill: number;
	readonly failed: number;
	/** The batch's invoices for the period, issued now or before (each account's once), by currency: how many and their total. */
	readonly totalsByCurrency: Record<string, CurrencyTotal>;
}

type Outcome = AccountInvoice | { readonly outcome: "failed"; readonly reason: string };

/** Accounts of a batch read and priced side by side: the Query calls overlap, the CPU stays shared with the other batches. */
const PRICING_CONCURRENCY = 4;
/** PDFs rendered and stored side by side. */
const PDF_CONCURRENCY = 2;
/** A transaction takes 100 items and 4 MB: the series advance and the books' lock check, then the invoices as they fit. */
const MAX_ITEMS_PER_WRITE = 98;
const MAX_BYTES_PER_WRITE = 3_000_000;

interface Draft {
	readonly account: Account;
	readonly lines: ReturnType<typeof priceInvoiceLines>;
	readonly totals: InvoiceTotals;
}

/** Transient faults retry the whole batch (the state machine's Retry), which is safe because issuing is idempotent. */
function rethrowTransient(err: unknown): Error {
	if (err instanceof TransientError) throw err;
	return err instanceof Error ? err : new Error(String(err));
}

const failure = (err: unknown): Outcome => ({ outcome: "failed", reason: rethrowTransient(err).message });

/**
 * Issues the batch's invoices for the period: the accounts, their period guards (and
 * statements, for the step after) read in one call, the accounts priced side by side, then
 * numbered together: each transaction advances the series by the invoices it stores, so
 * numbers stay gapless and unique and every invoice commits with its guard, ledger entry and
 * account update. One account's failure is recorded and the batch goes on; transient faults
 * propagate so the state machine retries the batch.
 */
export async function issueInvoicesForBatch(
	deps: InvoicingDeps,
	accountIds: readonly string[],
	period: BillingPeriod,
	recordFailure: (accountId: string, reason: string) => Promise<void>,
	read?: RecordsRead,
): Promise<BatchInvoicingResult> {
	const ids = [...new Set(accountIds)];
	const records = read ?? (await RecordsRead.of(deps, cycleAccountKeys(ids, period.period)));
	const outcomes = new Map<string, Outcome>();
	const issuedBefore: { accountId: string; number: string }[] = [];
	const toPrice: Account[] = [];
	for (const accountId of ids) {
		try {
			const number = records.invoiceNumberForPeriod(accountId, period.period);
			if (number) issuedBefore.push({ accountId, number });
			else {
				const account = records.account(accountId);
				if (!account) throw new Error(`account ${accountId} does not exist`);
				toPrice.push(account);
			}
		} catch (err) {
			outcomes.set(accountId, failure(err));
		}
	}

	const drafts: Draft[] = [];
	for (const [accountId, priced] of await priceAccounts(deps, toPrice, period)) {
		if (priced instanceof Error) outcomes.set(accountId, failure(priced));
		else if (!isBillable(priced.lines, priced.totals)) outcomes.set(accountId, { outcome: "nothing_to_bill" });
		else drafts.push(priced);
	}
	const { finalized, startOver } = await finalizeDrafts(deps, period, drafts);
	await pMap(
		finalized,
		async (invoice) => {
			try {
				await storeNewInvoicePdf(deps, invoice);
				outcomes.set(invoice.accountId, { outcome: "issued", invoice });
			} catch (err) {
				outcomes.set(invoice.accountId, failure(err));
			}
		},
		{ concurrency: PDF_CONCURRENCY },
	);
	await ensureIssuedBefore(deps, issuedBefore, outcomes);
	// Accounts that changed under their transaction (or whose block failed) go through the one-account path, which reads them again.
	for (const accountId of startOver) outcomes.set(accountId, await issueAccountInvoice(deps, accountId, period).catch(failure));

	return summarize(accountIds, outcomes, recordFailure);
}

/** The invoices issued by an earlier attempt: read together, each PDF stored unless it is there (the attempt may have crashed before). */
async function ensureIssuedBefore(
	deps: InvoicingDeps,
	issuedBefore: readonly { accountId: string; number: string }[],
	outcomes: Map<string, Outcome>,
): Promise<void> {
	if (issuedBefore.length === 0) return;
	const invoices = await RecordsRead.of(
		deps,
		issuedBefore.map(({ number }) => keys.invoice(number)),
	);
	await pMap(
		issuedBefore,
		async ({ accountId, number }) => {
			try {
				const invoice = invoices.invoice(number);
				if (!invoice) throw new Error(`invoice ${number} does not exist`);
				await ensureInvoicePdf(deps, invoice);
				outcomes.set(accountId, { outcome: "already_issued", invoice });
			} catch (err) {
				outcomes.set(accountId, failure(err));
			}
		},
		{ concurrency: PDF_CONCURRENCY },
	);
}

/** Prices each account's period: its charges and subscriptions read side by side with the other accounts', the plans of all in one read. */
async function priceAccounts(
	deps: InvoicingDeps,
	accounts: readonly Account[],
	period: BillingPeriod,
): Promise<Map<string, Draft | Error>> {
	type Inputs = { readonly charges: Charge[]; readonly subscriptions: SubscriptionRecord[] };
	const inputs = await pMap(
		accounts,
		(account): Promise<Inputs | Error> =>
			Promise.all([listCharges(deps, account.accountId, period.period), listSubscriptionsOfAccount(deps, account.accountId)]).then(
				([charges, subscriptions]) => ({ charges, subscriptions }),
				rethrowTransient,
			),
		{ concurrency: PRICING_CONCURRENCY },
	);
	const planCodes = new Set(inputs.flatMap((i) => (i instanceof Error ? [] : i.subscriptions.map((s) => s.planCode))));
	const plans = planCodes.size > 0 ? await RecordsRead.of(deps, [...planCodes].map(keys.plan)).catch(rethrowTransient) : undefined;
	const priced = new Map<string, Draft | Error>();
	for (const [i, account] of accounts.entries()) {
		try {
			const input = inputs[i] as Inputs | Error;
			if (input instanceof Error) throw input;
			const lines = priceInvoiceLines(account, input.charges, period, subscribed(account, input.subscriptions, plans));
			priced.set(account.accountId, { account, lines, totals: invoiceTotals(lines) });
		} catch (err) {
			priced.set(account.accountId, rethrowTransient(err));
		}
	}
	return priced;
}

function subscribed(account: Account, subscriptions: readonly SubscriptionRecord[], plans: RecordsRead | Error | undefined) {
	if (subscriptions.length === 0) return [];
	if (plans instanceof Error) throw plans;
	const ofAccount = new Map<string, CatalogPlan>();
	for (const s of subscriptions) {
		const plan = plans?.plan(s.planCode);
		if (plan) ofAccount.set(s.planCode, plan);
	}
	return subscriptionsAtPlanPrices(account, subscriptions, ofAccount);
}

/**
 * Numbers and stores the drafts, as many per transaction as fit, the series advanced by
 * that many in the same transaction. A draft whose period guard or account update fails
 * (issued meanwhile, the account changed) leaves the transaction and starts over on its
 * own; when the series moved on under another finalization, it is read again.
 */
async function finalizeDrafts(
	deps: InvoicingDeps,
	period: BillingPeriod,
	drafts: readonly Draft[],
): Promise<{ finalized: Invoice[]; startOver: string[] }> {
	const finalized: Invoice[] = [];
	const startOver: string[] = [];
	if (drafts.length === 0) return { finalized, startOver };
	const seriesName = invoiceSeriesOf(deps, period);
	await inSeriesOrder(seriesName, async () => {
		let pending = [...drafts];
		let series: SeriesAsRead | undefined;
		for (let attempt = 1; pending.length > 0; ) {
			series ??= await readSeries(deps, seriesName);
			const block = finalizationBlock(deps, period, series, pending);
			try {
				await transactWrite(deps, block.items);
				finalized.push(...block.invoices);
				pending = pending.slice(block.invoices.length);
				series = { series: seriesName, last: series.last + block.invoices.length, stored: true };
				continue;
			} catch (err) {
				if (err instanceof TransientError) throw err;
				if (!isCancelled(err)) {
					// Whether it committed is unknown (or one invoice is too large): each account of the block on its own.
					startOver.push(...block.invoices.map((i) => i.accountId));
					pending = pending.slice(block.invoices.length);
					series = undefined;
					continue;
				}
				const changed = block.offsets.filter(
					(offset) =>
						conditionFailedAt(err, offset + FINALIZATION_GUARD_OFFSET) || conditionFailedAt(err, offset + FINALIZATION_ACCOUNT_OFFSET),
				);
				if (changed.length > 0) {
					// Nothing was written: the others go again at once, under the same numbers less those that left.
					const leaving = new Set(changed.map((offset) => block.invoices[block.offsets.indexOf(offset)]?.accountId));
					startOver.push(...[...leaving].filter((id): id is string => id !== undefined));
					pending = pending.filter((d) => !leaving.has(d.account.accountId));
					continue;
				}
			}
			// The series moved on under a concurrent finalization: read it again after an exponential
			// backoff with full jitter, so finalizations colliding at once spread out.
			if (attempt >= MAX_NUMBERING_ATTEMPTS) {
				throw new TransientError(`could not assign invoice numbers in series ${seriesName} after ${MAX_NUMBERING_ATTEMPTS} attempts`);
			}
			await jitteredPause(attempt);
			attempt += 1;
			series = undefined;
		}
	});
	return { finalized, startOver };
}

/** The first drafts that fit one transaction, numbered after the series as read, with where each one's items start. */
function finalizationBlock(deps: InvoicingDeps, period: BillingPeriod, series: SeriesAsRead, pending: readonly Draft[]) {
	const createdAt = (deps.now?.() ?? new Date()).toISOString();
	const recordedAt = new Date().toISOString();
	const invoices: Invoice[] = [];
	const offsets: number[] = [];
	const parts: TransactItem[] = [];
	let bytes = 0;
	for (const draft of pending) {
		const number = formatDocumentNumber(series.series, series.last + invoices.length + 1);
		const invoice = invoiceRecord(draft.account, period, number, draft, createdAt);
		const items = finalizationItems(deps, draft.account, invoice, recordedAt);
		const size = JSON.stringify(items).length;
		if (invoices.length > 0 && (parts.length + items.length > MAX_ITEMS_PER_WRITE || bytes + size > MAX_BYTES_PER_WRITE)) break;
		offsets.push(1 + parts.length);
		invoices.push(invoice);
		parts.push(...items);
		bytes += size;
	}
	return { invoices, offsets, items: [seriesAdvance(deps.tableName, series, invoices.length), ...parts] };
}

/** The batch's counts in the order of its accounts (an account listed twice counts as issued before the second time). */
async function summarize(
	accountIds: readonly string[],
	outcomes: ReadonlyMap<string, Outcome>,
	recordFailure: (accountId: string, reason: string) => Promise<void>,
): Promise<BatchInvoicingResult> {
	const result = { invoiceNumbers: [] as string[], issued: 0, alreadyIssued: 0, nothingToBill: 0, failed: 0 };
	const totalsByCurrency: Record<string, { invoices: number; total: number }> = {};
	const seen = new Set<string>();
	for (const accountId of accountIds) {
		const outcome = outcomes.get(accountId);
		const again = seen.has(accountId);
		seen.add(accountId);
		if (!outcome) continue;
		if (outcome.outcome === "failed") {
			result.failed += 1;
			await recordFailure(accountId, outcome.reason);
		} else if (outcome.outcome === "nothing_to_bill") result.nothingToBill += 1;
		else {
			result.invoiceNumbers.push(outcome.invoice.number);
			if (outcome.outcome === "issued" && !again) result.issued += 1;
			else result.alreadyIssued += 1;
			if (again) continue;
			const bucket = totalsByCurrency[outcome.invoice.currency] ?? { invoices: 0, total: 0 };
			bucket.invoices += 1;
			bucket.total += outcome.invoice.total;
			totalsByCurrency[outcome.invoice.currency] = bucket;
		}
	}
	return { ...result, totalsByCurrency };
}
