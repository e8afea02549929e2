import pMap from "p-map";
import type { BillingEvent } from "../events/catalog.js";
import { eventKey, type NumberedEvent, numberEvents } from "../store/events.js";
import type { TableDeps } from "../store/records.js";
import type { TransactItem } from "../store/transact.js";
import { deliveryPut, listWebhookEndpoints } from "../store/webhooks.js";
import { takesEvent } from "./endpoints.js";

/**
 * The publisher (DESIGN.md section 14): what the table's stream brings it, the events the
 * outbox committed, it numbers per object, puts on the event bus (deployed) and hands to
 * every webhook endpoint that takes them, as a delivery due now. Every step can run again
 * on the same events (the stream's batch is retried until it is acknowledged): the numbers
 * stay, a delivery is made once, and the bus's consumers dedupe on the event's id.
 */

/** The source every billing event carries on the event bus, for consumers' rules and the bus's archive. */
export const EVENT_SOURCE = "billing";

/** One event to one endpoint, as the delivery queue carries it. */
export interface DeliveryRef {
	readonly endpointId: string;
	readonly eventId: string;
}

export interface PublishDeps extends TableDeps {
	readonly now: () => Date;
	/** Puts the numbered events on the event bus; absent where there is none (embedded). */
	readonly putOnBus?: (events: readonly BillingEvent[]) => Promise<void>;
	/** Hands new deliveries to the delivery function (deployed: its queue); embedded, the due queue's poller finds them. */
	readonly enqueue?: (deliveries: readonly DeliveryRef[]) => Promise<void>;
}

export interface Published {
	readonly events: number;
	readonly deliveries: number;
}

/** Objects numbered at once: each object's events are numbered in order, objects side by side. */
const OBJECTS_AT_ONCE = 8;

/** Each object's last number, per process: the common case (a new object, or one this publisher numbered) reads nothing. */
const counters = new Map<string, number>();

export async function publishEvents(deps: PublishDeps, events: readonly BillingEvent[]): Promise<Published> {
	const endpoints = (await listWebhookEndpoints(deps)).filter((e) => e.status === "enabled");
	const now = deps.now();
	const deliveriesOf = (event: BillingEvent & { readonly sequence: number }): TransactItem[] =>
		endpoints
			.filter((endpoint) => takesEvent(endpoint.events, event.type))
			.map((endpoint) =>
				deliveryPut(
					deps.tableName,
					{
						endpointId: endpoint.endpointId,
						eventId: event.id,
						eventType: event.type,
						objectId: event.objectId,
						eventKey: eventKey(event),
						event,
					},
					now,
				),
			);
	const byObject = new Map<string, BillingEvent[]>();
	for (const event of events) {
		const pk = eventKey(event).pk;
		byObject.set(pk, [...(byObject.get(pk) ?? []), event]);
	}
	const numbered = new Map<string, NumberedEvent>();
	await pMap(
		byObject.values(),
		async (ofObject) => {
			for (const [id, n] of await numberEvents(deps, ofObject, deliveriesOf, counters)) numbered.set(id, n);
		},
		{ concurrency: OBJECTS_AT_ONCE },
	);
	const published = events.map((e) => ({ ...e, sequence: numbered.get(e.id)?.sequence }));
	await deps.putOnBus?.(published);
	// Deliveries of events numbered before (a batch read again) were made with them; the sweep queues them when due.
	const fresh = published
		.filter((e) => numbered.get(e.id)?.numberedNow)
		.flatMap((event) =>
			endpoints
				.filter((endpoint) => takesEvent(endpoint.events, event.type))
				.map((endpoint) => ({ endpointId: endpoint.endpointId, eventId: event.id })),
		);
	if (fresh.length > 0) await deps.enqueue?.(fresh);
	return { events: events.length, deliveries: fresh.length };
}
