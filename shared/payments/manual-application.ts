import { BillingError, ValidationError } from "../core/errors.js";
import type { Payment } from "../core/model.js";
import { formatMoney } from "../core/money.js";
import { balanceChange } from "../store/accounts.js";
import { paymentOnInvoice } from "../store/invoices.js";
import { ledgerEntryPut } from "../store/ledger.js";
import { getPayment, unappliedPaymentSettled } from "../store/payments.js";
import { getInvoice, type TableDeps } from "../store/records.js";
import { isCancelled, RETRY, transactWrite, withOptimisticRetry } from "../store/transact.js";
import { loadedInvoiceWrite, settlementItems } from "./settlement.js";

export interface ManualApplication {
	readonly provider: string;
	readonly paymentId: string;
	readonly invoiceNumber: string;
	/** Minor units; by default what is unapplied or what is due, whichever is less. */
	readonly amount?: number;
}

/**
 * Applies unapplied cash to an invoice by hand, when the automatic match could not (a
 * payment naming no invoice, a wrong customer, an odd amount): the payment, the invoice,
 * its ledger entry and the account change in one transaction, the invoice's audit entry
 * naming who applied it. Refused, changing nothing, beyond what is unapplied or due, across
 * currencies, on a void invoice, while a dispute on the payment is open, or to another
 * customer than the one the payment is already booked to.
 */
