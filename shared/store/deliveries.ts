import { DeleteCommand, GetCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { auditPut } from "./audit.js";
import { deliveryEvent, writeOutcome } from "./delivery-events.js";
import { GSI2, keys } from "./keys.js";
import { queryAll, type TableDeps } from "./records.js";
import { conditionFailedAt, isCancelled, isConditionFailure, type TransactItem, transactionsOf, transactWrite } from "./transact.js";

/**
 * Delivery records, one per document and channel (keys.delivery for an invoice,
 * keys.statementDelivery for a statement): claimed before a send, so nothing goes out twice.
 */
export type DeliveryKey = { readonly pk: string; readonly sk: string };

const deliveryAttemptSchema = z.object({
	status: z.enum(["sending", "sent", "failed", "queued_for_print"]),
	recipient: z.string().optional(),
	messageId: z.string().optional(),
	reason: z.string().optional(),
	at: z.string(),
	sentAt: z.string().optional(),
});
type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

export const deliveryRecordSchema = deliveryAttemptSchema.extend({
	channel: z.string(),
	period: z.string().optional(),
	/** The attempts before this one, oldest first (`billing invoices resend`). */
	attempts: z.array(deliveryAttemptSchema).optional(),
});
export type DeliveryRecord = z.infer<typeof deliveryRecordSchema>;

export async function getDelivery(deps: TableDeps, key: DeliveryKey): Promise<DeliveryRecord | undefined> {
	const out = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }));
	if (!out.Item) return undefined;
	const { pk: _pk, sk: _sk, ...record } = out.Item;
	return deliveryRecordSchema.parse(record);
}

/** A postal document goes into the period's print batch, once: false when it was delivered or failed before. */
export async function queueForPrint(deps: TableDeps, key: DeliveryKey, period: string): Promise<boolean> {
	const at = new Date().toISOString();
	return writeOutcome(
		deps,
		{
			Put: {
				TableName: deps.tableName,
				Item: { ...key, ...keys.queuedForPrint(period, key), channel: "postal", status: "queued_for_print", period, at },
				ConditionExpression: "attribute_not_exists(pk)",
			},
		},
		await deliveryEvent(deps, key, "invoice.delivered", at),
	);
}

/**
 * The claim of a document's delivery to `recipient`, as an item of a transaction: it fails
 * when the delivery was claimed or recorded before. Listed as a delivery whose outcome is
 * unknown until it is marked sent or failed.
 */
function deliveryClaim(tableName: string, key: DeliveryKey, recipient: string, period: string, at: string): TransactItem {
	return {
		Put: {
			TableName: tableName,
			Item: { ...key, channel: "email", status: "sending", recipient, period, at, ...keys.deliveryOutcomeUnknown(period, key) },
			ConditionExpression: "attribute_not_exists(pk)",
		},
	};
}

/**
 * Claims the documents' deliveries to `recipient` in one transaction: "claimed", or
 * "already_claimed" when the first was claimed before; a conflict on a later one (it went
 * out meanwhile on its own) throws, for the caller's retry to read again.
 */
export async function claimDeliveries(
	deps: TableDeps,
	deliveryKeys: readonly DeliveryKey[],
	recipient: string,
	period: string,
): Promise<"claimed" | "already_claimed"> {
	const at = new Date().toISOString();
	try {
		await transactWrite(
			deps,
			deliveryKeys.map((key) => deliveryClaim(deps.tableName, key, recipient, period, at)),
		);
		return "claimed";
	} catch (err) {
		if (conditionFailedAt(err, 0)) return "already_claimed";
		throw err;
	}
}

/** A document's claims as `claimDeliveries` makes them. */
export interface DeliveryClaims {
	readonly keys: readonly DeliveryKey[];
	readonly recipient: string;
	readonly period: string;
}

/** A delivery that went out, and the message that carried it. */
export interface SentDelivery {
	readonly key: DeliveryKey;
	readonly messageId: string | undefined;
}

/**
 * Several documents' claims in one transaction, all or none, with deliveries sent before
 * marked sent (as `markSent` does, each with its event) in the same write: a round of
 * deliveries (delivery-rounds.ts, at most 5 documents of 2 claims each) takes at most 25 of
 * a transaction's MAX_TRANSACTION_ITEMS (shared/store/transact.ts). A transaction
 * cancelled because one was claimed or marked before throws, and the caller marks and claims
 * them one at a time (`markAllSent`, `claimDeliveries`) to learn which.
 */
export async function claimDeliveriesTogether(
	deps: TableDeps,
	claims: readonly DeliveryClaims[],
	sent: readonly SentDelivery[] = [],
): Promise<void> {
	const at = new Date().toISOString();
	const items = [
		...(await Promise.all(sent.map((s) => sentMark(deps, s, at)))).flat(),
		...claims.flatMap((c) => c.keys.map((key) => deliveryClaim(deps.tableName, key, c.recipient, c.period, at))),
	];
	await transactWrite(deps, items);
}

