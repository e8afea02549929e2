import type { Invoice, InvoiceStatus } from "../core/model.js";
import { billingEvent, type EventTypeName } from "../events/catalog.js";
import { invoiceView } from "../events/views.js";
import { auditPut } from "./audit.js";
import { withChanges } from "./changes.js";
import { eventPut } from "./events.js";
import { keys } from "./keys.js";
import type { TransactItem } from "./transact.js";
import { heldInvoiceMarkerPut } from "./worklist-queues.js";

/**
 * Every change to an invoice: one function per kind, each returning the invoice's update
 * (conditional on the invoice as the caller read it) and its audit entry, for the caller
 * to put into one transaction with the ledger and account items. The amount-due rule and
 * the open-invoice index are kept here and nowhere else.
 */

/** Who changed the invoice, when and why, as its audit trail records it. */
export interface InvoiceAudit {
	readonly action: string;
	readonly actor: string;
	readonly at: string;
	readonly reason?: string;
	/** The day the change is booked on (a write-off's effective date). */
	readonly bookedOn?: string;
}

export type Hold = NonNullable<Invoice["hold"]>;

type Figures = Pick<Invoice, "status" | "total" | "amountPaid" | "creditApplied" | "credited" | "amountWrittenOff">;

/** The amount-due rule: total − paid − credit applied − credited − written off; a void invoice owes nothing. */
export function amountDueOf(invoice: Figures): number {
	if (invoice.status === "void") return 0;
	return invoice.total - invoice.amountPaid - (invoice.creditApplied ?? 0) - (invoice.credited ?? 0) - (invoice.amountWrittenOff ?? 0);
}

/** Paid once nothing is due (a written-off invoice stays uncollectible); open or partially paid while something is. */
function statusFor(current: InvoiceStatus, amountPaid: number, amountDue: number): InvoiceStatus {
	if (current === "void") return "void";
	if (amountDue <= 0) return current === "uncollectible" ? "uncollectible" : "paid";
	return amountPaid === 0 ? "open" : "partially_paid";
}

type Changeable = Pick<
	Invoice,
	"status" | "amountPaid" | "amountDue" | "creditApplied" | "credited" | "creditMemoTotal" | "amountWrittenOff" | "voidReason"
> & { hold: Hold | null; writeOff: NonNullable<Invoice["writeOff"]> | null };

/** Placeholder names of the changeable fields: `:due`, and `:expectedDue` for the value as read. */
const PLACEHOLDER: Record<keyof Changeable, string> = {
	status: "status",
	amountPaid: "paid",
	amountDue: "due",
	creditApplied: "creditApplied",
	credited: "credited",
	creditMemoTotal: "memoTotal",
	amountWrittenOff: "writtenOff",
	writeOff: "writeOff",
	voidReason: "voidReason",
	hold: "hold",
};

/** DynamoDB reserves these words: they go through ExpressionAttributeNames. */
const RESERVED = new Set<keyof Changeable>(["status", "hold"]);

const capitalized = (s: string) => `${s[0]?.toUpperCase() ?? ""}${s.slice(1)}`;

/**
 * The update that sets `next` on the invoice as read: each field it sets must still hold
 * the value read, so a concurrent change makes the transaction fail and the caller read
 * again. The status follows from the amounts (the amount-due rule), so it is checked as
 * read only where the change decides it (`statusAsRead`: void, write-off). An invoice with
 * nothing due leaves the open-invoice index, one with something due is (back) in it. The
 * audit entry records `audited` before and after.
 */
