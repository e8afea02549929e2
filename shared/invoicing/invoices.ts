import type { S3Client } from "@aws-sdk/client-s3";
import { TransientError } from "../core/errors.js";
import type { Account, Invoice, InvoiceLine } from "../core/model.js";
import { addDays, type BillingPeriod } from "../core/period.js";
import { renderInvoicePdf } from "../documents/invoice-pdf.js";
import type { SellerConfig } from "../platform/config.js";
import { storePdfUnlessPresent } from "../platform/s3-objects.js";
import { balanceChangeAsRead } from "../store/accounts.js";
import { issuedInvoice, reissuedInvoice } from "../store/invoices.js";
import { creditAppliedEntries, ledgerEntryPut } from "../store/ledger.js";
import { getAccount, getInvoice, getInvoiceNumberForPeriod, type TableDeps } from "../store/records.js";
import { nextInSeries } from "../store/series.js";
import { conditionFailedAt, isCancelled, jitteredPause, type TransactItem, transactWrite } from "../store/transact.js";
import { priceAccountPeriod } from "./catalog.js";
import { paymentTermsFor, taxNoteFor } from "./pricing.js";

export interface InvoiceTotals {
	readonly subtotal: number;
	readonly tax: number;
	readonly total: number;
}

export function invoiceTotals(lines: readonly InvoiceLine[]): InvoiceTotals {
	const subtotal = lines.reduce((acc, l) => acc + l.amount, 0);
	const tax = lines.reduce((acc, l) => acc + l.tax, 0);
	return { subtotal, tax, total: subtotal + tax };
}

export interface InvoicingDeps extends TableDeps {
	readonly s3: S3Client;
	readonly bucketName: string;
	readonly seller: SellerConfig;
	readonly now?: () => Date;
	/** Who or what the audit trail names for the change; the billing cycle when absent. */
	readonly actor?: string;
}

export type InvoiceOutcome =
	| { readonly accountId: string; readonly outcome: "issued" | "already_issued"; readonly invoiceNumber: string }
	| { readonly accountId: string; readonly outcome: "nothing_to_bill" };

const MAX_NUMBERING_ATTEMPTS = 25;
/** Positions in the finalization's transaction: the series advance, `issuedInvoice`'s period guard, invoice and audit, the account update. */
const PERIOD_GUARD = 1;
const ACCOUNT_UPDATE = 4;

/**
 * Issues the account's invoice for the period, once. The invoice number is taken from
 * its series in the same transaction that stores the invoice, its period guard and its
 * ledger entry, so numbers are gapless and unique and a retry never issues twice.
 */
export async function issueInvoiceForAccount(deps: InvoicingDeps, accountId: string, period: BillingPeriod): Promise<InvoiceOutcome> {
	const existing = await getInvoiceNumberForPeriod(deps, accountId, period.period);
	if (existing) {
		await ensureInvoicePdf(deps, existing);
		return { accountId, outcome: "already_issued", invoiceNumber: existing };
	}
	const account = await getAccount(deps, accountId);
	if (!account) throw new Error(`account ${accountId} does not exist`);
	const lines = await priceAccountPeriod(deps, account, period);
	const totals = invoiceTotals(lines);
	// Nothing charged after discounts is nothing to bill: the cent per-line tax rounding can leave
	// on a 100%-off period (each line's tax rounded on its own) is not an amount anyone owes.
	if (lines.length === 0 || totals.subtotal <= 0 || totals.total <= 0) return { accountId, outcome: "nothing_to_bill" };

	const series = `${deps.seller.invoiceSeriesPrefix}-${period.asOf.slice(0, 4)}`;
	const finalized = await inSeriesOrder(series, () => finalizeInvoice(deps, account, period, series, lines, totals));
	// Issued by a concurrent attempt, or the account changed since it was read: start over.
	if (finalized === "restart") return issueInvoiceForAccount(deps, accountId, period);
	await ensureInvoicePdf(deps, finalized);
	return { accountId, outcome: "issued", invoiceNumber: finalized };
}

/**
 * Finalizations in one process (the embedded engine runs a Map's batches side by side)
 * take their series' next number one after another instead of racing for it; across
 * processes the conditional transaction below keeps numbers gapless and unique.
 */
const seriesQueues = new Map<string, Promise<unknown>>();

export async function inSeriesOrder<T>(series: string, work: () => Promise<T>): Promise<T> {
	const run = (seriesQueues.get(series) ?? Promise.resolve()).then(work, work);
	const tail = run.catch(() => undefined);
	seriesQueues.set(series, tail);
	try {
		return await run;
	} finally {
		if (seriesQueues.get(series) === tail) seriesQueues.delete(series);
	}
}