/** A claimed delivery marked sent with the message that carried it, and its event: only while it is claimed ("sending"). */
async function sentMark(deps: TableDeps, { key, messageId }: SentDelivery, at: string): Promise<TransactItem[]> {
	return [
		{
			Update: {
				TableName: deps.tableName,
				Key: key,
				UpdateExpression: "SET #status = :sent, messageId = :id, sentAt = :at REMOVE gsi2pk, gsi2sk",
				ConditionExpression: "#status = :sending",
				ExpressionAttributeNames: { "#status": "status" },
				ExpressionAttributeValues: { ":sent": "sent", ":id": messageId ?? "", ":at": at, ":sending": "sending" },
			},
		},
		...(await deliveryEvent(deps, key, "invoice.delivered", at)),
	];
}

/** Marks a claimed delivery sent, with its event: false when it was settled before (SES's send event marked it first). */
export async function markSent(
	deps: TableDeps,
	key: DeliveryKey,
	messageId: string | undefined,
	at = new Date().toISOString(),
): Promise<boolean> {
	const [mark, ...events] = await sentMark(deps, { key, messageId }, at);
	return writeOutcome(deps, mark as TransactItem, events);
}

/**
 * Deliveries marked sent, each with the message that carried it and its event, as `markSent`
 * leaves them: together in transactions of at most MAX_TRANSACTION_ITEMS items, a delivery's
 * mark and event in the same one. When one was settled before (SES's send event came first),
 * its transaction is cancelled and they are marked one at a time, the settled one left as it is.
 */
export async function markAllSent(deps: TableDeps, sent: readonly SentDelivery[]): Promise<void> {
	const at = new Date().toISOString();
	const [only] = sent;
	if (sent.length === 1 && only) {
		await markSent(deps, only.key, only.messageId, at);
		return;
	}
	const marks = await Promise.all(sent.map(async (s) => ({ s, items: await sentMark(deps, s, at) })));
	for (const transaction of transactionsOf(marks, (m) => m.items.length)) {
		try {
			await transactWrite(
				deps,
				transaction.flatMap((m) => m.items),
			);
		} catch (err) {
			if (!isCancelled(err)) throw err;
			for (const { s } of transaction) await markSent(deps, s.key, s.messageId, at);
		}
	}
}

/**
 * Records a delivery that cannot succeed (bad address, SES rejected it), with its event:
 * `isNew` when nothing was claimed first, else only while it is claimed. False when it was
 * settled before, and nothing is written. Earlier attempts stay.
 */
export async function markDeliveryFailed(deps: TableDeps, key: DeliveryKey, reason: string, isNew: boolean): Promise<boolean> {
	const at = new Date().toISOString();
	return writeOutcome(
		deps,
		{
			Update: {
				TableName: deps.tableName,
				Key: key,
				UpdateExpression: "SET channel = :email, #status = :failed, reason = :reason, #at = :at REMOVE gsi2pk, gsi2sk",
				ConditionExpression: isNew ? "attribute_not_exists(pk)" : "#status = :sending",
				ExpressionAttributeNames: { "#status": "status", "#at": "at" },
				ExpressionAttributeValues: {
					":email": "email",
					":failed": "failed",
					":reason": reason,
					":at": at,
					...(isNew ? {} : { ":sending": "sending" }),
				},
			},
		},
		await deliveryEvent(deps, key, "invoice.delivery_failed", at),
	);
}

/**
 * A person sends the document again: its delivery record (on the record as read, or none)
 * becomes a new "sending" attempt to `recipient`, the one before kept in `attempts`.
 */
export function deliveryResent(
	tableName: string,
	key: DeliveryKey,
	read: DeliveryRecord | undefined,
	recipient: string,
	at: string,
	period: string,
): TransactItem {
	const previous: DeliveryAttempt[] = read
		? [
				...(read.attempts ?? []),
				deliveryAttemptSchema.parse({
					status: read.status,
					recipient: read.recipient,
					messageId: read.messageId,
					reason: read.reason,
					at: read.at,
					sentAt: read.sentAt,
				}),
			]
		: [];
	return {
		Put: {
			TableName: tableName,
			Item: {
				...key,
				channel: "email",
				status: "sending",
				recipient,
				at,
				period,
				...keys.deliveryOutcomeUnknown(period, key),
				attempts: previous,
			},
			...(read
				? {
						ConditionExpression: "#status = :status AND #at = :at",
						ExpressionAttributeNames: { "#status": "status", "#at": "at" },
						ExpressionAttributeValues: { ":status": read.status, ":at": read.at },
					}
				: { ConditionExpression: "attribute_not_exists(pk)" }),
		},
	};
}

