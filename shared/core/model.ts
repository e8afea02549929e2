import * as z from "zod";
import { storedEInvoiceKindSchema } from "./einvoice-account.js";
import { currencySchema, minorUnitsSchema, type Quantity } from "./money.js";

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

/** A recurring plan line; dates (inclusive) make a mid-period start, change or cancellation prorate by day. */
export const subscriptionSchema = planSchema.extend({
	startDate: isoDateSchema.optional(),
	endDate: isoDateSchema.optional(),
});

/** A coupon: percent (basis points) or fixed (minor units), from `firstPeriod` for `periods` periods (absent: every period). */
export const discountSchema = z.discriminatedUnion("kind", [
	z.object({
		kind: z.literal("percent"),
		code: z.string().min(1),
		description: z.string().min(1),
		basisPoints: z.number().int().min(1).max(10_000),
		firstPeriod: periodSchema,
		periods: z.number().int().positive().optional(),
	}),
	z.object({
		kind: z.literal("fixed"),
		code: z.string().min(1),
		description: z.string().min(1),
		amount: minorUnitsSchema.positive(),
		firstPeriod: periodSchema,
		periods: z.number().int().positive().optional(),
	}),
]);

/** A plan of the catalog: what a subscription to it bills a month, per unit, in its currency. */
export const catalogPlanSchema = z.object({
	planCode: z.string().min(1),
	description: z.string().min(1),
	currency: currencySchema,
	unitAmount: minorUnitsSchema.nonnegative(),
});
export type CatalogPlan = z.infer<typeof catalogPlanSchema>;

/** An account's subscription to a catalog plan: quantity × the plan's price a month, prorated by day from start to end (inclusive). */
export const subscriptionRecordSchema = z.object({
	subscriptionId: z.string().min(1),
	accountId: accountIdSchema,
	planCode: z.string().min(1),
	quantity: z.number().int().positive(),
	startDate: isoDateSchema,
	endDate: isoDateSchema.optional(),
});
export type SubscriptionRecord = z.infer<typeof subscriptionRecordSchema>;

export const paymentTermsSchema = z.enum(["due_on_receipt", "net_15", "net_30", "net_60"]);

/** An address SES reported undeliverable: a permanent bounce, or a complaint (the recipient marked our email as spam). */
export const undeliverableAddressSchema = z.object({
	address: z.string(),
	kind: z.enum(["bounce", "complaint"]),
	/** "Permanent/General: smtp; 550 5.1.1 user unknown", "marked as spam, feedback type abuse": what SES said. */
	reason: z.string(),
	/** When the bounce or complaint happened, as SES reports it. */
	at: z.string(),
	/** SES's id of the message that bounced, and of its bounce or complaint report. */
	messageId: z.string(),
	feedbackId: z.string(),
	/** What the message carried, when its tags say: "invoice INV-2026-000001", "dunning notice". */
	document: z.string().optional(),
});
export type UndeliverableAddress = z.infer<typeof undeliverableAddressSchema>;

