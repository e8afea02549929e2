import type { S3Client } from "@aws-sdk/client-s3";
import { TransientError } from "../core/errors.js";
import type { Account, Invoice, InvoiceLine } from "../core/model.js";
import { addDays, type BillingPeriod } from "../core/period.js";
import { renderInvoicePdf } from "../documents/invoice-pdf.js";
import type { DocumentRetention, SellerConfig } from "../platform/config.js";
import { storeNewPdf, storePdfUnlessPresent } from "../platform/s3-objects.js";
import { balanceChangeAsRead } from "../store/accounts.js";
import { issuedInvoice, reissuedInvoice } from "../store/invoices.js";
import { creditAppliedEntries, ledgerEntryPut } from "../store/ledger.js";
import { getAccount, getInvoice, getInvoiceNumberForPeriod } from "../store/records.js";
import { nextInSeries } from "../store/series.js";
import { conditionFailedAt, isCancelled, jitteredPause, type TransactItem, transactWrite, type WriteDeps } from "../store/transact.js";
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

export interface InvoicingDeps extends WriteDeps {
	readonly s3: S3Client;
	readonly bucketName: string;
	readonly seller: SellerConfig;
	/** The Object Lock retention each issued document (invoice, credit memo, statement) is stored with (DOCUMENT_RETENTION_YEARS); none when absent. */
	readonly documentRetention?: DocumentRetention;
	readonly now?: () => Date;
	/** Who or what the audit trail names for the change; the billing cycle when absent. */
	readonly actor?: string;
}

export type InvoiceOutcome =
	| { readonly accountId: string; readonly outcome: "issued" | "already_issued"; readonly invoiceNumber: string }
	| { readonly accountId: string; readonly outcome: "nothing_to_bill" };

/** How often taking the series' next number is tried when a concurrent writer takes it first. */
export const MAX_NUMBERING_ATTEMPTS = 25;

/**
 * Issues the account's invoice for the period, once. The invoice number is taken from
 * its series in the same transaction that stores the invoice, its period guard and its
 * ledger entry, so numbers are gapless and unique and a retry never issues twice.
 */
export async function issueInvoiceForAccount(deps: InvoicingDeps, accountId: string, period: BillingPeriod): Promise<InvoiceOutcome> {
	const issued = await issueAccountInvoice(deps, accountId, period);
	if (issued.outcome === "nothing_to_bill") return { accountId, outcome: "nothing_to_bill" };
	return { accountId, outcome: issued.outcome, invoiceNumber: issued.invoice.number };
}

export type AccountInvoice =
	| { readonly outcome: "issued" | "already_issued"; readonly invoice: Invoice }
	| { readonly outcome: "nothing_to_bill" };

/** `issueInvoiceForAccount`, answering the invoice itself. */
export async function issueAccountInvoice(deps: InvoicingDeps, accountId: string, period: BillingPeriod): Promise<AccountInvoice> {
	const existing = await getInvoiceNumberForPeriod(deps, accountId, period.period);
	if (existing) {
		const invoice = await getInvoice(deps, existing);
		if (!invoice) throw new Error(`invoice ${existing} does not exist`);
		await ensureInvoicePdf(deps, invoice);
		return { outcome: "already_issued", invoice };
	}
	const account = await getAccount(deps, accountId);
	if (!account) throw new Error(`account ${accountId} does not exist`);
	const lines = await priceAccountPeriod(deps, account, period);
	const totals = invoiceTotals(lines);
	if (!isBillable(lines, totals)) return { outcome: "nothing_to_bill" };

	const series = invoiceSeriesOf(deps, period);
	const finalized = await inSeriesOrder(series, () => finalizeInvoice(deps, account, period, series, lines, totals));
	// Issued by a concurrent attempt, or the account changed since it was read: start over.
	if (finalized === "restart") return issueAccountInvoice(deps, accountId, period);
	await storeNewInvoicePdf(deps, finalized);
	return { outcome: "issued", invoice: finalized };
}

/**
 * Nothing charged after discounts is nothing to bill: the cent per-line tax rounding can leave
 * on a 100%-off period (each line's tax rounded on its own) is not an amount anyone owes.
 */
export function isBillable(lines: readonly InvoiceLine[], totals: InvoiceTotals): boolean {
	return lines.length > 0 && totals.subtotal > 0 && totals.total > 0;
}

