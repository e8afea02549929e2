import { BillingError, ValidationError } from "../core/errors.js";
import { type CreditMemo, creditMemoSchema, type Invoice } from "../core/model.js";
import { formatMoney } from "../core/money.js";
import { renderCreditMemoPdf } from "../documents/credit-memo-pdf.js";
import { type EinvoiceFinding, ensureEinvoice } from "../einvoicing/issue.js";
import { storePdfUnlessPresent } from "../platform/s3-objects.js";
import { balanceChangeAsRead } from "../store/accounts.js";
import { auditPut } from "../store/audit.js";
import { creditMemoIssued, getCreditMemo } from "../store/credit-memos.js";
import { creditMemoOnInvoice } from "../store/invoices.js";
import { ledgerEntryPut } from "../store/ledger.js";
import { getAccount, getInvoice } from "../store/records.js";
import { nextInSeries } from "../store/series.js";
import { isCancelled, RETRY, type TransactItem, transactWrite, withOptimisticRetry } from "../store/transact.js";
import type { InvoicingDeps } from "./invoices.js";

export const CREDIT_MEMO_SERIES_PREFIX = "CM";
const MAX_NUMBERING_ATTEMPTS = 25;

export interface CreditMemoRequest {
	readonly invoiceNumber: string;
	/** Minor units of the invoice's currency. */
	readonly amount: number;
	readonly reason: string;
}

/**
 * What a credit memo may still credit on the invoice: its total less the memos already
 * issued and what was written off. A written-off amount was never paid, so crediting it
 * would hand the customer spendable credit for money the company never received.
 */
export function creditableAmount(invoice: Invoice): number {
	return invoice.total - (invoice.creditMemoTotal ?? 0) - (invoice.amountWrittenOff ?? 0);
}

/**
 * Issues a credit memo against an invoice. It reduces what is still due on the invoice
 * and any rest (on a paid invoice, all of it) becomes account credit the next invoice
 * consumes. Number (own gapless series), memo, invoice, account, ledger entry (credit_memo,
 * −amount) and audit entries are written in one transaction.
 */
export async function createCreditMemo(
	deps: InvoicingDeps,
	request: CreditMemoRequest,
): Promise<CreditMemo & { readonly einvoice?: CreditMemoEinvoice }> {
	const reason = request.reason.trim();
	if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
		throw new ValidationError(`amount must be a positive whole number of minor units, got ${request.amount}`);
	}
	if (reason === "") throw new ValidationError("a credit memo needs a reason");
	const memo = await withOptimisticRetry(
		`could not issue a credit memo for ${request.invoiceNumber}`,
		async () => {
			const invoice = await getInvoice(deps, request.invoiceNumber);
			if (!invoice) throw new BillingError(`no invoice ${request.invoiceNumber}`, 404);
			if (invoice.status === "void") throw new ValidationError(`invoice ${invoice.number} is void: nothing to credit`);
			if (invoice.status === "uncollectible") {
				throw new ValidationError(
					`invoice ${invoice.number} is written off: its amount is no longer receivable, so a credit memo would only become account credit; reverse the write-off first`,
				);
			}
			const creditable = creditableAmount(invoice);
			if (request.amount > creditable) {
				throw new ValidationError(
					`invoice ${invoice.number} can be credited at most ${formatMoney({ amount: creditable, currency: invoice.currency })} more, not ${formatMoney({ amount: request.amount, currency: invoice.currency })}`,
				);
			}
			const account = await getAccount(deps, invoice.accountId);
			if (!account) throw new Error(`account ${invoice.accountId} of invoice ${invoice.number} does not exist`);

			const now = deps.now?.() ?? new Date();
			const at = now.toISOString();
			const recordedAt = new Date().toISOString();
			const issueDate = at.slice(0, 10);
			const series = `${CREDIT_MEMO_SERIES_PREFIX}-${issueDate.slice(0, 4)}`;
			const { number, advance } = await nextInSeries(deps, series);

			const appliedToInvoice = Math.min(request.amount, invoice.amountDue);
			const addedToAccountCredit = request.amount - appliedToInvoice;
			const memo: CreditMemo = creditMemoSchema.parse({
				number,
				invoiceNumber: invoice.number,
				accountId: invoice.accountId,
				currency: invoice.currency,
				amount: request.amount,
				appliedToInvoice,
				addedToAccountCredit,
				reason,
				issueDate,
				billTo: invoice.billTo,
				pdfKey: `credit-memos/${issueDate.slice(0, 7)}/${number}.pdf`,
				createdBy: deps.actor ?? "billing-cycle",
				createdAt: at,
			});
			const actor = memo.createdBy;
			try {
				await transactWrite(deps, [
					advance,
					...creditMemoIssued(deps.tableName, memo),
					...creditMemoOnInvoice(deps.tableName, invoice, memo, { action: "credited", actor, at, reason: `${number}: ${reason}` }),
					...balanceChangeAsRead(
						deps.tableName,
						account,
						{ balanceDelta: -request.amount, creditDelta: addedToAccountCredit, recordedAt },
						{ action: "credit_memo", actor, at, reason: number },
					),
					...memoEntries(deps.tableName, memo, recordedAt),
					auditPut(deps.tableName, {
						subject: "credit_memo",
						subjectId: number,
						action: "issued",
						actor,
						at,
						reason,
						before: null,
						after: { invoiceNumber: invoice.number, amount: request.amount, appliedToInvoice, addedToAccountCredit },
					}),
				]);
				return memo;
			} catch (err) {
				if (!isCancelled(err)) throw err;
				// The series, the invoice or the account moved on under a concurrent change: read again and retry.
				return RETRY;
			}
		},
		MAX_NUMBERING_ATTEMPTS,
	);
	await ensureCreditMemoPdf(deps, memo);
	const einvoice = await issueCreditMemoEinvoice(deps, memo.number);
	return { ...memo, ...(einvoice ? { einvoice } : {}) };
}