export const accountSchema = z.object({
	accountId: accountIdSchema,
	name: z.string().min(1),
	email: z.string(),
	currency: currencySchema,
	status: accountStatusSchema,
	/** Tax rate in parts per million: percent × 10,000 (8.875% is 88,750). */
	taxRatePpm: z.number().int().min(0).max(1_000_000),
	paymentTermsDays: z.number().int().min(0).max(365),
	delivery: z.enum(["email", "postal"]),
	addressLines: z.array(z.string()),
	plan: planSchema.optional(),
	/** Further recurring lines (plan changes, add-ons), each with its own dates. */
	subscriptions: z.array(subscriptionSchema).optional(),
	discounts: z.array(discountSchema).optional(),
	/** Exempt accounts are invoiced at 0% whatever their jurisdiction. */
	taxExempt: z.boolean().optional(),
	/** Tax jurisdiction (e.g. "US-TX", "DE"); its rate (shared/pricing.ts) replaces taxRatePpm. */
	jurisdiction: z.string().optional(),
	/** Named payment terms; they replace paymentTermsDays. */
	paymentTerms: paymentTermsSchema.optional(),
	/**
	 * Receivable balance: always the sum of the account's ledger entries, and always the
	 * amounts due on its invoices minus its credit (DESIGN.md section 5).
	 */
	balance: minorUnitsSchema,
	/** Money the customer has with us (overpayments, credit memos on paid invoices), consumed by the next invoice. */
	creditBalance: minorUnitsSchema.nonnegative().default(0),
	/** The day a closed account stopped being billed. */
	closedOn: isoDateSchema.optional(),
	/** The account's id in the company's CRM (imports). */
	externalRef: z.string().optional(),
	/**
	 * The address SES reported a permanent bounce or a complaint for (shared/delivery/email-events.ts):
	 * while it is the account's address, nothing is emailed to it; a person corrects it.
	 */
	undeliverable: undeliverableAddressSchema.optional(),
	/** The e-invoice its documents are also issued as (DESIGN.md section 13; absent: none); checks in einvoice-account.ts. */
	einvoice: storedEInvoiceKindSchema.optional(),
	/** The buyer's VAT id (BT-48), Peppol id scheme:identifier (BT-49) and buyer reference (BT-10, a Leitweg-ID). */
	vatId: z.string().optional(),
	peppolId: z.string().optional(),
	buyerReference: z.string().optional(),
	/** The buyer's city, post code and ISO 3166-1 country code (BT-52, BT-53, BT-55), for its e-invoices. */
	city: z.string().optional(),
	postalCode: z.string().optional(),
	country: z.string().optional(),
	createdAt: z.string(),
});
export type Account = z.infer<typeof accountSchema>;
export type Subscription = z.infer<typeof subscriptionSchema>;
export type Discount = z.infer<typeof discountSchema>;
export type PaymentTerms = z.infer<typeof paymentTermsSchema>;

/** A whole number, or a decimal string with up to 6 decimals (never a float). */
export const quantitySchema = z.union([z.number().int().safe(), z.string().regex(/^\d+\.\d{1,6}$/)]) satisfies z.ZodType<Quantity>;

export const chargeSchema = z.object({
	accountId: accountIdSchema,
	period: periodSchema,
	chargeId: z.string(),
	/** The day it was used or sold (imported charges); it is billed in that day's month. */
	date: isoDateSchema.optional(),
	description: z.string(),
	quantity: quantitySchema.refine((q) => q !== 0, { message: "quantity must be above 0" }),
	unitAmount: minorUnitsSchema.nonnegative(),
	/** Metered usage (the default) or a one-time charge. */
	kind: z.enum(["usage", "one_time"]).optional(),
	/** Graduated tiers for usage: each unit is priced by the tier it falls in; the last tier has no upTo. */
	tiers: z.array(z.object({ upTo: z.number().int().positive().optional(), unitAmount: minorUnitsSchema.nonnegative() })).optional(),
});
export type Charge = z.infer<typeof chargeSchema>;

/** Charges of one account and month stored together (up to a few hundred), so an import of 100,000 rows writes a few thousand items. */
export const chargePageSchema = z.object({
	accountId: accountIdSchema,
	period: periodSchema,
	pageId: z.string(),
	charges: z.array(chargeSchema),
	/** Raised by every change to the page, which is conditional on the version read. */
	version: z.number().int().nonnegative(),
	importId: z.string().optional(),
});
export type ChargePage = z.infer<typeof chargePageSchema>;

export const invoiceLineSchema = z.object({
	description: z.string(),
	quantity: quantitySchema,
	unitAmount: minorUnitsSchema,
	amount: minorUnitsSchema,
	taxRatePpm: z.number().int(),
	tax: minorUnitsSchema,
	kind: z.enum(["plan", "usage", "one_time", "discount"]).optional(),
});
export type InvoiceLine = z.infer<typeof invoiceLineSchema>;