export async function applyPaymentByHand(
	deps: TableDeps & { readonly actor: string; readonly now?: () => Date },
	request: ManualApplication,
): Promise<Payment> {
	const ref = `${request.provider}:${request.paymentId}`;
	return withOptimisticRetry(`payment ${ref} could not be applied`, async () => {
		const payment = await getPayment(deps, request.provider, request.paymentId);
		if (!payment) throw new BillingError(`no payment ${ref}`, 404);
		const invoice = await getInvoice(deps, request.invoiceNumber);
		if (!invoice) throw new BillingError(`no invoice ${request.invoiceNumber}`, 404);
		const money = (amount: number) => formatMoney({ amount, currency: payment.currency });
		const refuse = (why: string) => new BillingError(`payment ${ref} cannot be applied to ${invoice.number}: ${why}`, 409);
		if (payment.unappliedAmount <= 0) throw refuse("nothing of it is unapplied");
		if (payment.dispute?.status === "open") throw refuse(`dispute ${payment.dispute.disputeId} on it is open`);
		if (invoice.currency !== payment.currency) throw refuse(`the payment is in ${payment.currency}, the invoice in ${invoice.currency}`);
		const booked = payment.appliedAmount + payment.creditedAmount > 0;
		if (booked && payment.accountId !== invoice.accountId) {
			throw refuse(`the payment is booked to account ${payment.accountId}, the invoice belongs to ${invoice.accountId}`);
		}
		if (invoice.status === "void") throw refuse("the invoice is void");
		if (invoice.amountDue <= 0) throw refuse(`nothing is due on it (${invoice.status})`);
		const amount = request.amount ?? Math.min(payment.unappliedAmount, invoice.amountDue);
		if (!Number.isSafeInteger(amount) || amount <= 0)
			throw refuse(`the amount must be a positive whole number of minor units, got ${amount}`);
		if (amount > payment.unappliedAmount) throw refuse(`only ${money(payment.unappliedAmount)} of it is unapplied, not ${money(amount)}`);
		if (amount > invoice.amountDue) throw refuse(`only ${money(invoice.amountDue)} is due on it, not ${money(amount)}`);

		const unapplied = payment.unappliedAmount - amount;
		const { unappliedReason: _reason, ...rest } = payment;
		const applied: Payment = {
			...rest,
			accountId: invoice.accountId,
			applications: [...payment.applications, { invoiceNumber: invoice.number, amount }],
			appliedAmount: payment.appliedAmount + amount,
			unappliedAmount: unapplied,
			status: unapplied === 0 ? "applied" : "partially_applied",
			...(unapplied > 0 && payment.unappliedReason ? { unappliedReason: payment.unappliedReason } : {}),
		};
		const at = (deps.now?.() ?? new Date()).toISOString();
		const decision = {
			accountId: invoice.accountId,
			applications: [{ invoiceNumber: invoice.number, amount }],
			creditedAmount: 0,
			unappliedAmount: unapplied,
		};
		const recordedAt = new Date().toISOString();
		try {
			await transactWrite(deps, [
				...unappliedPaymentSettled(deps.tableName, payment, applied, recordedAt),
				...settlementItems(deps.tableName, decision, loadedInvoiceWrite(deps.tableName, { invoice, openInvoices: [] }), payment, {
					at: recordedAt,
					effectiveDate: at.slice(0, 10),
					actor: deps.actor,
				}),
			]);
			return applied;
		} catch (err) {
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}

/**
 * Takes a wrong application back by hand: the invoice owes that amount again, the cash is
 * unapplied again (back on the unapplied queue, with the reason) for a person or the
 * reconcile step to place, with a payment_unapplied ledger entry and the invoice's audit
 * entry. Refused for a bad-debt recovery, and for a payment refunded, charged back or
 * disputed (its reversals were allocated against these applications).
 */
export async function unapplyPaymentByHand(
	deps: TableDeps & { readonly actor: string; readonly now?: () => Date },
	request: { readonly provider: string; readonly paymentId: string; readonly invoiceNumber: string; readonly reason: string },
): Promise<Payment> {
	const ref = `${request.provider}:${request.paymentId}`;
	const reason = request.reason.trim();
	if (reason === "") throw new ValidationError("taking an application back needs a reason");
	return withOptimisticRetry(`payment ${ref} could not be unapplied`, async () => {
		const payment = await getPayment(deps, request.provider, request.paymentId);
		if (!payment) throw new BillingError(`no payment ${ref}`, 404);
		const refuse = (why: string) => new BillingError(`payment ${ref} cannot be taken back from ${request.invoiceNumber}: ${why}`, 409);
		const application = payment.applications.find((a) => a.invoiceNumber === request.invoiceNumber);
		if (!application) throw refuse("it is not applied to that invoice");
		if (application.recovery) throw refuse("it recovered a written-off amount; write the invoice off again instead");
		if (payment.refundedAmount + payment.chargebackAmount > 0 || payment.dispute) throw refuse("it was refunded, charged back or disputed");
		const invoice = await getInvoice(deps, request.invoiceNumber);
		if (!invoice) throw new BillingError(`no invoice ${request.invoiceNumber}`, 404);
		const amount = application.amount;
		const applications = payment.applications.filter((a) => a !== application);
		const appliedAmount = payment.appliedAmount - amount;
		const unapplied: Payment = {
			...payment,
			applications,
			appliedAmount,
			unappliedAmount: payment.unappliedAmount + amount,
			status: appliedAmount + payment.creditedAmount === 0 ? "unapplied" : "partially_applied",
			unappliedReason: `taken back from ${invoice.number} by ${deps.actor}: ${reason}`,
			matchByHand: true,
		};
		const at = (deps.now?.() ?? new Date()).toISOString();
		const recordedAt = new Date().toISOString();
		try {
			await transactWrite(deps, [
				...unappliedPaymentSettled(deps.tableName, payment, unapplied, recordedAt),
				...paymentOnInvoice(
					deps.tableName,
					invoice,
					{ paidDelta: -amount },
					{ action: "payment_unapplied", actor: deps.actor, at: recordedAt, reason: `${ref}: ${reason}` },
				),
				ledgerEntryPut(deps.tableName, {
					accountId: invoice.accountId,
					type: "payment_unapplied",
					amount,
					currency: invoice.currency,
					reference: `${ref} <- ${invoice.number}: ${reason}`,
					invoiceNumber: invoice.number,
					effectiveDate: at.slice(0, 10),
					recordedAt,
				}),
				balanceChange(deps.tableName, { accountId: invoice.accountId, balanceDelta: amount, recordedAt }),
			]);
			return unapplied;
		} catch (err) {
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}