/** The cycle's invoices are numbered in the series of the year they are issued in. */
export function invoiceSeriesOf(deps: Pick<InvoicingDeps, "seller">, period: BillingPeriod): string {
	return `${deps.seller.invoiceSeriesPrefix}-${period.asOf.slice(0, 4)}`;
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

export interface FinalizeOptions {
	readonly oneOff?: boolean;
	readonly replaces?: Invoice;
}

/** The invoice record finalization stores under `number`. */
export function invoiceRecord(
	account: Account,
	period: BillingPeriod,
	number: string,
	priced: { readonly lines: InvoiceLine[]; readonly totals: InvoiceTotals },
	createdAt: string,
	options: FinalizeOptions = {},
): Invoice {
	const { lines, totals } = priced;
	const terms = paymentTermsFor(account);
	const taxNote = taxNoteFor(account);
	// Account credit (overpayments, credit memos on paid invoices) pays what it can of the new invoice.
	const creditApplied = Math.min(account.creditBalance, totals.total);
	const amountDue = totals.total - creditApplied;
	return {
		number,
		accountId: account.accountId,
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
}

/** Where in `finalizationItems` the period guard and the account's update are: a failed condition there means start over. */
export const FINALIZATION_GUARD_OFFSET = 0;
export const FINALIZATION_ACCOUNT_OFFSET = 4;

/**
 * One invoice's part of a finalization transaction, after its series advance: the period
 * guard, the invoice, its audit entry and its event, the account's update on the balance as read and
 * its audit entry, the ledger entries, and for a re-issue the void invoice's mark.
 */
export function finalizationItems(
	deps: InvoicingDeps,
	account: Account,
	invoice: Invoice,
	recordedAt: string,
	options: FinalizeOptions = {},
): TransactItem[] {
	const actor = deps.actor ?? "billing-cycle";
	const at = invoice.createdAt;
	return [
		...issuedInvoice(deps.tableName, invoice, { action: "finalized", actor, at }),
		// Consuming credit moves no balance by itself: the balance is amounts due minus credit, and both drop by it.
		...balanceChangeAsRead(
			deps.tableName,
			account,
			{ balanceDelta: invoice.total, creditDelta: -(invoice.creditApplied ?? 0), recordedAt },
			{ action: "invoice_issued", actor, at, reason: invoice.number },
		),
		...issuedInvoiceEntries(deps.tableName, invoice, recordedAt),
		...(options.replaces ? reissuedInvoice(deps.tableName, options.replaces, invoice.number, { action: "reissued", actor, at }) : []),
	];
}

/** Stores the invoice under the series' next number; "restart" when the invoice or account changed under it. */
export async function finalizeInvoice(
	deps: InvoicingDeps,
	account: Account,
	period: BillingPeriod,
	series: string,
	lines: InvoiceLine[],
	totals: InvoiceTotals,
	options: FinalizeOptions = {},
): Promise<Invoice | "restart"> {
	for (let attempt = 1; attempt <= MAX_NUMBERING_ATTEMPTS; attempt++) {
		const { number, advance } = await nextInSeries(deps, series);
		const createdAt = (deps.now?.() ?? new Date()).toISOString();
		const recordedAt = new Date().toISOString();
		const invoice = invoiceRecord(account, period, number, { lines, totals }, createdAt, options);
		try {
			await transactWrite(deps, [advance, ...finalizationItems(deps, account, invoice, recordedAt, options)]);
			return invoice;
		} catch (err) {
			if (!isCancelled(err)) throw err;
			if (conditionFailedAt(err, 1 + FINALIZATION_GUARD_OFFSET) || conditionFailedAt(err, 1 + FINALIZATION_ACCOUNT_OFFSET))
				return "restart";
			// The series moved on under a concurrent finalization: read it again and retry, after an
			// exponential backoff with full jitter so a hundred finalizations at once spread out.
			await jitteredPause(attempt);
		}
	}
	throw new TransientError(`could not assign an invoice number in series ${series} after ${MAX_NUMBERING_ATTEMPTS} attempts`);
}

const invoicePdfMetadata = (invoice: Invoice) => ({ "invoice-number": invoice.number, "account-id": invoice.accountId });

/** Renders and stores the invoice's PDF unless it is already in S3 (a retry after a crash). */
export async function ensureInvoicePdf(deps: InvoicingDeps, number: string | Invoice): Promise<void> {
	const invoice = typeof number === "string" ? await getInvoice(deps, number) : number;
	if (!invoice) throw new Error(`invoice ${number} does not exist`);
	await storePdfUnlessPresent(deps.s3, deps.bucketName, invoice.pdfKey, () => renderInvoicePdf(invoice, deps.seller), {
		metadata: invoicePdfMetadata(invoice),
		retention: deps.documentRetention,
	});
}

/**
 * Renders and stores the PDF of an invoice this attempt just finalized: its number is new,
 * so no PDF can be stored under it yet and S3 is not asked first. (A retry after a crash
 * finds the invoice issued and goes through `ensureInvoicePdf`.)
 */
export async function storeNewInvoicePdf(deps: InvoicingDeps, invoice: Invoice): Promise<void> {
	const pdf = await renderInvoicePdf(invoice, deps.seller);
	await storeNewPdf(deps.s3, deps.bucketName, invoice.pdfKey, pdf, {
		metadata: invoicePdfMetadata(invoice),
		retention: deps.documentRetention,
	});
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