/**
 * A permanent bounce of the email that carried a delivery fails it, with its event: on the
 * record as read, and only when the bounced message is its attempt (sent with that message,
 * or still claimed: the send event may come after the bounce). A record settled otherwise, or
 * resent since, is left as it is (no items).
 */
export async function deliveryBounced(
	deps: TableDeps,
	key: DeliveryKey,
	read: DeliveryRecord | undefined,
	messageId: string,
	reason: string,
	at: string,
): Promise<TransactItem[]> {
	if (!read || (read.status !== "sent" && read.status !== "sending")) return [];
	if (read.messageId && read.messageId !== messageId) return [];
	return [
		{
			Update: {
				TableName: deps.tableName,
				Key: key,
				UpdateExpression: "SET #status = :failed, reason = :reason, #at = :at REMOVE gsi2pk, gsi2sk",
				ConditionExpression: "#status = :readStatus AND #at = :readAt",
				ExpressionAttributeNames: { "#status": "status", "#at": "at" },
				ExpressionAttributeValues: {
					":failed": "failed",
					":reason": `the email bounced: ${reason}`,
					":at": at,
					":readStatus": read.status,
					":readAt": read.at,
				},
			},
		},
		...(await deliveryEvent(deps, key, "invoice.delivery_failed", at)),
	];
}

/** The resend's audit entry on the invoice: who, why, to whom, and the attempt it follows. */
export function resendAudit(
	tableName: string,
	invoiceNumber: string,
	read: DeliveryRecord | undefined,
	recipient: string,
	audit: { readonly actor: string; readonly at: string; readonly reason: string },
): TransactItem {
	return auditPut(tableName, {
		subject: "invoice",
		subjectId: invoiceNumber,
		action: "resent",
		...audit,
		before: read ? { status: read.status, recipient: read.recipient ?? null } : null,
		after: { status: "sending", recipient },
	});
}

/** A delivery claimed and never marked sent or failed (DESIGN.md section 10): which document, on which channel, since when. */
export interface DeliveryOutcomeUnknown {
	readonly key: DeliveryKey;
	readonly channel: string;
	readonly claimedAt: string;
}

/** The period's deliveries whose outcome is unknown, oldest key first (the index lags a write by a moment). */
export async function listDeliveriesOutcomeUnknown(deps: TableDeps, period: string): Promise<DeliveryOutcomeUnknown[]> {
	const { gsi2pk, gsi2skPrefix } = keys.deliveriesOutcomeUnknownOf(period);
	const items = await queryAll(deps, {
		IndexName: GSI2,
		KeyConditionExpression: "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
		ExpressionAttributeValues: { ":pk": gsi2pk, ":prefix": gsi2skPrefix },
	});
	return items
		.filter((item) => item.status === "sending")
		.map((item) => ({ key: { pk: String(item.pk), sk: String(item.sk) }, channel: String(item.channel), claimedAt: String(item.at) }));
}

/** The period's postal deliveries queued for print (invoices and statements), by key (the index lags a write by a moment). */
export async function listQueuedForPrint(deps: TableDeps, period: string): Promise<DeliveryKey[]> {
	const items = await queryAll(deps, {
		IndexName: GSI2,
		KeyConditionExpression: "gsi2pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.queuedForPrint(period, { pk: "", sk: "" }).gsi2pk },
		ProjectionExpression: "pk, sk",
	});
	return items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
}

/** Nothing was sent: the claim is released so a retry can send it. */
/**
 * SES's send event says the message carrying this delivery went out: a claim still sending
 * (its sender crashed before it could mark it) is marked sent with that message. A delivery
 * marked already, or gone, is left as it is; SES publishes an event at least once.
 */
export async function deliverySentPerSes(
	deps: TableDeps,
	key: DeliveryKey,
	messageId: string,
	at: string,
): Promise<"marked_sent" | "settled_before"> {
	return (await markSent(deps, key, messageId, at)) ? "marked_sent" : "settled_before";
}

/**
 * A claim that no send event settled within the events' wait never reached SES (a crash
 * between the claim and the send): released, so the next round sends the document. Only the
 * claim as read goes: one marked sent or claimed again meanwhile stays.
 */
export async function releaseUnsentClaim(deps: TableDeps, key: DeliveryKey, claimedAt: string): Promise<boolean> {
	try {
		await deps.ddb.send(
			new DeleteCommand({
				TableName: deps.tableName,
				Key: key,
				ConditionExpression: "#status = :sending AND #at = :claimedAt",
				ExpressionAttributeNames: { "#status": "status", "#at": "at" },
				ExpressionAttributeValues: { ":sending": "sending", ":claimedAt": claimedAt },
			}),
		);
		return true;
	} catch (err) {
		if (isConditionFailure(err)) return false;
		throw err;
	}
}

export async function releaseClaim(deps: TableDeps, key: DeliveryKey): Promise<void> {
	await deps.ddb.send(new DeleteCommand({ TableName: deps.tableName, Key: key }));
}
