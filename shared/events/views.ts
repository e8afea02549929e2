import * as z from "zod";
import { type Invoice, invoiceSchema, type Payment, paymentSchema } from "../core/model.js";

/*
 * Billing objects as the desk API shows them and events carry them, pure, so the desk's
 * views and the store's outbox (which may not import the desk) build the same shape from the
 * same record. Accounts and credit memos are shown as stored.
 */

/** A payment as the desk and the CLI name it: `stripe:pi_123`. */
export function paymentRef(payment: Pick<Payment, "provider" | "paymentId">): string {
	return `${payment.provider}:${payment.paymentId}`;
}

export const invoiceViewSchema = invoiceSchema.extend({ onHold: z.boolean() });
export const paymentViewSchema = paymentSchema.extend({ id: z.string() });

/** The invoice with its lines and figures, and whether it is on hold (dunning passes it by). */
export function invoiceView(invoice: Invoice): z.infer<typeof invoiceViewSchema> {
	return { ...invoice, onHold: invoice.hold !== undefined };
}

/** The payment with the id a person names it by. */
export function paymentView(payment: Payment): z.infer<typeof paymentViewSchema> {
	return { ...payment, id: paymentRef(payment) };
}
