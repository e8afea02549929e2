import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { auditPut } from "./audit.js";
import { GSI2, keys } from "./keys.js";
import { queryAll, type TableDeps } from "./records.js";
import { conditionFailedAt, isConditionFailure, type TransactItem, transactWrite } from "./transact.js";

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

/** A postal document goes into the period's print batch, once. */
export async function queueForPrint(deps: TableDeps, key: DeliveryKey, period: string): Promise<void> {
	await deps.ddb.send(
		new PutCommand({
			TableName: deps.tableName,
			Item: {
				...key,
				...keys.queuedForPrint(period, key),
				channel: "postal",
				status: "queued_for_print",
				period,
				at: new Date().toISOString(),
			},
			ConditionExpression: "attribute_not_exists(pk)",
		}),
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
 * Several documents' claims in one transaction (at most 100 keys with `sent`), all or none,
 * with deliveries sent before marked sent (as `markSent` does) in the same write: a
 * transaction cancelled because one was claimed before throws, and the caller marks and
 * claims them one at a time (`markAllSent`, `claimDeliveries`) to learn which.
 */
export async function claimDeliveriesTogether(
	deps: TableDeps,
	claims: readonly DeliveryClaims[],
	sent: readonly SentDelivery[] = [],
): Promise<void> {
	const at = new Date().toISOString();
	await transactWrite(deps, [
		...sent.map(({ key, messageId }) => ({ Update: sentUpdate(deps.tableName, key, messageId, at) })),
		...claims.flatMap((c) => c.keys.map((key) => deliveryClaim(deps.tableName, key, c.recipient, c.period, at))),
	]);
}

function sentUpdate(tableName: string, key: DeliveryKey, messageId: string | undefined, at: string) {
	return {
		TableName: tableName,
		Key: key,
		UpdateExpression: "SET #status = :sent, messageId = :id, sentAt = :at REMOVE gsi2pk, gsi2sk",
		ExpressionAttributeNames: { "#status": "status" },
		ExpressionAttributeValues: { ":sent": "sent", ":id": messageId ?? "", ":at": at },
	};
}

export async function markSent(deps: TableDeps, key: DeliveryKey, messageId: string | undefined): Promise<void> {
	await deps.ddb.send(new UpdateCommand(sentUpdate(deps.tableName, key, messageId, new Date().toISOString())));
}

/** Deliveries marked sent, each with the message that carried it, as `markSent` leaves them: one transaction per 100, one update for one. */
export async function markAllSent(
	deps: TableDeps,
	sent: readonly { readonly key: DeliveryKey; readonly messageId: string | undefined }[],
): Promise<void> {
	const [only] = sent;
	if (sent.length === 1 && only) return markSent(deps, only.key, only.messageId);
	const at = new Date().toISOString();
	for (let start = 0; start < sent.length; start += 100) {
		await transactWrite(
			deps,
			sent.slice(start, start + 100).map(({ key, messageId }) => ({ Update: sentUpdate(deps.tableName, key, messageId, at) })),
		);
	}
}

/** Records a delivery that cannot succeed (bad address, SES rejected it); `isNew` when nothing was claimed first. Earlier attempts stay. */
export async function markDeliveryFailed(deps: TableDeps, key: DeliveryKey, reason: string, isNew: boolean): Promise<void> {
	await deps.ddb.send(
		new UpdateCommand({
			TableName: deps.tableName,
			Key: key,
			UpdateExpression: "SET channel = :email, #status = :failed, reason = :reason, #at = :at REMOVE gsi2pk, gsi2sk",
			ExpressionAttributeNames: { "#status": "status", "#at": "at" },
			ExpressionAttributeValues: { ":email": "email", ":failed": "failed", ":reason": reason, ":at": new Date().toISOString() },
			...(isNew ? { ConditionExpression: "attribute_not_exists(pk)" } : {}),
		}),
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
	const update = sentUpdate(deps.tableName, key, messageId, at);
	try {
		await deps.ddb.send(
			new UpdateCommand({
				...update,
				ConditionExpression: "#status = :sending",
				ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ":sending": "sending" },
			}),
		);
		return "marked_sent";
	} catch (err) {
		if (isConditionFailure(err)) return "settled_before";
		throw err;
	}
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