/** Who a document is addressed to, as it was when the document was made. */
export const billToSchema = z.object({ name: z.string(), email: z.string(), addressLines: z.array(z.string()) });

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
	billTo: billToSchema,
	lines: z.array(invoiceLineSchema),
	subtotal: minorUnitsSchema,
	tax: minorUnitsSchema,
	total: minorUnitsSchema,
	amountPaid: minorUnitsSchema,
	/** Account credit consumed when the invoice was issued (not cash): amountDue = total − amountPaid − creditApplied − credited. */
	creditApplied: minorUnitsSchema.nonnegative().optional(),
	/** Sum of the credit memos that reduced what is due. */
	credited: minorUnitsSchema.nonnegative().optional(),
	amountDue: minorUnitsSchema,
	/** What a write-off took off the invoice (shared/collections.ts): total = paid + written off + due. */
	amountWrittenOff: minorUnitsSchema.nonnegative().optional(),
	writeOff: z.object({ reason: z.string(), at: z.string() }).optional(),
	/** Payment terms as printed, e.g. "Net 30". */
	paymentTerms: z.string().optional(),
	/** Why no tax is charged, printed on the invoice (e.g. tax-exempt customer). */
	taxNote: z.string().optional(),
	pdfKey: z.string(),
	/** Sum of every credit memo against the invoice, the part that became account credit included. */
	creditMemoTotal: minorUnitsSchema.nonnegative().optional(),
	/** Why the invoice was voided; its number stays used. */
	voidReason: z.string().optional(),
	/** Set while a dispute on a payment that paid it is open: no dunning. Holds stored before disputeIds existed name none. */
	hold: z.object({ reason: z.string(), since: z.string(), disputeIds: z.array(z.string()).optional() }).optional(),
	/** Issued by hand at the billing desk, besides the period's invoice. */
	oneOff: z.literal(true).optional(),
	/** The void invoice this one corrects (`billing invoices reissue`), and on that one, its correction. */
	reissueOf: z.string().optional(),
	reissuedAs: z.string().optional(),
	createdAt: z.string(),
});
export type Invoice = z.infer<typeof invoiceSchema>;

/**
 * What happened, with its sign on the receivable balance: invoice_issued +, payment_applied
 * −, account_credit − (an overpayment kept as the customer's credit), credit_memo −, refund
 * +, write_off −, write_off_reversed + (reinstated by hand, or by a bad-debt recovery that
 * pays it at once), payment_unapplied + (a wrong application taken back by hand: the cash
 * is unapplied again), invoice_voided − (what was still due, and the credit it had consumed back),
 * chargeback + (a lost dispute: the processor took the money back, so it is due again).
 * Account credit set against an invoice is two credit_applied entries that move no balance
 * together: − on the invoice, + on the account's credit.
 */
export const ledgerEntryTypeSchema = z.enum([
	"invoice_issued",
	"payment_applied",
	"account_credit",
	"credit_applied",
	"credit_memo",
	"refund",
	"chargeback",
	"write_off",
	"write_off_reversed",
	"payment_unapplied",
	"invoice_voided",
]);

