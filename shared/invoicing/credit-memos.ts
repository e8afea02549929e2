import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { BillingError, TransientError, ValidationError } from "../core/errors.js";
import { type CreditMemo, creditMemoSchema, type Invoice } from "../core/model.js";
import { formatMoney } from "../core/money.js";
import { renderCreditMemoPdf } from "../documents/credit-memo-pdf.js";
import { storePdfUnlessPresent } from "../platform/s3-objects.js";
import { auditPut } from "../store/audit.js";
import { GSI1, keys } from "../store/keys.js";
import { ledgerEntryPut } from "../store/ledger.js";
import { getAccount, getInvoice, parseRecord, queryAll, type TableDeps } from "../store/records.js";
import { nextInSeries } from "../store/series.js";
import type { InvoicingDeps } from "./invoices.js";

export const CREDIT_MEMO_SERIES_PREFIX = "CM";
const MAX_NUMBERING_ATTEMPTS = 25;

export interface CreditMemoRequest {
	readonly invoiceNumber: string;
	/** Minor units of the invoice's currency. */
	readonly amount: number;
	readonly reason: string;
}

/** What a credit memo may still credit on the invoice: its total less the memos already issued against it. */
export function creditableAmount(invoice: Invoice): number {
	return invoice.total - (invoice.creditMemoTotal ?? 0);
}

/**
 * Issues a credit memo against an invoice. It reduces what is still due on the invoice
 * and any rest (on a paid invoice, all of it) becomes account credit the next invoice
 * consumes. Number (own gapless series), memo, invoice, account, ledger entry (credit_memo,
 * −amount) and audit entries are written in one transaction.
 */
export async function createCreditMemo(deps: InvoicingDeps, request: CreditMemoRequest): Promise<CreditMemo> {
	const reason = request.reason.trim();
	if (!Number.isSafeInteger(request.amount) || request.amount <= 0) {
		throw new ValidationError(`amount must be a positive whole number of minor units, got ${request.amount}`);
	}
	if (reason === "") throw new ValidationError("a credit memo needs a reason");
	for (let attempt = 1; attempt <= MAX_NUMBERING_ATTEMPTS; attempt++) {
		const invoice = await getInvoice(deps, request.invoiceNumber);
		if (!invoice) throw new BillingError(`no invoice ${request.invoiceNumber}`, 404);
		if (invoice.status === "void") throw new ValidationError(`invoice ${invoice.number} is void: nothing to credit`);
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
		const issueDate = at.slice(0, 10);
		const series = `${CREDIT_MEMO_SERIES_PREFIX}-${issueDate.slice(0, 4)}`;
		const { number, advance } = await nextInSeries(deps, series);

		const appliedToInvoice = Math.min(request.amount, invoice.amountDue);
		const addedToAccountCredit = request.amount - appliedToInvoice;
		const amountDue = invoice.amountDue - appliedToInvoice;
		const credited = (invoice.credited ?? 0) + appliedToInvoice;
		const creditMemoTotal = (invoice.creditMemoTotal ?? 0) + request.amount;
		const status = amountDue === 0 && invoice.status !== "uncollectible" ? "paid" : invoice.status;
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
			await deps.ddb.send(
				new TransactWriteCommand({
					TransactItems: [
						advance,
						{
							Put: {
								TableName: deps.tableName,
								Item: { ...keys.creditMemo(number), ...keys.creditMemoListing(number), ...memo },
								ConditionExpression: "attribute_not_exists(pk)",
							},
						},
						{
							Update: {
								TableName: deps.tableName,
								Key: keys.invoice(invoice.number),
								UpdateExpression: `SET amountDue = :due, credited = :credited, creditMemoTotal = :memoTotal, #status = :status${amountDue === 0 ? " REMOVE gsi2pk, gsi2sk" : ""}`,
								// Nothing paid or credited in between, or the split above would be wrong.
								ConditionExpression: "amountDue = :dueRead AND amountPaid = :paidRead AND #status = :statusRead",
								ExpressionAttributeNames: { "#status": "status" },
								ExpressionAttributeValues: {
									":due": amountDue,
									":credited": credited,
									":memoTotal": creditMemoTotal,
									":status": status,
									":dueRead": invoice.amountDue,
									":paidRead": invoice.amountPaid,
									":statusRead": invoice.status,
								},
							},
						},
						{
							Update: {
								TableName: deps.tableName,
								Key: keys.account(account.accountId),
								UpdateExpression: "SET balance = :balance, creditBalance = :credit",
								ConditionExpression: "balance = :balanceRead AND creditBalance = :creditRead",
								ExpressionAttributeValues: {
									":balance": account.balance - request.amount,
									":credit": account.creditBalance + addedToAccountCredit,
									":balanceRead": account.balance,
									":creditRead": account.creditBalance,
								},
							},
						},
						ledgerEntryPut(deps.tableName, {
							accountId: account.accountId,
							type: "credit_memo",
							amount: -request.amount,
							currency: invoice.currency,
							reference: number,
							at,
						}),
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
						auditPut(deps.tableName, {
							subject: "invoice",
							subjectId: invoice.number,
							action: "credited",
							actor,
							at,
							reason: `${number}: ${reason}`,
							before: { status: invoice.status, amountDue: invoice.amountDue, credited: invoice.credited ?? 0 },
							after: { status, amountDue, credited },
						}),
						auditPut(deps.tableName, {
							subject: "account",
							subjectId: account.accountId,
							action: "credit_memo",
							actor,
							at,
							reason: number,
							before: { balance: account.balance, creditBalance: account.creditBalance },
							after: { balance: account.balance - request.amount, creditBalance: account.creditBalance + addedToAccountCredit },
						}),
					],
				}),
			);
			await ensureCreditMemoPdf(deps, memo);
			return memo;
		} catch (err) {
			if (!(err instanceof TransactionCanceledException)) throw err;
			// The series, the invoice or the account moved on under a concurrent change: read again and retry.
			await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
		}
	}
	throw new TransientError(`could not issue a credit memo for ${request.invoiceNumber} after ${MAX_NUMBERING_ATTEMPTS} attempts`);
}

/** Renders and stores the memo's PDF unless it is already in S3. */
export async function ensureCreditMemoPdf(deps: InvoicingDeps, memo: CreditMemo): Promise<void> {
	await storePdfUnlessPresent(deps.s3, deps.bucketName, memo.pdfKey, () => renderCreditMemoPdf(memo, deps.seller), {
		"credit-memo-number": memo.number,
		"invoice-number": memo.invoiceNumber,
		"account-id": memo.accountId,
	});
}

export async function getCreditMemo(deps: TableDeps, number: string): Promise<CreditMemo | undefined> {
	const out = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: keys.creditMemo(number), ConsistentRead: true }));
	return out.Item ? parseRecord(creditMemoSchema, out.Item) : undefined;
}

export async function listCreditMemos(deps: TableDeps): Promise<CreditMemo[]> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		KeyConditionExpression: "gsi1pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.creditMemoListing("").gsi1pk },
	});
	return items.map((item) => parseRecord(creditMemoSchema, item));
}
