import type { Account, Invoice } from "../core/model.js";
import { getAccount, getInvoice, listInvoicesOfAccount, type TableDeps } from "../store/records.js";
import { MAX_TRANSACTION_ITEMS } from "../store/transact.js";
import type { PaymentDecision, PaymentReceived } from "./types.js";

/** What the matcher may look at: the invoice the payment names, or its customer and their open invoices. */
export interface MatchContext {
	readonly invoice?: Invoice;
	readonly account?: Pick<Account, "accountId" | "currency">;
	readonly openInvoices: readonly Invoice[];
}

export type PaymentToMatch = Pick<PaymentReceived, "amount" | "currency" | "invoiceNumber" | "accountId">;

function byDueDate(a: Invoice, b: Invoice): number {
	return a.dueDate.localeCompare(b.dueDate) || a.number.localeCompare(b.number);
}

/**
 * Matching (DESIGN.md section 5a): the invoice named in the payment; otherwise the
 * customer's open invoice with exactly the amount due, or all their open invoices (oldest
 * due first) when the payment covers them. Anything beyond what is due becomes account
 * credit. What cannot be tied to an account in the payment's currency stays unapplied
 * with its reason, and so does a payment whose settlement would not fit one DynamoDB
 * transaction: `transactionSize` counts the items the caller's transaction would really
 * hold for a decision (each invoice's update, audit entry, ledger entry, event and held
 * marker, and the payment's own), so the limit follows the invoices chosen.
 */
export function decidePaymentApplication(
	payment: PaymentToMatch,
	context: MatchContext,
	transactionSize: (decision: PaymentDecision) => number,
): PaymentDecision {
	const unapplied = (reason: string): PaymentDecision => ({
		...(payment.accountId ? { accountId: payment.accountId } : {}),
		applications: [],
		creditedAmount: 0,
		unappliedAmount: payment.amount,
		unappliedReason: reason,
	});
	if (payment.invoiceNumber) {
		const invoice = context.invoice;
		if (!invoice) return unapplied(`invoice ${payment.invoiceNumber} does not exist`);
		if (invoice.currency !== payment.currency) {
			return unapplied(`payment currency ${payment.currency} differs from invoice currency ${invoice.currency}`);
		}
		if (payment.accountId && payment.accountId !== invoice.accountId) {
			return unapplied(`payment is for account ${payment.accountId} but invoice ${invoice.number} belongs to ${invoice.accountId}`);
		}
		if (invoice.status === "void") return unapplied(`invoice ${invoice.number} is void`);
		const writtenOff = invoice.amountWrittenOff ?? 0;
		if (invoice.status === "uncollectible" && writtenOff > 0) {
			// Money for a written-off invoice is a bad-debt recovery: it reinstates and pays the write-off first.
			const recovered = Math.min(payment.amount, writtenOff);
			return {
				accountId: invoice.accountId,
				applications: [{ invoiceNumber: invoice.number, amount: recovered, recovery: true }],
				creditedAmount: payment.amount - recovered,
				unappliedAmount: 0,
			};
		}
		const amount = Math.min(payment.amount, Math.max(invoice.amountDue, 0));
		return {
			accountId: invoice.accountId,
			applications: amount > 0 ? [{ invoiceNumber: invoice.number, amount }] : [],
			creditedAmount: payment.amount - amount,
			unappliedAmount: 0,
		};
	}
	if (!payment.accountId) return unapplied("payment names neither an invoice nor a customer");
	const account = context.account;
	if (!account) return unapplied(`account ${payment.accountId} does not exist`);
	if (account.currency !== payment.currency) {
		return unapplied(`payment currency ${payment.currency} differs from account ${account.accountId}'s currency ${account.currency}`);
	}
	const open = context.openInvoices
		.filter((i) => i.accountId === account.accountId && i.currency === payment.currency && i.status !== "void" && i.amountDue > 0)
		.sort(byDueDate);
	const exact = open.find((i) => i.amountDue === payment.amount);
	if (exact) {
		return {
			accountId: account.accountId,
			applications: [{ invoiceNumber: exact.number, amount: payment.amount }],
			creditedAmount: 0,
			unappliedAmount: 0,
		};
	}
	const totalDue = open.reduce((acc, i) => acc + i.amountDue, 0);
	if (payment.amount < totalDue) {
		return unapplied(
			`no open invoice of account ${account.accountId} is due exactly ${payment.amount} and it does not cover all ${open.length} open invoices (${totalDue} due)`,
		);
	}
	const settlesAll: PaymentDecision = {
		accountId: account.accountId,
		applications: open.map((i) => ({ invoiceNumber: i.number, amount: i.amountDue })),
		creditedAmount: payment.amount - totalDue,
		unappliedAmount: 0,
	};
	const size = transactionSize(settlesAll);
	if (size > MAX_TRANSACTION_ITEMS) {
		return unapplied(
			`payment covers all ${open.length} open invoices of account ${account.accountId}; settling them takes ${size} items, more than the ${MAX_TRANSACTION_ITEMS} of one transaction`,
		);
	}
	return settlesAll;
}

/**
 * With `assumeAccount`, the account is taken to exist in the payment's currency without
 * reading it: the settlement's account update checks both, and a failed check means
 * reading it and deciding again.
 */
export async function loadMatchContext(
	deps: TableDeps,
	payment: PaymentToMatch,
	options: { assumeAccount?: boolean } = {},
): Promise<MatchContext> {
	if (payment.invoiceNumber) {
		const invoice = await getInvoice(deps, payment.invoiceNumber);
		return { ...(invoice ? { invoice } : {}), openInvoices: [] };
	}
	if (!payment.accountId) return { openInvoices: [] };
	if (options.assumeAccount) {
		const invoices = await listInvoicesOfAccount(deps, payment.accountId);
		return {
			account: { accountId: payment.accountId, currency: payment.currency },
			openInvoices: invoices.filter((i) => i.amountDue > 0),
		};
	}
	const [account, invoices] = await Promise.all([getAccount(deps, payment.accountId), listInvoicesOfAccount(deps, payment.accountId)]);
	return { ...(account ? { account } : {}), openInvoices: invoices.filter((i) => i.amountDue > 0) };
}