function invoiceUpdate(
	tableName: string,
	invoice: Invoice,
	next: Partial<Changeable>,
	audited: readonly (keyof Changeable)[],
	audit: InvoiceAudit,
	options: { readonly statusAsRead?: boolean } = {},
): TransactItem[] {
	const sets: string[] = [];
	const removes: string[] = [];
	const equalities: string[] = [];
	const absences: string[] = [];
	const names: Record<string, string> = {};
	const values: Record<string, unknown> = {};
	const nameOf = (field: keyof Changeable) => {
		if (!RESERVED.has(field)) return field;
		names[`#${field}`] = field;
		return `#${field}`;
	};
	const expect = (field: keyof Changeable) => {
		const read = invoice[field];
		if (read === undefined) absences.push(`attribute_not_exists(${nameOf(field)})`);
		else {
			equalities.push(`${nameOf(field)} = :expected${capitalized(PLACEHOLDER[field])}`);
			values[`:expected${capitalized(PLACEHOLDER[field])}`] = read;
		}
	};
	for (const [field, value] of Object.entries(next) as [keyof Changeable, unknown][]) {
		if (value === undefined) continue;
		if (value === null) removes.push(nameOf(field));
		else {
			sets.push(`${nameOf(field)} = :${PLACEHOLDER[field]}`);
			values[`:${PLACEHOLDER[field]}`] = value;
		}
		if (field !== "status" || options.statusAsRead) expect(field);
	}
	if (next.amountDue !== undefined) {
		if (next.amountDue > 0) {
			const open = keys.openInvoice(invoice.dueDate, invoice.number);
			sets.push("gsi2pk = :gsi2pk", "gsi2sk = :gsi2sk");
			Object.assign(values, { ":gsi2pk": open.gsi2pk, ":gsi2sk": open.gsi2sk });
		} else removes.push("gsi2pk", "gsi2sk");
	}
	// An equality holds only on a stored invoice; absences alone would also hold on a missing one.
	const conditions = [...(equalities.length ? [] : ["attribute_exists(pk)"]), ...equalities, ...absences];
	const before: Record<string, unknown> = {};
	const after: Record<string, unknown> = {};
	for (const field of audited) {
		before[field] = invoice[field] ?? (field === "hold" ? null : 0);
		after[field] = next[field] !== undefined ? next[field] : before[field];
	}
	const expression = [sets.length ? `SET ${sets.join(", ")}` : "", removes.length ? `REMOVE ${removes.join(", ")}` : ""]
		.filter(Boolean)
		.join(" ");
	return [
		{
			Update: {
				TableName: tableName,
				Key: keys.invoice(invoice.number),
				UpdateExpression: expression,
				ConditionExpression: conditions.join(" AND "),
				...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
				ExpressionAttributeValues: values,
			},
		},
		auditPut(tableName, { subject: "invoice", subjectId: invoice.number, ...audit, before, after }),
		...heldQueueChange(tableName, invoice, next),
		...invoiceEvent(tableName, invoice, withChanges(invoice, next), audit.at),
	];
}

/**
 * The event of a change, by what it did to the status: paid or (further) partially paid by
 * money applied, voided, written off. Holds, and reversals that make something due again,
 * have none of their own in this catalog version.
 */
function invoiceEventType(before: Invoice, after: Invoice): EventTypeName | undefined {
	if (after.status === before.status && after.status !== "partially_paid") return undefined;
	if (after.status === "paid") return "invoice.paid";
	if (after.status === "partially_paid" && after.amountPaid > before.amountPaid) return "invoice.partially_paid";
	if (after.status === "void") return "invoice.voided";
	if (after.status === "uncollectible" && (after.amountWrittenOff ?? 0) > (before.amountWrittenOff ?? 0)) return "invoice.written_off";
	return undefined;
}

function invoiceEvent(tableName: string, before: Invoice, after: Invoice, at: string): TransactItem[] {
	const type = invoiceEventType(before, after);
	return type ? [eventPut(tableName, billingEvent(type, after.number, invoiceView(after), at))] : [];
}

/**
 * The invoice's held marker when the change moves it on or off the held invoices' queue
 * (held with something due), or changes the hold it is queued with.
 */
function heldQueueChange(tableName: string, invoice: Invoice, next: Partial<Changeable>): TransactItem[] {
	const heldAfter = next.hold === undefined ? invoice.hold : (next.hold ?? undefined);
	const queuedBefore = invoice.hold !== undefined && invoice.amountDue > 0;
	const queuedAfter = heldAfter !== undefined && (next.amountDue ?? invoice.amountDue) > 0;
	if (queuedBefore === queuedAfter && !(queuedAfter && next.hold)) return [];
	return [heldInvoiceMarkerPut(tableName, invoice.number, queuedAfter ? heldAfter?.since : undefined)];
}

/** Figures after money moves on the invoice, by the amount-due rule. */
function refigured(invoice: Invoice, change: Partial<Pick<Invoice, "amountPaid" | "creditApplied" | "credited" | "amountWrittenOff">>) {
	const merged = { ...invoice, ...change };
	const amountDue = amountDueOf(merged);
	return { ...change, amountDue, status: statusFor(invoice.status, merged.amountPaid, amountDue) };
}

