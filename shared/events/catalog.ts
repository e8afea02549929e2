import * as z from "zod";
import { accountSchema, creditMemoSchema, periodSchema } from "../core/model.js";
import { periodCloseSchema } from "../core/period-close.js";
import { newEventId } from "./ids.js";
import { invoiceViewSchema, paymentViewSchema } from "./views.js";

/**
 * The billing events other systems receive (DESIGN.md section 14), versioned: a change to a
 * type's data that a receiver could trip over is a new version, the old one kept. Each
 * event's `data` is its object as the desk API shows it, as of the event.
 */

export const objectTypes = ["invoice", "credit_memo", "payment", "dispute", "account", "billing_run", "books"] as const;
export type ObjectType = (typeof objectTypes)[number];

/** A billing cycle's run as the desk's list of runs shows it, with the period it billed. */
export const billingRunViewSchema = z.object({
	name: z.string(),
	period: periodSchema,
	status: z.enum(["SUCCEEDED", "FAILED"]),
	startDate: z.string(),
	stopDate: z.string().optional(),
	/** Why a failed run failed, as its last state said. */
	error: z.string().optional(),
});

interface EventType<O extends ObjectType, D extends z.ZodType> {
	readonly version: 1;
	readonly objectType: O;
	readonly data: D;
	/** When it is emitted, for the docs. */
	readonly emittedWhen: string;
}

const type = <O extends ObjectType, D extends z.ZodType>(objectType: O, data: D, emittedWhen: string): EventType<O, D> => ({
	version: 1,
	objectType,
	data,
	emittedWhen,
});

export const eventCatalog = {
	"invoice.issued": type(
		"invoice",
		invoiceViewSchema,
		"An invoice is finalized under its number: by a billing run, by hand (`billing invoices issue`) or as a re-issue.",
	),
	"invoice.delivered": type(
		"invoice",
		invoiceViewSchema,
		"An invoice was sent on a channel: emailed (marked sent by its sender, or by SES's send event), or queued for the print batch. Once per delivery; a resend by hand is a delivery of its own.",
	),
	"invoice.delivery_failed": type(
		"invoice",
		invoiceViewSchema,
		"Sending an invoice failed for good on a channel: an invalid or undeliverable address, SES's rejection, a permanent bounce of its email, or its e-invoice refused by the rules (until the account is corrected and it is resent).",
	),
	"invoice.paid": type(
		"invoice",
		invoiceViewSchema,
		"Money applied to an invoice (a payment, account credit, a credit memo, a bad-debt recovery) leaves nothing due.",
	),
	"invoice.partially_paid": type("invoice", invoiceViewSchema, "A payment applied to an invoice leaves part of it due."),
	"invoice.overdue": type(
		"invoice",
		invoiceViewSchema,
		"An invoice past its due date with something due gets its first dunning notice (once per invoice).",
	),
	"invoice.voided": type("invoice", invoiceViewSchema, "An invoice is voided: it owes nothing, its number stays used."),
	"invoice.written_off": type(
		"invoice",
		invoiceViewSchema,
		"What was due on an invoice is written off as bad debt; the invoice is uncollectible.",
	),
	"credit_memo.issued": type("credit_memo", creditMemoSchema, "A credit memo is issued against an invoice."),
	"payment.received": type(
		"payment",
		paymentViewSchema,
		"A payment is recorded (a provider's webhook, a bank file, by hand), with what it paid; `status` says whether any of it stayed unapplied.",
	),
	"payment.unapplied": type(
		"payment",
		paymentViewSchema,
		"Cash is kept unapplied: a payment recorded without a match (with `unappliedReason`), or an application taken back by hand.",
	),
	"payment.refunded": type(
		"payment",
		paymentViewSchema,
		"Money of a payment went back to the customer (a refund); `refundedAmount` is the total so far.",
	),
	"dispute.opened": type("dispute", paymentViewSchema, "A customer disputed a payment; the data is the payment with its `dispute`."),
	"dispute.closed": type(
		"dispute",
		paymentViewSchema,
		"A dispute is won or lost (`dispute.status`); a lost one took `chargebackAmount` back.",
	),
	"account.created": type(
		"account",
		accountSchema,
		"An account is created: by an import of accounts, or by the demo's seed (`billing seed`).",
	),
	"account.updated": type(
		"account",
		accountSchema,
		"An account's details, status or closing day changed: at the billing desk, by an import, or by the collections step.",
	),
	"account.sent_to_collections": type("account", accountSchema, "An account is handed to the collections agency."),
	"billing_run.succeeded": type(
		"billing_run",
		billingRunViewSchema,
		"A billing cycle's run got to its end (its last state, Record Run Outcome): once per execution.",
	),
	"billing_run.failed": type(
		"billing_run",
		billingRunViewSchema,
		"A billing cycle's run failed (Record Run Failure), with its `error`: once per execution. A run refused before it had a valid period billed nothing and has none.",
	),
	"books.closed": type("books", periodCloseSchema, "A period's books are closed (`billing books close`)."),
} as const;

export type EventTypeName = keyof typeof eventCatalog;
export const eventTypeNames = Object.keys(eventCatalog) as EventTypeName[];

export type EventData<T extends EventTypeName> = z.input<(typeof eventCatalog)[T]["data"]>;

/** The envelope of one type: what a receiver gets, and what its JSON Schema describes. */
export function eventSchema<T extends EventTypeName>(name: T) {
	const entry = eventCatalog[name];
	return z.object({
		/** `evt_` and a UUIDv7: unique, sortable by creation. */
		id: z.string().regex(/^evt_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
		type: z.literal(name),
		version: z.literal(entry.version),
		occurredAt: z.iso.datetime(),
		objectType: z.literal(entry.objectType),
		objectId: z.string().min(1),
		/** Gapless per object, from 1, in the order the changes were committed: given by the publisher. */
		sequence: z.number().int().positive().optional(),
		data: entry.data,
	});
}

export type BillingEvent = {
	readonly id: string;
	readonly type: EventTypeName;
	readonly version: number;
	readonly occurredAt: string;
	readonly objectType: ObjectType;
	readonly objectId: string;
	readonly sequence?: number;
	readonly data: Record<string, unknown>;
};

/**
 * A new event about an object, its data checked against the catalog (a writer that built
 * it wrong fails before it writes anything) and given in the schema's shape.
 */
export function billingEvent<T extends EventTypeName>(name: T, objectId: string, data: EventData<T>, occurredAt: string): BillingEvent {
	const entry = eventCatalog[name];
	return {
		id: newEventId(new Date(occurredAt)),
		type: name,
		version: entry.version,
		occurredAt,
		objectType: entry.objectType,
		objectId,
		data: entry.data.parse(data) as Record<string, unknown>,
	};
}

/** The JSON Schema of a type's events, generated from its zod schema (docs/events/<type>.v<version>.schema.json). */
export function eventJsonSchema(name: EventTypeName): Record<string, unknown> {
	const entry = eventCatalog[name];
	return {
		...z.toJSONSchema(eventSchema(name), { io: "input" }),
		$id: `${name}.v${entry.version}.schema.json`,
		title: name,
		description: entry.emittedWhen,
	};
}