export const ledgerEntrySchema = z.object({
	accountId: accountIdSchema,
	entryId: z.string(),
	type: ledgerEntryTypeSchema,
	/** Signed effect on the account's receivable balance. */
	amount: minorUnitsSchema,
	currency: currencySchema,
	reference: z.string(),
	/**
	 * The invoice whose amount due the entry moves; an entry without one moves the account's
	 * credit. So an invoice's entries sum to its amount due, and the others to minus the credit.
	 */
	invoiceNumber: z.string().optional(),
	/** When it happened, what reports, aging and the journal go by (a back-dated write-off: its date). */
	effectiveDate: isoDateSchema,
	/** The date it happened on when that fell in a closed period: it is dated into the first open one instead. */
	datedFrom: isoDateSchema.optional(),
	/** When it was committed: after every statement cut before it, so statements chain without a gap. */
	recordedAt: z.string(),
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

export const paymentApplicationSchema = z.object({
	invoiceNumber: z.string(),
	amount: minorUnitsSchema.positive(),
	/** Paid on a written-off invoice: a bad-debt recovery (the write-off is reinstated and paid), not account credit. */
	recovery: z.literal(true).optional(),
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
	/** returned: all of it was unapplied cash, and it went back to the customer (refund or chargeback). */
	status: z.enum(["applied", "partially_applied", "unapplied", "returned"]),
	appliedAmount: minorUnitsSchema.nonnegative(),
	/** Unapplied cash still held: what the reconcile step and the worklist still have to place. */
	unappliedAmount: minorUnitsSchema.nonnegative(),
	/** Unapplied cash refunded or charged back: received = applied + credited + unapplied + this. */
	returnedUnapplied: minorUnitsSchema.nonnegative().default(0),
	/** A person took an application of it back: the reconcile step's automatic match leaves it to people. */
	matchByHand: z.literal(true).optional(),
	unappliedReason: z.string().optional(),
	applications: z.array(paymentApplicationSchema),
	/** The part of the payment kept as account credit (an overpayment). */
	creditedAmount: minorUnitsSchema.nonnegative().default(0),
	/** Returned to the customer so far, from every part of the payment (`returnedUnapplied` is the unapplied part of it). */
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
	/** einvoice: the document's e-invoice was refused by the rules, so it was not delivered. */
	stage: z.enum(["invoice", "statement", "deliver", "einvoice", "batch", "review", "run"]),
	reason: z.string(),
	at: z.string(),
});
export type RunFailure = z.infer<typeof runFailureSchema>;

export const creditMemoSchema = z.object({
	number: z.string(),
	invoiceNumber: z.string(),
	accountId: accountIdSchema,
	currency: currencySchema,
	amount: minorUnitsSchema.positive(),
	/** The part that reduced the invoice's amount due; the rest became account credit. */
	appliedToInvoice: minorUnitsSchema.nonnegative(),
	addedToAccountCredit: minorUnitsSchema.nonnegative(),
	reason: z.string().min(1),
	issueDate: isoDateSchema,
	billTo: billToSchema,
	pdfKey: z.string(),
	createdBy: z.string(),
	createdAt: z.string(),
});
export type CreditMemo = z.infer<typeof creditMemoSchema>;

/** Who or what changed an invoice or account, when, and the fields before and after. */
export const auditEntrySchema = z.object({
	subject: z.enum(["invoice", "account", "credit_memo", "plan", "subscription", "user", "webhook_endpoint"]),
	subjectId: z.string(),
	action: z.string(),
	actor: z.string(),
	at: z.string(),
	reason: z.string().optional(),
	/** The day the change's ledger entries are dated: a write-off's date, or the first open day a closed period moved it to. */
	bookedOn: isoDateSchema.optional(),
	/** The day the change was dated when that fell in a closed period: it was booked on the first open day instead. */
	requestedOn: isoDateSchema.optional(),
	before: z.record(z.string(), z.unknown()).nullable(),
	after: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** One dunning stage of one invoice: sending → sent | failed; superseded when a higher stage went out instead. */
export const dunningRecordSchema = z.object({
	invoiceNumber: z.string(),
	accountId: z.string(),
	stage: z.string(),
	status: z.enum(["sending", "sent", "failed", "superseded"]),
	daysOverdue: z.number().int(),
	asOf: z.string(),
	/** SES's message id of a notice sent; why one failed. */
	messageId: z.string().optional(),
	reason: z.string().optional(),
});
export type DunningRecord = z.infer<typeof dunningRecordSchema>;