/**
 * A payment applied (positive) or reversed by a refund or chargeback (negative), with the
 * invoice's hold set or released in the same write when `hold` is given (DynamoDB takes one
 * write per item and transaction).
 */
export function paymentOnInvoice(
	tableName: string,
	invoice: Invoice,
	change: { readonly paidDelta: number; readonly hold?: Hold | null },
	audit: InvoiceAudit,
): TransactItem[] {
	const next = { ...refigured(invoice, { amountPaid: invoice.amountPaid + change.paidDelta }), hold: change.hold };
	const audited: (keyof Changeable)[] = ["status", "amountPaid", "amountDue"];
	return invoiceUpdate(tableName, invoice, next, change.hold === undefined ? audited : [...audited, "hold"], audit);
}

/**
 * Account credit the invoice consumed when it was issued, handed back (the payment that
 * gave the credit was refunded or charged back): that much is due on the invoice again.
 */
export function creditApplicationReversed(tableName: string, invoice: Invoice, amount: number, audit: InvoiceAudit): TransactItem[] {
	const next = refigured(invoice, { creditApplied: (invoice.creditApplied ?? 0) - amount });
	return invoiceUpdate(tableName, invoice, next, ["status", "amountDue", "creditApplied"], audit);
}

/** Account credit (an overpayment, a credit memo's rest) set against what is due on the invoice. */
export function accountCreditOnInvoice(tableName: string, invoice: Invoice, amount: number, audit: InvoiceAudit): TransactItem[] {
	const next = refigured(invoice, { creditApplied: (invoice.creditApplied ?? 0) + amount });
	return invoiceUpdate(tableName, invoice, next, ["status", "amountDue", "creditApplied"], audit);
}

/** Sets or releases (null) the invoice's hold: dunning passes an invoice on hold by. */
export function holdOnInvoice(tableName: string, invoice: Invoice, hold: Hold | null, audit: InvoiceAudit): TransactItem[] {
	return invoiceUpdate(tableName, invoice, { hold }, ["hold"], audit);
}

/** A credit memo of `amount`, of which `appliedToInvoice` reduces what is due (the rest became account credit). */
export function creditMemoOnInvoice(
	tableName: string,
	invoice: Invoice,
	memo: { readonly amount: number; readonly appliedToInvoice: number },
	audit: InvoiceAudit,
): TransactItem[] {
	const next = {
		...refigured(invoice, { credited: (invoice.credited ?? 0) + memo.appliedToInvoice }),
		creditMemoTotal: (invoice.creditMemoTotal ?? 0) + memo.amount,
	};
	return invoiceUpdate(tableName, invoice, next, ["status", "amountDue", "credited"], audit);
}

/** Voids the invoice: it owes nothing, its number stays used, the reason is kept. */
export function voidOnInvoice(tableName: string, invoice: Invoice, reason: string, audit: InvoiceAudit): TransactItem[] {
	return invoiceUpdate(tableName, invoice, { status: "void", amountDue: 0, voidReason: reason }, ["status", "amountDue"], audit, {
		statusAsRead: true,
	});
}

/** Writes off what is due: the invoice becomes uncollectible, the amount adds to what was written off before. */
export function writeOffOnInvoice(
	tableName: string,
	invoice: Invoice,
	writeOff: { readonly reason: string; readonly at: string },
	audit: InvoiceAudit,
): TransactItem[] {
	const next = {
		status: "uncollectible" as const,
		amountDue: 0,
		amountWrittenOff: (invoice.amountWrittenOff ?? 0) + invoice.amountDue,
		writeOff,
	};
	return invoiceUpdate(tableName, invoice, next, ["status", "amountDue", "amountWrittenOff"], audit, { statusAsRead: true });
}

/**
 * `amount` of what was written off reinstated: due again (a reversal by hand) or, with
 * `paid`, paid at once (a bad-debt recovery). Uncollectible while some of it stays written
 * off and nothing is due; the write-off's record goes once none of it is left.
 */
