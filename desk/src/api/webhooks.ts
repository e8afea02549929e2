import { queryOptions } from "@tanstack/react-query";
import { apiGet, apiPath, apiSend } from "./client.js";

/** A webhook endpoint as the API lists it (shared/publishing/endpoints.ts): never its secrets, only how many sign. */
export interface WebhookEndpoint {
	readonly endpointId: string;
	readonly url: string;
	/** Event types or patterns it takes: `*`, `invoice.*`, `payment.received`. */
	readonly events: readonly string[];
	readonly status: "enabled" | "disabled";
	readonly disabledReason?: string;
	readonly createdAt: string;
	readonly createdBy: string;
	/** The first failed attempt since its last success. */
	readonly failingSince?: string;
	/** Events given up on since its last success, and since when. */
	readonly deadLettered?: number;
	readonly deadLetteredSince?: string;
	readonly secretsSigning: number;
}

export interface DeliveryAttempt {
	readonly at: string;
	readonly durationMs: number;
	/** The receiver's HTTP status, when it answered. */
	readonly status?: number;
	readonly error?: string;
}

export interface WebhookDelivery {
	readonly eventId: string;
	readonly eventType: string;
	readonly objectId: string;
	readonly status: "pending" | "delivered" | "dead_lettered" | "cancelled";
	readonly attemptCount: number;
	/** The latest attempts, oldest first. */
	readonly attempts: readonly DeliveryAttempt[];
	readonly nextAttemptAt?: string;
	readonly deliveredAt?: string;
	readonly deadLetteredAt?: string;
}

/**
 * The patterns an endpoint can take, as the Add endpoint dialog offers them (the objects of
 * shared/events/catalog.ts). A single event type is added with `billing webhooks add --events`.
 */
export const EVENT_PATTERN_OPTIONS = [
	{ value: "*", label: "Every event", description: "*" },
	...["invoice", "credit_memo", "payment", "dispute", "account", "billing_run", "books"].map((object) => ({
		value: `${object}.*`,
		label: `${object[0]?.toUpperCase()}${object.slice(1).replaceAll("_", " ")} events`,
		description: `${object}.*`,
	})),
] as const;

export const webhooksQuery = queryOptions({
	queryKey: ["webhooks"],
	queryFn: ({ signal }) => apiGet<{ items: WebhookEndpoint[] }>("webhooks", { signal }),
});

/** Its latest deliveries, newest first. */
export const deliveriesQuery = (endpointId: string) =>
	queryOptions({
		queryKey: ["webhooks", endpointId, "deliveries"],
		queryFn: ({ signal }) =>
			apiGet<{ items: WebhookDelivery[] }>(apiPath`webhooks/${endpointId}/deliveries`, { query: { limit: "50" }, signal }),
	});

/** The answer carries the endpoint's signing secret: shown once, the API never shows it again. */
export const addEndpoint = (input: { url: string; events: readonly string[] }) =>
	apiSend<{ endpoint: WebhookEndpoint; secret: string }>("POST", "webhooks", input);

export const rotateSecret = (endpointId: string) =>
	apiSend<{ secret: string; oldSecretExpiresAt: string }>("POST", apiPath`webhooks/${endpointId}/rotate-secret`, {});

/** `since`: a date (`2026-11-01`) or an instant (`2026-11-01T09:30:00Z`). */
export const replayEvents = (input: { endpointId: string; since: string }) =>
	apiSend<{ replayed: number }>("POST", apiPath`webhooks/${input.endpointId}/replay`, { since: input.since });
