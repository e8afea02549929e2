import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { BillingError } from "../core/errors.js";
import type { BillingEvent } from "../events/catalog.js";
import { GSI1, GSI2, keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";
import { isConditionFailure, type TransactItem } from "./transact.js";

/**
 * Webhook endpoints and their deliveries (DESIGN.md section 14). A delivery is one event to
 * one endpoint: pending while it waits for an attempt (in the due queue, gsi2, by when),
 * then delivered, dead-lettered after the retry window, or cancelled with its endpoint.
 * Every attempt is claimed before it is made, so two copies of one message never post twice
 * at once, and a claim a crash left behind falls due again when it lapses.
 */

export const webhookSecretSchema = z.object({
	/** `whsec_` and base64, as the Standard Webhooks spec writes it. */
	secret: z.string().startsWith("whsec_"),
	createdAt: z.string(),
	/** A rotated-out secret still signs until then, so a receiver can switch over. */
	expiresAt: z.string().optional(),
});

export const webhookEndpointSchema = z.object({
	endpointId: z.string(),
	url: z.string(),
	/** Event types or patterns (`invoice.*`, `*`) it takes. */
	events: z.array(z.string()).min(1),
	status: z.enum(["enabled", "disabled"]),
	disabledReason: z.string().optional(),
	secrets: z.array(webhookSecretSchema).min(1),
	createdAt: z.string(),
	createdBy: z.string(),
	/** The first failed attempt since its last success. */
	failingSince: z.string().optional(),
	/** Events given up on since its last success, and since when: the worklist's item. */
	deadLettered: z.number().int().nonnegative().optional(),
	deadLetteredSince: z.string().optional(),
	/** Counts its changes: a change is written only over the record it was made from. */
	revision: z.number().int().nonnegative(),
});
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

export const deliveryAttemptSchema = z.object({
	at: z.string(),
	durationMs: z.number().int().nonnegative(),
	/** The receiver's HTTP status, when it answered. */
	status: z.number().int().optional(),
	/** Why it failed, when it did: a status outside 2xx, a timeout, a refused connection. */
	error: z.string().optional(),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

export const webhookDeliverySchema = z.object({
	endpointId: z.string(),
	eventId: z.string(),
	eventType: z.string(),
	objectId: z.string(),
	/** Where the event is, in its object's partition. */
	eventKey: z.object({ pk: z.string(), sk: z.string() }),
	/** The event as it is sent, numbered; a replay made before the publisher numbered it has none and reads it then. */
	event: z.record(z.string(), z.unknown()).optional(),
	status: z.enum(["pending", "delivered", "dead_lettered", "cancelled"]),
	createdAt: z.string(),
	/** When the retry window started: the first attempt, or the last replay. */
	windowStart: z.string(),
	/** When it is next due (pending), or when a claimed attempt lapses. */
	nextAttemptAt: z.string().optional(),
	attemptCount: z.number().int().nonnegative(),
	/** The latest attempts, oldest first (at most MAX_ATTEMPTS_KEPT). */
	attempts: z.array(deliveryAttemptSchema),
	deliveredAt: z.string().optional(),
	deadLetteredAt: z.string().optional(),
	replays: z.number().int().nonnegative().optional(),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

/** Enough attempts to read what went wrong; 3 days of backoff make about 20. */
const MAX_ATTEMPTS_KEPT = 30;

export class WebhookEndpointNotFoundError extends BillingError {
	constructor(endpointId: string) {
		super(`no webhook endpoint ${endpointId}: billing webhooks list shows them`, 404);
		this.name = "WebhookEndpointNotFoundError";
	}
}

export async function putWebhookEndpoint(deps: TableDeps, endpoint: WebhookEndpoint): Promise<void> {
	const parsed = webhookEndpointSchema.parse(endpoint);
	await deps.ddb.send(
		new PutCommand({
			TableName: deps.tableName,
			Item: { ...keys.webhookEndpoint(parsed.endpointId), ...keys.webhookEndpointListing(parsed.createdAt, parsed.endpointId), ...parsed },
			ConditionExpression: "attribute_not_exists(pk)",
		}),
	);
}

export async function getWebhookEndpoint(deps: TableDeps, endpointId: string): Promise<WebhookEndpoint | undefined> {
	const out = await deps.ddb.send(
		new GetCommand({ TableName: deps.tableName, Key: keys.webhookEndpoint(endpointId), ConsistentRead: true }),
	);
	return out.Item ? parseRecord(webhookEndpointSchema, out.Item) : undefined;
}

export async function requireWebhookEndpoint(deps: TableDeps, endpointId: string): Promise<WebhookEndpoint> {
	const endpoint = await getWebhookEndpoint(deps, endpointId);
	if (!endpoint) throw new WebhookEndpointNotFoundError(endpointId);
	return endpoint;
}

/** Every endpoint, oldest first. */
export async function listWebhookEndpoints(deps: TableDeps): Promise<WebhookEndpoint[]> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		KeyConditionExpression: "gsi1pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.webhookEndpointListing("", "").gsi1pk },
	});
	return items.map((item) => parseRecord(webhookEndpointSchema, item));
}

/** Endpoints with events dead-lettered since their last success, oldest first: the worklist's items. */
export async function listDeadLetteringEndpoints(deps: TableDeps): Promise<WebhookEndpoint[]> {
	const items = await queryAll(deps, {
		IndexName: GSI2,
		KeyConditionExpression: "gsi2pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.webhookEndpointFailing("", "").gsi2pk },
	});
	return items.map((item) => parseRecord(webhookEndpointSchema, item));
}

/**
 * Changes an endpoint as `change` says, when it was as read: a change made meanwhile is
 * read again and `change` decides once more, so no concurrent change is lost.
 */
export async function changeWebhookEndpoint(
	deps: TableDeps,
	endpointId: string,
	change: (endpoint: WebhookEndpoint) => WebhookEndpoint,
): Promise<{ before: WebhookEndpoint; after: WebhookEndpoint }> {
	for (;;) {
		const before = await requireWebhookEndpoint(deps, endpointId);
		const after = webhookEndpointSchema.parse({ ...change(before), revision: before.revision + 1 });
		try {
			await deps.ddb.send(
				new PutCommand({
					TableName: deps.tableName,
					Item: {
						...keys.webhookEndpoint(endpointId),
						...keys.webhookEndpointListing(after.createdAt, endpointId),
						...(after.deadLetteredSince ? keys.webhookEndpointFailing(after.deadLetteredSince, endpointId) : {}),
						...after,
					},
					ConditionExpression: "revision = :revision",
					ExpressionAttributeValues: { ":revision": before.revision },
				}),
			);
			return { before, after };
		} catch (err) {
			if (!isConditionFailure(err)) throw err;
		}
	}
}

/**
 * The delivery of a numbered event to an endpoint, due now, as an item of the transaction
 * that numbers the event (shared/store/events.ts): it carries the event as sent, so an
 * attempt reads nothing else.
 */
export function deliveryPut(
	tableName: string,
	delivery: Pick<WebhookDelivery, "endpointId" | "eventId" | "eventType" | "objectId" | "eventKey"> & { readonly event: BillingEvent },
	now: Date,
): TransactItem {
	const at = now.toISOString();
	const record: WebhookDelivery = {
		...delivery,
		status: "pending",
		createdAt: at,
		windowStart: at,
		nextAttemptAt: at,
		attemptCount: 0,
		attempts: [],
	};
	return {
		Put: {
			TableName: tableName,
			Item: {
				...keys.webhookDelivery(delivery.endpointId, delivery.eventId),
				...keys.webhookDeliveryDue(at, delivery.endpointId, delivery.eventId),
				...webhookDeliverySchema.parse(record),
			},
			ConditionExpression: "attribute_not_exists(pk)",
		},
	};
}

/**
 * Sends an event to an endpoint again (a replay): the same event id, a new retry window,
 * due now; the attempts before stay listed. Makes the delivery if the endpoint never had one.
 */
export async function redeliver(
	deps: TableDeps,
	delivery: Pick<WebhookDelivery, "endpointId" | "eventId" | "eventType" | "objectId" | "eventKey"> & { readonly event: BillingEvent },
	now: Date,
): Promise<void> {
	// An event the publisher has not numbered yet is read at the attempt, once it has its number.
	const numbered = delivery.event.sequence !== undefined;
	const at = now.toISOString();
	const due = keys.webhookDeliveryDue(at, delivery.endpointId, delivery.eventId);
	await deps.ddb.send(
		new UpdateCommand({
			TableName: deps.tableName,
			Key: keys.webhookDelivery(delivery.endpointId, delivery.eventId),
			UpdateExpression: `SET endpointId = :endpoint, eventId = :eventId, eventType = :type, objectId = :object, eventKey = :eventKey, #status = :pending, createdAt = if_not_exists(createdAt, :at), windowStart = :at, nextAttemptAt = :at, attemptCount = if_not_exists(attemptCount, :zero), attempts = if_not_exists(attempts, :none), replays = if_not_exists(replays, :zero) + :one, gsi2pk = :duePk, gsi2sk = :dueSk${numbered ? ", #event = :event" : ""} REMOVE deliveredAt, deadLetteredAt${numbered ? "" : ", #event"}`,
			ExpressionAttributeNames: { "#status": "status", "#event": "event" },
			ExpressionAttributeValues: {
				":endpoint": delivery.endpointId,
				":eventId": delivery.eventId,
				...(numbered ? { ":event": delivery.event } : {}),
				":type": delivery.eventType,
				":object": delivery.objectId,
				":eventKey": delivery.eventKey,
				":pending": "pending",
				":at": at,
				":zero": 0,
				":one": 1,
				":none": [],
				":duePk": due.gsi2pk,
				":dueSk": due.gsi2sk,
			},
		}),
	);
}

export async function getDelivery(deps: TableDeps, endpointId: string, eventId: string): Promise<WebhookDelivery | undefined> {
	const out = await deps.ddb.send(
		new GetCommand({ TableName: deps.tableName, Key: keys.webhookDelivery(endpointId, eventId), ConsistentRead: true }),
	);
	return out.Item ? parseRecord(webhookDeliverySchema, out.Item) : undefined;
}

/** An endpoint's deliveries, newest event first, a page at a time. */
export async function listDeliveries(deps: TableDeps, endpointId: string, limit: number): Promise<WebhookDelivery[]> {
	const out = await deps.ddb.send(
		new QueryCommand({
			TableName: deps.tableName,
			KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
			ExpressionAttributeValues: { ":pk": keys.webhookEndpoint(endpointId).pk, ":prefix": keys.webhookDeliveryPrefix },
			ScanIndexForward: false,
			Limit: limit,
		}),
	);
	return ((out.Items ?? []) as Record<string, unknown>[]).map((item) => parseRecord(webhookDeliverySchema, item));
}

/** Deliveries due by `now`, soonest first, at most `limit`. */
export async function listDueDeliveries(
	deps: TableDeps,
	now: Date,
	limit: number,
): Promise<Pick<WebhookDelivery, "endpointId" | "eventId">[]> {
	const out = await deps.ddb.send(
		new QueryCommand({
			TableName: deps.tableName,
			IndexName: GSI2,
			KeyConditionExpression: "gsi2pk = :pk AND gsi2sk <= :now",
			ExpressionAttributeValues: { ":pk": keys.webhookDeliveryDue("", "", "").gsi2pk, ":now": `${now.toISOString()}#~` },
			Limit: limit,
		}),
	);
	return ((out.Items ?? []) as Record<string, unknown>[]).map((item) => ({
		endpointId: String(item.endpointId),
		eventId: String(item.eventId),
	}));
}

/**
 * Claims the next attempt of a pending delivery that is due: its count goes up and it is
 * due again when the claim lapses (`leaseUntil`), which a crash mid-attempt relies on.
 * Undefined when it is not pending or not due (another copy of the message has it).
 */
export async function claimAttempt(
	deps: TableDeps,
	endpointId: string,
	eventId: string,
	now: Date,
	leaseUntil: Date,
): Promise<WebhookDelivery | undefined> {
	const due = keys.webhookDeliveryDue(leaseUntil.toISOString(), endpointId, eventId);
	try {
		const out = await deps.ddb.send(
			new UpdateCommand({
				TableName: deps.tableName,
				Key: keys.webhookDelivery(endpointId, eventId),
				UpdateExpression: "SET attemptCount = attemptCount + :one, nextAttemptAt = :lease, gsi2pk = :duePk, gsi2sk = :dueSk",
				ConditionExpression: "#status = :pending AND nextAttemptAt <= :now",
				ExpressionAttributeNames: { "#status": "status" },
				ExpressionAttributeValues: {
					":one": 1,
					":lease": leaseUntil.toISOString(),
					":duePk": due.gsi2pk,
					":dueSk": due.gsi2sk,
					":pending": "pending",
					":now": now.toISOString(),
				},
				ReturnValues: "ALL_NEW",
			}),
		);
		return parseRecord(webhookDeliverySchema, out.Attributes as Record<string, unknown>);
	} catch (err) {
		if (isConditionFailure(err)) return undefined;
		throw err;
	}
}

/** How a claimed attempt ended, and what becomes of the delivery. */
export type AttemptOutcome =
	| { readonly outcome: "delivered" }
	| { readonly outcome: "retry"; readonly nextAttemptAt: Date }
	| { readonly outcome: "dead_lettered" }
	| { readonly outcome: "cancelled"; readonly reason: string };

/**
 * Records a claimed attempt and its outcome, if the claim is still the delivery's latest:
 * false when a later claim (after this one lapsed) has taken it over.
 */
export async function recordAttempt(
	deps: TableDeps,
	claimed: WebhookDelivery,
	attempt: DeliveryAttempt,
	outcome: AttemptOutcome,
): Promise<boolean> {
	const attempts = [...claimed.attempts, deliveryAttemptSchema.parse(attempt)].slice(-MAX_ATTEMPTS_KEPT);
	const values: Record<string, unknown> = { ":attempts": attempts, ":count": claimed.attemptCount, ":pending": "pending" };
	let set = "attempts = :attempts";
	let remove = "";
	if (outcome.outcome === "retry") {
		const due = keys.webhookDeliveryDue(outcome.nextAttemptAt.toISOString(), claimed.endpointId, claimed.eventId);
		set += ", nextAttemptAt = :next, gsi2pk = :duePk, gsi2sk = :dueSk";
		Object.assign(values, { ":next": outcome.nextAttemptAt.toISOString(), ":duePk": due.gsi2pk, ":dueSk": due.gsi2sk });
	} else {
		const stamp = outcome.outcome === "delivered" ? "deliveredAt" : outcome.outcome === "dead_lettered" ? "deadLetteredAt" : undefined;
		set += `, #status = :status${stamp ? `, ${stamp} = :at` : ""}`;
		Object.assign(values, { ":status": outcome.outcome, ...(stamp ? { ":at": attempt.at } : {}) });
		remove = " REMOVE nextAttemptAt, gsi2pk, gsi2sk";
	}
	try {
		await deps.ddb.send(
			new UpdateCommand({
				TableName: deps.tableName,
				Key: keys.webhookDelivery(claimed.endpointId, claimed.eventId),
				UpdateExpression: `SET ${set}${remove}`,
				ConditionExpression: "#status = :pending AND attemptCount = :count",
				ExpressionAttributeNames: { "#status": "status" },
				ExpressionAttributeValues: values,
			}),
		);
		return true;
	} catch (err) {
		if (isConditionFailure(err)) return false;
		throw err;
	}
}
