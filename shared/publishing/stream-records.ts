import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import * as z from "zod";
import type { BillingEvent } from "../events/catalog.js";
import { eventKey } from "../store/events.js";
import { keys, withoutKeys } from "../store/keys.js";

/**
 * The billing events among a table stream's records: new items in an object's partition
 * under `EVENT#` that carry an `objectType` (the payment providers' parked events share the
 * prefix and have none). Deployed, the event source mapping's filter (`EVENT_RECORD_FILTER`)
 * passes only these; the same test runs here, so the embedded stream reader and a filter
 * changed by hand agree.
 */

/** The event source mapping's filter pattern, in Lambda's filter syntax. */
export const EVENT_RECORD_FILTER = {
	eventName: ["INSERT"],
	dynamodb: { NewImage: { sk: { S: [{ prefix: keys.eventPrefix }] }, objectType: { S: [{ exists: true }] } } },
} as const;

export const streamRecordSchema = z.looseObject({
	eventName: z.string().optional(),
	dynamodb: z
		.looseObject({
			NewImage: z.record(z.string(), z.unknown()).optional(),
			SequenceNumber: z.string().optional(),
		})
		.optional(),
});
export type StreamRecord = z.infer<typeof streamRecordSchema>;

export const streamEventSchema = z.object({ Records: z.array(streamRecordSchema) });

/** Whether a stream record is a billing event's, as `EVENT_RECORD_FILTER` decides. */
export function isBillingEventRecord(record: { readonly eventName?: string; readonly dynamodb?: { readonly NewImage?: object } }): boolean {
	const image = record.dynamodb?.NewImage as Record<string, { S?: string }> | undefined;
	return record.eventName === "INSERT" && Boolean(image?.sk?.S?.startsWith(keys.eventPrefix)) && typeof image?.objectType?.S === "string";
}

/**
 * The billing events of the records, in their order: those the outbox wrote, each where its
 * object's events go. An item elsewhere that only looks like one is not published.
 */
export function billingEventsOf(records: readonly StreamRecord[]): BillingEvent[] {
	return records.filter(isBillingEventRecord).flatMap((record) => {
		const item = unmarshall(record.dynamodb?.NewImage as Record<string, AttributeValue>);
		const event = withoutKeys(item) as unknown as BillingEvent;
		const key = eventKey(event);
		return key.pk === item.pk && key.sk === item.sk ? [event] : [];
	});
}
