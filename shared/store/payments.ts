import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { type Payment, paymentSchema } from "../core/model.js";
import { billingEvent, type EventTypeName } from "../events/catalog.js";
import { paymentRef, paymentView } from "../events/views.js";
import { eventPut } from "./events.js";
import { GSI2, keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";
import { isConditionFailure, type TransactItem } from "./transact.js";
import { openDisputeMarkerPut } from "./worklist-queues.js";

/**
 * Payment records, the raw provider events they came from, and refunds or disputes
 * parked until their payment arrives.
 */

export async function getPayment(deps: TableDeps, provider: string, paymentId: string): Promise<Payment | undefined> {
	const out = await deps.ddb.send(
		new GetCommand({ TableName: deps.tableName, Key: keys.payment(provider, paymentId), ConsistentRead: true }),
	);
	return out.Item ? parseRecord(paymentSchema, out.Item) : undefined;
}

function paymentItem(record: Payment): Record<string, unknown> {
	return {
		...keys.payment(record.provider, record.paymentId),
		...keys.paymentListing(record.receivedAt, record.provider, record.paymentId),
		// In the unapplied queue the reconcile step and the reports read while any of it is unapplied.
		...(record.unappliedAmount > 0 ? keys.unappliedPayment(record.receivedAt, record.provider, record.paymentId) : {}),
		...record,
	};
}

/** A payment recorded for the first time: a second event for the same payment fails this item's condition. */
export function newPayment(tableName: string, record: Payment): TransactItem {
	return { Put: { TableName: tableName, Item: paymentItem(record), ConditionExpression: "attribute_not_exists(pk)" } };
}

/** The event of a change to a payment, carrying the payment after it. */
function paymentEvent(tableName: string, type: EventTypeName, payment: Payment, at: string): TransactItem {
	return eventPut(tableName, billingEvent(type, paymentRef(payment), paymentView(payment), at));
}

/** A dispute's event, carrying its payment after the change. */
function disputeEvent(tableName: string, type: "dispute.opened" | "dispute.closed", payment: Payment, at: string): TransactItem {
	const disputeId = payment.dispute?.disputeId ?? "";
	return eventPut(tableName, billingEvent(type, disputeId, paymentView(payment), at));
}

/** The events of a payment recorded: received, and unapplied when some of it stays unapplied. */
export function paymentReceivedEvents(tableName: string, record: Payment, at: string): TransactItem[] {
	return [
		paymentEvent(tableName, "payment.received", record, at),
		...(record.unappliedAmount > 0 ? [paymentEvent(tableName, "payment.unapplied", record, at)] : []),
	];
}

/**
 * Unapplied cash now applied (the reconcile step, or by hand at the billing desk), or an
 * application taken back (then with its payment.unapplied event). The whole record is
 * written, so it is conditional on every figure a webhook may change meanwhile being as
 * read: applied, credited, unapplied, refunded, charged back, and the dispute.
 */
export function unappliedPaymentSettled(tableName: string, unapplied: Payment, settled: Payment, at: string): TransactItem[] {
	const dispute = unapplied.dispute;
	const event = settled.unappliedAmount > unapplied.unappliedAmount ? [paymentEvent(tableName, "payment.unapplied", settled, at)] : [];
	const put: TransactItem = {
		Put: {
			TableName: tableName,
			Item: paymentItem(settled),
			// Records stored before credit and reversals were tracked lack those figures: read as 0.
			ConditionExpression: [
				"unappliedAmount = :expected AND appliedAmount = :applied",
				...(["creditedAmount", "refundedAmount", "chargebackAmount"] as const).map((field) =>
					unapplied[field] === 0 ? `(${field} = :${field} OR attribute_not_exists(${field}))` : `${field} = :${field}`,
				),
				dispute ? "dispute.disputeId = :disputeId AND dispute.#status = :disputeStatus" : "attribute_not_exists(dispute)",
			].join(" AND "),
			...(dispute ? { ExpressionAttributeNames: { "#status": "status" } } : {}),
			ExpressionAttributeValues: {
				":expected": unapplied.unappliedAmount,
				":applied": unapplied.appliedAmount,
				":creditedAmount": unapplied.creditedAmount,
				":refundedAmount": unapplied.refundedAmount,
				":chargebackAmount": unapplied.chargebackAmount,
				...(dispute ? { ":disputeId": dispute.disputeId, ":disputeStatus": dispute.status } : {}),
			},
		},
	};
	return [put, ...event];
}

/** The unapplied cash left after a reversal returned `fromUnapplied` of it, and whether all of the payment is then returned. */
function unappliedAfterReversal(payment: Payment, fromUnapplied: number): { unapplied: number; allReturned: boolean } {
	const unapplied = payment.unappliedAmount - fromUnapplied;
	return { unapplied, allReturned: fromUnapplied > 0 && unapplied === 0 && payment.appliedAmount + payment.creditedAmount === 0 };
}

/**
 * What a reversal changes besides its own figure: the unapplied cash it returned leaves the
 * unapplied queue, and a payment that was all unapplied cash and is all returned says so.
 */
function reversalOfUnapplied(
	payment: Payment,
	fromUnapplied: number,
): { sets: string[]; removes: string[]; names: Record<string, string>; values: Record<string, unknown> } {
	if (fromUnapplied === 0) return { sets: [], removes: [], names: {}, values: {} };
	const { unapplied, allReturned } = unappliedAfterReversal(payment, fromUnapplied);
	return {
		sets: ["unappliedAmount = :unapplied", "returnedUnapplied = :returned", ...(allReturned ? ["#status = :returnedStatus"] : [])],
		removes: unapplied === 0 ? ["gsi2pk", "gsi2sk"] : [],
		names: allReturned ? { "#status": "status" } : {},
		values: {
			":unapplied": unapplied,
			":returned": payment.returnedUnapplied + fromUnapplied,
			...(allReturned ? { ":returnedStatus": "returned" } : {}),
		},
	};
}

/** A reversal (refund or chargeback) of the payment as read: its cumulative figure, and the unapplied cash it returned. */
function reversalOnPayment(
	tableName: string,
	payment: Payment,
	field: "refundedAmount" | "chargebackAmount",
	amount: number,
	fromUnapplied: number,
	dispute?: NonNullable<Payment["dispute"]>,
): TransactItem {
	const unapplied = reversalOfUnapplied(payment, fromUnapplied);
	const sets = [`${field} = :new`, ...(dispute ? ["dispute = :dispute"] : []), ...unapplied.sets];
	return {
		Update: {
			TableName: tableName,
			Key: keys.payment(payment.provider, payment.paymentId),
			UpdateExpression: `SET ${sets.join(", ")}${unapplied.removes.length ? ` REMOVE ${unapplied.removes.join(", ")}` : ""}`,
			ConditionExpression: "refundedAmount = :refunded AND chargebackAmount = :chargeback AND unappliedAmount = :unappliedRead",
			...(Object.keys(unapplied.names).length ? { ExpressionAttributeNames: unapplied.names } : {}),
			ExpressionAttributeValues: {
				":new": payment[field] + amount,
				":refunded": payment.refundedAmount,
				":chargeback": payment.chargebackAmount,
				":unappliedRead": payment.unappliedAmount,
				...(dispute ? { ":dispute": dispute } : {}),
				...unapplied.values,
			},
		},
	};
}

/** The payment after a reversal, as `reversalOnPayment` writes it: what its event carries. */
function reversed(
	payment: Payment,
	field: "refundedAmount" | "chargebackAmount",
	amount: number,
	fromUnapplied: number,
	dispute?: NonNullable<Payment["dispute"]>,
): Payment {
	const { unapplied, allReturned } = unappliedAfterReversal(payment, fromUnapplied);
	return {
		...payment,
		[field]: payment[field] + amount,
		unappliedAmount: unapplied,
		returnedUnapplied: payment.returnedUnapplied + fromUnapplied,
		...(allReturned ? { status: "returned" as const } : {}),
		...(dispute ? { dispute } : {}),
	};
}

/** Money returned to the customer, cumulative, on the reversals as read; `fromUnapplied` of it was unapplied cash. */
export function refundOnPayment(tableName: string, payment: Payment, amount: number, fromUnapplied: number, at: string): TransactItem[] {
	return [
		reversalOnPayment(tableName, payment, "refundedAmount", amount, fromUnapplied),
		paymentEvent(tableName, "payment.refunded", reversed(payment, "refundedAmount", amount, fromUnapplied), at),
	];
}

/** A dispute opened on the payment, which puts it on the open disputes' queue. */
export function disputeOpenedOnPayment(
	tableName: string,
	payment: Payment,
	dispute: NonNullable<Payment["dispute"]>,
	at: string,
): TransactItem[] {
	return [
		{
			Update: {
				TableName: tableName,
				Key: keys.payment(payment.provider, payment.paymentId),
				UpdateExpression: "SET dispute = :dispute",
				ConditionExpression: "attribute_exists(pk)",
				ExpressionAttributeValues: { ":dispute": dispute },
			},
		},
		openDisputeMarkerPut(tableName, payment, dispute.since),
		disputeEvent(tableName, "dispute.opened", { ...payment, dispute }, at),
	];
}

/**
 * A dispute closed, with what a lost one took back (`chargeback`, `fromUnapplied` of it
 * unapplied cash), on the reversals as read; the payment leaves the open disputes' queue.
 */
export function disputeClosedOnPayment(
	tableName: string,
	payment: Payment,
	dispute: NonNullable<Payment["dispute"]>,
	chargeback: number,
	fromUnapplied: number,
	at: string,
): TransactItem[] {
	return [
		reversalOnPayment(tableName, payment, "chargebackAmount", chargeback, fromUnapplied, dispute),
		openDisputeMarkerPut(tableName, payment, undefined),
		disputeEvent(tableName, "dispute.closed", reversed(payment, "chargebackAmount", chargeback, fromUnapplied, dispute), at),
	];
}

/**
 * Where an event's raw body is kept: on the event itself when its delivery carried this one
 * event (`rawBody`), or once for the whole delivery (`bodyId`, a GoCardless batch: see
 * storeWebhookBody); `ttl` (epoch seconds) lets DynamoDB delete the record after the
 * retention. Events of bank statements and the desk carry their row, without expiry.
 */
export interface EventBody {
	readonly rawBody?: string;
	readonly bodyId?: string;
	readonly ttl?: number;
}

/** A provider's event as received, stored once (its id is the idempotency key) and kept for audit. */
export interface ProviderEvent extends EventBody {
	readonly provider: string;
	readonly eventId: string;
	readonly eventType: string;
}

/**
 * A delivery's raw body, stored once for all the events it carried: a batch of 500 events is
 * one copy of its body, not 500. Keyed by the body's SHA-256, so a redelivery stores nothing.
 */
export async function storeWebhookBody(
	deps: TableDeps,
	body: { readonly provider: string; readonly bodyId: string; readonly rawBody: string; readonly ttl: number },
): Promise<void> {
	try {
		await deps.ddb.send(
			new PutCommand({
				TableName: deps.tableName,
				Item: { ...keys.webhookBody(body.provider, body.bodyId), ...body, storedAt: new Date().toISOString() },
				ConditionExpression: "attribute_not_exists(pk)",
			}),
		);
	} catch (err) {
		if (!isConditionFailure(err)) throw err;
	}
}

export type EventHandling =
	| { readonly handling: "payment"; readonly paymentId: string }
	| { readonly handling: "parked"; readonly paymentId: string; readonly reason?: string }
	| { readonly handling: "adjustment"; readonly paymentId: string; readonly outcome: string }
	| { readonly handling: "ignored" };

/** The event's record; a redelivery fails its condition, which is how a duplicate is recognised. */
export function storedEvent(tableName: string, event: ProviderEvent, handling: EventHandling): TransactItem {
	return {
		Put: {
			TableName: tableName,
			Item: { ...keys.webhookEvent(event.provider, event.eventId), ...event, storedAt: new Date().toISOString(), ...handling },
			ConditionExpression: "attribute_not_exists(pk)",
		},
	};
}

/** Stores an event that carries no payment; false when it was stored before (a redelivery). */
export async function storeIgnoredEvent(deps: TableDeps, event: ProviderEvent): Promise<boolean> {
	try {
		await deps.ddb.send(
			new PutCommand(storedEvent(deps.tableName, event, { handling: "ignored" }).Put as ConstructorParameters<typeof PutCommand>[0]),
		);
		return true;
	} catch (err) {
		if (isConditionFailure(err)) return false;
		throw err;
	}
}

/** Checked by the transaction that records a payment: no refund or dispute is parked for it. */
export function nothingParkedFor(tableName: string, provider: string, paymentId: string): TransactItem {
	return {
		ConditionCheck: { TableName: tableName, Key: keys.parkedMarker(provider, paymentId), ConditionExpression: "attribute_not_exists(pk)" },
	};
}

/**
 * A refund or dispute not applied yet, as parked with its event's type: its payment has not
 * arrived, or, as `reason` says, its effects do not fit one transaction. Its raw body is on
 * the event's record (items parked before that carry a copy, no longer read).
 */
export const parkedEventSchema = z.object({
	adjustment: z.looseObject({ provider: z.string(), eventId: z.string(), paymentId: z.string(), occurredAt: z.string() }),
	eventType: z.string(),
	reason: z.string().optional(),
});
export type ParkedEvent<A> = { readonly adjustment: A; readonly eventType: string; readonly reason?: string };

/**
 * Parks an adjustment under its payment, with the marker the payment's own transaction
 * checks (it stays after the parked events are applied: the payment is then recorded).
 */
export function parkedAdjustment<A extends z.infer<typeof parkedEventSchema>["adjustment"]>(
	tableName: string,
	parked: ParkedEvent<A>,
): TransactItem[] {
	const { provider, paymentId, occurredAt, eventId } = parked.adjustment;
	return [
		{
			Put: {
				TableName: tableName,
				Item: {
					...keys.parkedEvent(provider, paymentId, occurredAt, eventId),
					...keys.parkedListing(provider, paymentId, occurredAt, eventId),
					...parked,
				},
			},
		},
		{ Put: { TableName: tableName, Item: keys.parkedMarker(provider, paymentId) } },
	];
}

/** Takes a parked adjustment off the queue as it is applied, so it takes effect once, and notes the outcome on its event. */
export function parkedAdjustmentApplied(
	tableName: string,
	adjustment: z.infer<typeof parkedEventSchema>["adjustment"],
	outcome: string,
): TransactItem[] {
	const { provider, paymentId, occurredAt, eventId } = adjustment;
	return [
		{
			Delete: {
				TableName: tableName,
				Key: keys.parkedEvent(provider, paymentId, occurredAt, eventId),
				ConditionExpression: "attribute_exists(pk)",
			},
		},
		{
			Update: {
				TableName: tableName,
				Key: keys.webhookEvent(provider, eventId),
				// A reason it was kept parked for no longer holds once it is applied.
				UpdateExpression: "SET handling = :done, outcome = :outcome REMOVE reason",
				ExpressionAttributeValues: { ":done": "adjustment", ":outcome": outcome },
			},
		},
	];
}

/** Parked adjustments, oldest first: of one payment, or of every payment. */
export async function listParkedEvents(
	deps: TableDeps,
	payment?: { readonly provider: string; readonly paymentId: string },
): Promise<z.infer<typeof parkedEventSchema>[]> {
	const items = payment
		? await queryAll(deps, {
				KeyConditionExpression: "pk = :pk AND begins_with(sk, :events)",
				ExpressionAttributeValues: {
					":pk": keys.parkedEvent(payment.provider, payment.paymentId, "", "").pk,
					":events": keys.parkedEventPrefix,
				},
				ConsistentRead: true,
			})
		: await queryAll(deps, {
				IndexName: GSI2,
				KeyConditionExpression: "gsi2pk = :pk",
				ExpressionAttributeValues: { ":pk": keys.parkedListing("", "", "", "").gsi2pk },
			});
	return items.map((item) => parseRecord(parkedEventSchema, item));
}