/** What became of a credit memo's e-invoice: stored beside its PDF (with how many warnings), or refused with the rules' findings. */
export type CreditMemoEinvoice =
	| { readonly status: "stored"; readonly profile: string; readonly key: string; readonly pdfKey?: string; readonly warnings: number }
	| { readonly status: "refused"; readonly profile: string; readonly findings: readonly EinvoiceFinding[] };

/**
 * The memo's e-invoice when its account needs one (DESIGN.md section 13): a UBL CreditNote
 * or a CII 381 referring to the credited invoice, made from the account as it is now and
 * checked with the official rules as an invoice's is; stored beside the memo's PDF, or
 * refused and on the worklist until the account is corrected and this runs again
 * (`billing credit-memo einvoice NUMBER`). Undefined for an account that needs none.
 */
export async function issueCreditMemoEinvoice(deps: InvoicingDeps, number: string): Promise<CreditMemoEinvoice | undefined> {
	const memo = await getCreditMemo(deps, number);
	if (!memo) throw new BillingError(`no credit memo ${number}`, 404);
	const [invoice, account] = await Promise.all([getInvoice(deps, memo.invoiceNumber), getAccount(deps, memo.accountId)]);
	if (!invoice || !account)
		throw new Error(`credit memo ${number}: its invoice ${memo.invoiceNumber} or account ${memo.accountId} does not exist`);
	const issued = await ensureEinvoice(deps, { document: "credit_memo", memo, invoice }, account);
	if (!issued) return undefined;
	if (issued.status === "refused") return { status: "refused", profile: issued.profile, findings: issued.findings };
	return {
		status: "stored",
		profile: issued.profile,
		key: issued.key,
		...(issued.facturx ? { pdfKey: issued.facturx.key } : {}),
		warnings: issued.warnings.length,
	};
}

/** Renders and stores the memo's PDF unless it is already in S3. */
export async function ensureCreditMemoPdf(deps: InvoicingDeps, memo: CreditMemo): Promise<void> {
	await storePdfUnlessPresent(deps.s3, deps.bucketName, memo.pdfKey, () => renderCreditMemoPdf(memo, deps.seller), {
		metadata: { "credit-memo-number": memo.number, "invoice-number": memo.invoiceNumber, "account-id": memo.accountId },
		retention: deps.documentRetention,
	});
}

/** On its issue date: what it takes off its invoice's amount due, and what it adds to the account's credit. */
function memoEntries(tableName: string, memo: CreditMemo, recordedAt: string): TransactItem[] {
	const base = {
		accountId: memo.accountId,
		currency: memo.currency,
		type: "credit_memo" as const,
		effectiveDate: memo.issueDate,
		recordedAt,
	};
	return [
		...(memo.appliedToInvoice > 0
			? [ledgerEntryPut(tableName, { ...base, amount: -memo.appliedToInvoice, reference: memo.number, invoiceNumber: memo.invoiceNumber })]
			: []),
		...(memo.addedToAccountCredit > 0
			? [ledgerEntryPut(tableName, { ...base, amount: -memo.addedToAccountCredit, reference: `${memo.number} to account credit` })]
			: []),
	];
}
