import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { z } from "zod";
import type { TableDeps } from "./records.js";
import { conditionFailedAt, transactWrite } from "./transact.js";

/**
 * Delivery records, one per document and channel (keys.delivery for an invoice,
 * keys.statementDelivery for a statement): claimed before a send, so nothing goes out twice.
 */
export type DeliveryKey = { readonly pk: string; readonly sk: string };

export const deliveryRecordSchema = z.object({
	channel: z.string(),
	status: z.enum(["sending", "sent", "failed", "queued_for_print"]),
	recipient: z.string().optional(),
	period: z.string().optional(),
	messageId: z.string().optional(),
	reason: z.string().optional(),
	at: z.string(),
	sentAt: z.string().optional(),
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
): Promise<"claimed" | "already_claimed"> {
	const claim = { channel: "email", status: "sending", recipient, at: new Date().toISOString() };
	try {
		await transactWrite(
			deps,
			deliveryKeys.map((key) => ({
				Put: { TableName: deps.tableName, Item: { ...key, ...claim }, ConditionExpression: "attribute_not_exists(pk)" },
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
			UpdateExpression: "SET #status = :sent, messageId = :id, sentAt = :at",
			ExpressionAttributeNames: { "#status": "status" },
			ExpressionAttributeValues: { ":sent": "sent", ":id": messageId ?? "", ":at": new Date().toISOString() },
		}),
	);
}

/** Records a delivery that cannot succeed (bad address, SES rejected it); `isNew` when nothing was claimed first. */
export async function markDeliveryFailed(deps: TableDeps, key: DeliveryKey, reason: string, isNew: boolean): Promise<void> {
	await deps.ddb.send(
		new PutCommand({
			TableName: deps.tableName,
			Item: { ...key, channel: "email", status: "failed", reason, at: new Date().toISOString() },
			...(isNew ? { ConditionExpression: "attribute_not_exists(pk)" } : {}),
		}),
	);
}

/** Nothing was sent: the claim is released so a retry can send it. */
export async function releaseClaim(deps: TableDeps, key: DeliveryKey): Promise<void> {
	await deps.ddb.send(new DeleteCommand({ TableName: deps.tableName, Key: key }));
}