/** Stores the invoice under the series' next number; "restart" when the invoice or account changed under it. */
export async function finalizeInvoice(
	deps: InvoicingDeps,
	account: Account,
	period: BillingPeriod,
	series: string,
	lines: InvoiceLine[],
	totals: InvoiceTotals,
	options: { readonly oneOff?: boolean; readonly replaces?: Invoice } = {},
): Promise<string | "restart"> {
	const accountId = account.accountId;
	for (let attempt = 1; attempt <= MAX_NUMBERING_ATTEMPTS; attempt++) {
		const { number, advance } = await nextInSeries(deps, series);
		const createdAt = (deps.now?.() ?? new Date()).toISOString();
		const recordedAt = new Date().toISOString();
		const terms = paymentTermsFor(account);
		const taxNote = taxNoteFor(account);
		// Account credit (overpayments, credit memos on paid invoices) pays what it can of the new invoice.
		const creditApplied = Math.min(account.creditBalance, totals.total);
		const amountDue = totals.total - creditApplied;
		const invoice: Invoice = {
			number,
			accountId,
			period: period.period,
			currency: account.currency,
			status: amountDue === 0 ? "paid" : "open",
			issueDate: period.asOf,
			dueDate: addDays(period.asOf, terms.days),
			paymentTerms: terms.label,
			...(taxNote ? { taxNote } : {}),
			billTo: { name: account.name, email: account.email, addressLines: account.addressLines },
			lines,
			...totals,
			amountPaid: 0,
			...(creditApplied > 0 ? { creditApplied } : {}),
			amountDue,
			pdfKey: `invoices/${period.period}/${number}.pdf`,
			...(options.oneOff ? { oneOff: true as const } : {}),
			...(options.replaces ? { reissueOf: options.replaces.number } : {}),
			createdAt,
		};
		const actor = deps.actor ?? "billing-cycle";
		const items = [
			advance,
			...issuedInvoice(deps.tableName, invoice, { action: "finalized", actor, at: createdAt }),
			// Consuming credit moves no balance by itself: the balance is amounts due minus credit, and both drop by it.
			...balanceChangeAsRead(
				deps.tableName,
				account,
				{ balanceDelta: invoice.total, creditDelta: -creditApplied, recordedAt },
				{ action: "invoice_issued", actor, at: createdAt, reason: number },
			),
			...issuedInvoiceEntries(deps.tableName, invoice, recordedAt),
			...(options.replaces ? reissuedInvoice(deps.tableName, options.replaces, number, { action: "reissued", actor, at: createdAt }) : []),
		];
		try {
			await transactWrite(deps, items);
			return number;
		} catch (err) {
			if (!isCancelled(err)) throw err;
			if (conditionFailedAt(err, PERIOD_GUARD) || conditionFailedAt(err, ACCOUNT_UPDATE)) return "restart";
			// The series moved on under a concurrent finalization: read it again and retry, after an
			// exponential backoff with full jitter so a hundred finalizations at once spread out.
			await jitteredPause(attempt);
		}
	}
	throw new TransientError(`could not assign an invoice number in series ${series} after ${MAX_NUMBERING_ATTEMPTS} attempts`);
}

/** Renders and stores the invoice's PDF unless it is already in S3 (a retry after a crash). */
export async function ensureInvoicePdf(deps: InvoicingDeps, number: string): Promise<void> {
	const invoice = await getInvoice(deps, number);
	if (!invoice) throw new Error(`invoice ${number} does not exist`);
	await storePdfUnlessPresent(deps.s3, deps.bucketName, invoice.pdfKey, () => renderInvoicePdf(invoice, deps.seller), {
		"invoice-number": number,
		"account-id": invoice.accountId,
	});
}

export interface BatchInvoicingResult {
	/** Numbers of the batch's invoices for the period, new or issued by an earlier attempt. */
	readonly invoiceNumbers: string[];
	readonly issued: number;
	readonly alreadyIssued: number;
	readonly nothingToBill: number;
	readonly failed: number;
}

/**
 * One account's failure is recorded and the batch goes on; transient faults propagate so
 * the state machine retries the batch, which is safe because issuing is idempotent.
 */
export async function issueInvoicesForBatch(
	deps: InvoicingDeps,
	accountIds: readonly string[],
	period: BillingPeriod,
	recordFailure: (accountId: string, reason: string) => Promise<void>,
): Promise<BatchInvoicingResult> {
	const result = { invoiceNumbers: [] as string[], issued: 0, alreadyIssued: 0, nothingToBill: 0, failed: 0 };
	for (const accountId of accountIds) {
		try {
			const outcome = await issueInvoiceForAccount(deps, accountId, period);
			if (outcome.outcome === "nothing_to_bill") {
				result.nothingToBill += 1;
				continue;
			}
			result.invoiceNumbers.push(outcome.invoiceNumber);
			if (outcome.outcome === "issued") result.issued += 1;
			else result.alreadyIssued += 1;
		} catch (err) {
			if (err instanceof TransientError) throw err;
			result.failed += 1;
			await recordFailure(accountId, err instanceof Error ? err.message : String(err));
		}
	}
	return result;
}

/** The new invoice's entry, on its issue date, and the account credit it consumed. */
function issuedInvoiceEntries(tableName: string, invoice: Invoice, recordedAt: string): TransactItem[] {
	const base = { accountId: invoice.accountId, currency: invoice.currency, effectiveDate: invoice.issueDate, recordedAt };
	return [
		ledgerEntryPut(tableName, {
			...base,
			type: "invoice_issued",
			amount: invoice.total,
			reference: invoice.number,
			invoiceNumber: invoice.number,
		}),
		...creditAppliedEntries(tableName, base, [{ invoiceNumber: invoice.number, amount: invoice.creditApplied ?? 0 }]),
	];
}
