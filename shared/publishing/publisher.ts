import pMap from "p-map";
import type { BillingEvent } from "../events/catalog.js";
import { assignSequences, eventKey } from "../store/events.js";
import type { TableDeps } from "../store/records.js";
import { createDelivery, listWebhookEndpoints } from "../store/webhooks.js";
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

export async function publishEvents(deps: PublishDeps, events: readonly BillingEvent[]): Promise<Published> {
	const byObject = new Map<string, BillingEvent[]>();
	for (const event of events) {
		const pk = eventKey(event).pk;
		byObject.set(pk, [...(byObject.get(pk) ?? []), event]);
	}
	const sequences = new Map<string, number>();
	await pMap(
		byObject.values(),
		async (ofObject) => {
			for (const [id, sequence] of await assignSequences(deps, ofObject)) sequences.set(id, sequence);
		},
		{ concurrency: OBJECTS_AT_ONCE },
	);
	const numbered = events.map((e) => ({ ...e, sequence: sequences.get(e.id) }));
	await deps.putOnBus?.(numbered);

	const endpoints = (await listWebhookEndpoints(deps)).filter((e) => e.status === "enabled");
	const wanted = numbered.flatMap((event) =>
		endpoints.filter((endpoint) => takesEvent(endpoint.events, event.type)).map((endpoint) => ({ endpoint, event })),
	);
	const created = await pMap(
		wanted,
		async ({ endpoint, event }) => {
			const delivery = {
				endpointId: endpoint.endpointId,
				eventId: event.id,
				eventType: event.type,
				objectId: event.objectId,
				eventKey: eventKey(event),
			};
			return (await createDelivery(deps, delivery, deps.now())) ? [{ endpointId: endpoint.endpointId, eventId: event.id }] : [];
		},
		{ concurrency: OBJECTS_AT_ONCE },
	);
	const fresh = created.flat();
	if (fresh.length > 0) await deps.enqueue?.(fresh);
	return { events: events.length, deliveries: fresh.length };
}
