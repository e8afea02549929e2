import { z } from "zod";
import { currencySchema, minorUnitsSchema } from "./money.js";

/** Records as stored in DynamoDB and passed between steps; one schema each. */

export const periodSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { message: "period must be in YYYY-MM form, e.g. 2026-10" });

export const isoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: "date must be YYYY-MM-DD" });

export const accountIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "account id: 1-64 letters, digits, - or _" });

export const accountStatusSchema = z.enum(["active", "past_due", "in_collections", "closed"]);

export const planSchema = z.object({
	code: z.string(),
	description: z.string(),
	unitAmount: minorUnitsSchema.nonnegative(),
	quantity: z.number().int().positive(),
});

export const accountSchema = z.object({
	accountId: accountIdSchema,
	name: z.string().min(1),
	email: z.string(),
	currency: currencySchema,
	status: accountStatusSchema,
	taxRateBasisPoints: z.number().int().min(0).max(10_000),
	paymentTermsDays: z.number().int().min(0).max(365),
	delivery: z.enum(["email", "postal"]),
	addressLines: z.array(z.string()),
	plan: planSchema.optional(),
	/**
	 * Receivable balance: always the sum of the account's ledger entries, and always the
	 * amounts due on its invoices minus its credit (DESIGN.md section 5).
	 */
	balance: minorUnitsSchema,
	/** Money the customer has with us (overpayments, credit memos on paid invoices), consumed by the next invoice. */
	creditBalance: minorUnitsSchema.nonnegative().default(0),
	createdAt: z.string(),
});
export type Account = z.infer<typeof accountSchema>;

export const chargeSchema = z.object({
	accountId: accountIdSchema,
	period: periodSchema,
	chargeId: z.string(),
	description: z.string(),
	quantity: z.number().int().positive(),
	unitAmount: minorUnitsSchema.nonnegative(),
});
export type Charge = z.infer<typeof chargeSchema>;

export const invoiceLineSchema = z.object({
	description: z.string(),
	quantity: z.number().int(),
	unitAmount: minorUnitsSchema,
	amount: minorUnitsSchema,
	taxRateBasisPoints: z.number().int(),
	tax: minorUnitsSchema,
});
export type InvoiceLine = z.infer<typeof invoiceLineSchema>;

export const invoiceStatusSchema = z.enum(["open", "partially_paid", "paid", "void", "uncollectible"]);
export type InvoiceStatus = z.infer<typeof invoiceStatusSchema>;

export const invoiceSchema = z.object({
	number: z.string(),
	accountId: accountIdSchema,
	period: periodSchema,
	currency: currencySchema,
	status: invoiceStatusSchema,
	issueDate: isoDateSchema,
	dueDate: isoDateSchema,
	billTo: z.object({ name: z.string(), email: z.string(), addressLines: z.array(z.string()) }),
	lines: z.array(invoiceLineSchema),
	subtotal: minorUnitsSchema,
	tax: minorUnitsSchema,
	total: minorUnitsSchema,
	amountPaid: minorUnitsSchema,
	amountDue: minorUnitsSchema,
	pdfKey: z.string(),
	/** Set while the invoice must not be dunned (a dispute, a payment awaiting its match). */
	hold: z.object({ reason: z.string(), since: z.string() }).optional(),
	createdAt: z.string(),
});
export type Invoice = z.infer<typeof invoiceSchema>;

export const ledgerEntryTypeSchema = z.enum([
	"invoice_issued",
	"payment_applied",
	"account_credit",
	"credit_memo",
	"refund",
	/** A lost dispute: the processor took the money back, so the amount is due again. */
	"chargeback",
	"write_off",
]);

export const ledgerEntrySchema = z.object({
	accountId: accountIdSchema,
	entryId: z.string(),
	type: ledgerEntryTypeSchema,
	/** Signed effect on the account's receivable balance. */
	amount: minorUnitsSchema,
	currency: currencySchema,
	reference: z.string(),
	at: z.string(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

export const paymentApplicationSchema = z.object({
	invoiceNumber: z.string(),
	amount: minorUnitsSchema.positive(),
});

export const paymentSchema = z.object({
	provider: z.string(),
	paymentId: z.string(),
	eventId: z.string(),
	accountId: z.string().optional(),
	invoiceNumber: z.string().optional(),
	amount: minorUnitsSchema.positive(),
	currency: currencySchema,
	receivedAt: z.string(),
	status: z.enum(["applied", "partially_applied", "unapplied"]),
	appliedAmount: minorUnitsSchema.nonnegative(),
	unappliedAmount: minorUnitsSchema.nonnegative(),
	unappliedReason: z.string().optional(),
	applications: z.array(paymentApplicationSchema),
	/** The part of the payment kept as account credit (an overpayment). */
	creditedAmount: minorUnitsSchema.nonnegative().default(0),
	/** Returned to the customer so far; reversals are tracked apart from the received = applied + credited + unapplied split. */
	refundedAmount: minorUnitsSchema.nonnegative().default(0),
	/** Taken back by a lost dispute. */
	chargebackAmount: minorUnitsSchema.nonnegative().default(0),
	dispute: z
		.object({
			disputeId: z.string(),
			status: z.enum(["open", "won", "lost"]),
			amount: minorUnitsSchema.positive(),
			reason: z.string(),
			since: z.string(),
		})
		.optional(),
});
export type Payment = z.infer<typeof paymentSchema>;

export const runFailureSchema = z.object({
	period: periodSchema,
	accountId: z.string(),
	stage: z.enum(["invoice", "deliver", "batch"]),
	reason: z.string(),
	at: z.string(),
});
export type RunFailure = z.infer<typeof runFailureSchema>;
