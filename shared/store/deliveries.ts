import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import { auditPut } from "./audit.js";
import { GSI2, keys } from "./keys.js";
import { queryAll, type TableDeps } from "./records.js";
import { conditionFailedAt, type TransactItem, transactWrite } from "./transact.js";

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
			Item: { ...key, channel: "postal", status: "queued_for_print", period, at: new Date().toISOString() },
			ConditionExpression: "attribute_not_exists(pk)",
		}),
	);
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
	const claim = { channel: "email", status: "sending", recipient, period, at: new Date().toISOString() };
	try {
		await transactWrite(
			deps,
			deliveryKeys.map((key) => ({
				Put: {
					TableName: deps.tableName,
					// Listed as a delivery whose outcome is unknown until it is marked sent or failed.
					Item: { ...key, ...claim, ...keys.deliveryOutcomeUnknown(period, key) },
					ConditionExpression: "attribute_not_exists(pk)",
				},
			})),
		);
		return "claimed";
	} catch (err) {
		if (conditionFailedAt(err, 0)) return "already_claimed";
		throw err;
	}
}

export async function markSent(deps: TableDeps, key: DeliveryKey, messageId: string | undefined): Promise<void> {
	await deps.ddb.send(
		new UpdateCommand({
			TableName: deps.tableName,
			Key: key,
			UpdateExpression: "SET #status = :sent, messageId = :id, sentAt = :at REMOVE gsi2pk, gsi2sk",
			ExpressionAttributeNames: { "#status": "status" },
			ExpressionAttributeValues: { ":sent": "sent", ":id": messageId ?? "", ":at": new Date().toISOString() },
		}),
	);
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

/** Nothing was sent: the claim is released so a retry can send it. */
export async function releaseClaim(deps: TableDeps, key: DeliveryKey): Promise<void> {
	await deps.ddb.send(new DeleteCommand({ TableName: deps.tableName, Key: key }));
}