export function writeOffReinstatedOnInvoice(
	tableName: string,
	invoice: Invoice,
	change: { readonly amount: number; readonly paid?: boolean },
	audit: InvoiceAudit,
): TransactItem[] {
	const amountWrittenOff = (invoice.amountWrittenOff ?? 0) - change.amount;
	const amountPaid = invoice.amountPaid + (change.paid ? change.amount : 0);
	const amountDue = amountDueOf({ ...invoice, amountWrittenOff, amountPaid });
	const next = {
		amountWrittenOff,
		...(change.paid ? { amountPaid } : {}),
		amountDue,
		status: statusFor(amountWrittenOff > 0 ? "uncollectible" : "open", amountPaid, amountDue),
		...(amountWrittenOff === 0 ? { writeOff: null } : {}),
	};
	return invoiceUpdate(tableName, invoice, next, ["status", "amountPaid", "amountDue", "amountWrittenOff"], audit, { statusAsRead: true });
}

/**
 * The void invoice a re-issue corrects: still listed under its account (beside its
 * correction, which took the period's place), and marked with the number that replaced it,
 * with its audit entry. Only a void invoice not re-issued before.
 */
export function reissuedInvoice(tableName: string, voided: Invoice, correction: string, audit: InvoiceAudit): TransactItem[] {
	return [
		{
			Put: {
				TableName: tableName,
				Item: { ...keys.invoiceForPeriod(voided.accountId, `${voided.period}#${voided.number}`), invoiceNumber: voided.number },
				ConditionExpression: "attribute_not_exists(pk)",
			},
		},
		{
			Update: {
				TableName: tableName,
				Key: keys.invoice(voided.number),
				UpdateExpression: "SET reissuedAs = :correction",
				ConditionExpression: "#status = :void AND attribute_not_exists(reissuedAs)",
				ExpressionAttributeNames: { "#status": "status" },
				ExpressionAttributeValues: { ":correction": correction, ":void": "void" },
			},
		},
		auditPut(tableName, {
			subject: "invoice",
			subjectId: voided.number,
			...audit,
			before: { reissuedAs: null },
			after: { reissuedAs: correction },
		}),
	];
}

/**
 * A finalized invoice: the invoice under its number (in the open-invoice index while
 * something is due), the account's period guard (one invoice per account and period; a
 * one-off invoice has a listing of its own instead) and
 * the invoice's audit entry. The series advance, ledger entry and account update go in the
 * same transaction (`finalizeInvoiceItems` in invoicing).
 */
export function issuedInvoice(tableName: string, invoice: Invoice, audit: InvoiceAudit): TransactItem[] {
	// A one-off invoice is listed under its account beside the period's invoice without taking its place.
	const listing = invoice.oneOff
		? keys.invoiceForPeriod(invoice.accountId, `${invoice.period}#${invoice.number}`)
		: keys.invoiceForPeriod(invoice.accountId, invoice.period);
	// A re-issue takes the period's place from the void invoice it corrects (`reissuedInvoice` keeps that one listed).
	const guard: TransactItem = invoice.reissueOf
		? {
				Update: {
					TableName: tableName,
					Key: listing,
					UpdateExpression: "SET invoiceNumber = :number",
					ConditionExpression: "invoiceNumber = :voided",
					ExpressionAttributeValues: { ":number": invoice.number, ":voided": invoice.reissueOf },
				},
			}
		: {
				Put: { TableName: tableName, Item: { ...listing, invoiceNumber: invoice.number }, ConditionExpression: "attribute_not_exists(pk)" },
			};
	return [
		guard,
		{
			Put: {
				TableName: tableName,
				Item: {
					...keys.invoice(invoice.number),
					...keys.invoiceListing(invoice.period, invoice.number),
					...(invoice.amountDue > 0 ? keys.openInvoice(invoice.dueDate, invoice.number) : {}),
					...invoice,
				},
				ConditionExpression: "attribute_not_exists(pk)",
			},
		},
		auditPut(tableName, {
			subject: "invoice",
			subjectId: invoice.number,
			...audit,
			before: null,
			after: {
				status: invoice.status,
				total: invoice.total,
				creditApplied: invoice.creditApplied ?? 0,
				amountDue: invoice.amountDue,
				dueDate: invoice.dueDate,
			},
		}),
		eventPut(tableName, billingEvent("invoice.issued", invoice.number, invoiceView(invoice), audit.at)),
	];
}
