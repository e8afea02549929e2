import type { Invoice, Payment } from "../core/model.js";
import { balanceChange } from "../store/accounts.js";
import { type InvoiceAudit, paymentOnInvoice, writeOffReinstatedOnInvoice } from "../store/invoices.js";
import { ledgerEntryPut } from "../store/ledger.js";
import type { TransactItem } from "../store/transact.js";
import type { MatchContext } from "./matching.js";
import type { PaymentApplication, PaymentDecision } from "./types.js";

/** Writes one application to its invoice, with the invoice's audit entry. */
export type InvoiceWrite = (application: PaymentApplication, audit: InvoiceAudit) => TransactItem[];

/**
 * What a payment-driven change to an invoice records in its audit trail: the payment
 * ("stripe:pi_…") and its provider as the actor, or the person who applied it by hand.
 */
export function paymentAudit(
	payment: Pick<Payment, "provider" | "paymentId">,
	action: "payment_applied" | "refund" | "chargeback" | "dispute_opened" | "dispute_closed",
	at: string,
	actor: string = payment.provider,
): InvoiceAudit {
	return { action, actor, at, reason: `${payment.provider}:${payment.paymentId}` };
}

/** Each application's update, optimistic on the invoice as it was read. */
export function loadedInvoiceWrite(tableName: string, context: MatchContext): InvoiceWrite {
	const all = [...(context.invoice ? [context.invoice] : []), ...context.openInvoices];
	const invoices = new Map<string, Invoice>(all.map((i) => [i.number, i]));
	return (application, audit) => {
		const invoice = invoices.get(application.invoiceNumber);
		if (!invoice) throw new Error(`invoice ${application.invoiceNumber} was not loaded`);
		if (application.recovery) return writeOffReinstatedOnInvoice(tableName, invoice, { amount: application.amount, paid: true }, audit);
		return paymentOnInvoice(tableName, invoice, { paidDelta: application.amount }, audit);
	};
}

/**
 * The writes that apply a decision: per invoice its update, audit and ledger entries, the
 * credit's entry, and the account once. `at` is now, when the entries are recorded;
 * `effectiveDate` the day the money counts as received.
 */
export function settlementItems(
	tableName: string,
	decision: PaymentDecision,
	invoiceWrite: InvoiceWrite,
	payment: Pick<Payment, "provider" | "paymentId" | "currency">,
	{ at, effectiveDate, actor }: { readonly at: string; readonly effectiveDate: string; readonly actor?: string },
): TransactItem[] {
	const accountId = decision.accountId;
	const applied = decision.applications.reduce((acc, a) => acc + a.amount, 0);
	if (!accountId || applied + decision.creditedAmount === 0) return [];
	// A recovery reinstates what it pays: no change to the balance.
	const recovered = decision.applications.reduce((acc, a) => acc + (a.recovery ? a.amount : 0), 0);
	const { currency } = payment;
	const paymentRef = `${payment.provider}:${payment.paymentId}`;
	const audit = paymentAudit(payment, "payment_applied", at, actor);
	const items: TransactItem[] = [];
	for (const application of decision.applications) {
		items.push(...invoiceWrite(application, audit));
		if (application.recovery) {
			items.push(
				ledgerEntryPut(tableName, {
					accountId,
					type: "write_off_reversed",
					amount: application.amount,
					currency,
					reference: `${paymentRef} recovers bad debt on ${application.invoiceNumber}`,
					invoiceNumber: application.invoiceNumber,
					effectiveDate,
					recordedAt: at,
				}),
			);
		}
		items.push(
			ledgerEntryPut(tableName, {
				accountId,
				type: "payment_applied",
				amount: -application.amount,
				currency,
				reference: `${paymentRef} -> ${application.invoiceNumber}`,
				invoiceNumber: application.invoiceNumber,
				effectiveDate,
				recordedAt: at,
			}),
		);
	}
	if (decision.creditedAmount > 0) {
		items.push(
			ledgerEntryPut(tableName, {
				accountId,
				type: "account_credit",
				amount: -decision.creditedAmount,
				currency,
				reference: `${paymentRef} overpayment`,
				effectiveDate,
				recordedAt: at,
			}),
		);
	}
	items.push(
		balanceChange(tableName, {
			accountId,
			balanceDelta: -(applied - recovered + decision.creditedAmount),
			creditDelta: decision.creditedAmount,
			currency,
			recordedAt: at,
		}),
	);
	return items;
}

function paymentStatus(settled: number, unapplied: number): Payment["status"] {
	if (settled === 0) return "unapplied";
	return unapplied === 0 ? "applied" : "partially_applied";
}

/** The payment record once the decision is applied. */
export function settledRecord(
	base: Omit<Payment, "status" | "appliedAmount" | "creditedAmount" | "unappliedAmount" | "applications" | "unappliedReason">,
	decision: PaymentDecision,
): Payment {
	const applied = decision.applications.reduce((acc, a) => acc + a.amount, 0);
	const { unappliedReason: _previous, ...rest } = base as Payment;
	return {
		...rest,
		...(decision.accountId ? { accountId: decision.accountId } : {}),
		status: paymentStatus(applied + decision.creditedAmount, decision.unappliedAmount),
		appliedAmount: applied,
		creditedAmount: decision.creditedAmount,
		unappliedAmount: decision.unappliedAmount,
		...(decision.unappliedReason ? { unappliedReason: decision.unappliedReason } : {}),
		applications: [...decision.applications],
	};
}
