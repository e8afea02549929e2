import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { TransientError } from "../../shared/core/errors.js";
import { chunks } from "../../shared/platform/chunks.js";
import { createDocumentClient } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";
import { EVENT_SOURCE, publishEvents } from "../../shared/publishing/publisher.js";
import { billingEventsOf, streamEventSchema } from "../../shared/publishing/stream-records.js";

const ddb = createDocumentClient();
const config = perStack(() => ({
	tableName: getRequiredEnv("TABLE_NAME"),
	eventBusName: process.env.EVENT_BUS_NAME,
	queueUrl: process.env.WEBHOOK_DELIVERY_QUEUE_URL,
}));
const eventBridge = new EventBridgeClient({});
const sqs = new SQSClient({});

/**
 * The table stream's new billing events (DESIGN.md section 14): numbered per object, put on
 * the event bus and handed to the webhook endpoints that take them. A failure fails the
 * batch, which the stream gives again in order; every step is safe to repeat.
 */
export const handler = stepHandler("Publish Billing Events", streamEventSchema, async (event) => {
	const { tableName, eventBusName, queueUrl } = config();
	const published = await publishEvents(
		{
			ddb,
			tableName,
			now: () => new Date(),
			...(eventBusName
				? {
						putOnBus: async (events) => {
							for (const batch of chunks(events, 10)) {
								const out = await eventBridge.send(
									new PutEventsCommand({
										Entries: batch.map((e) => ({
											EventBusName: eventBusName,
											Source: EVENT_SOURCE,
											DetailType: e.type,
											Detail: JSON.stringify(e),
										})),
									}),
								);
								if (out.FailedEntryCount)
									throw new TransientError(`the event bus refused ${out.FailedEntryCount} of ${batch.length} events`);
							}
						},
					}
				: {}),
			...(queueUrl
				? {
						enqueue: async (deliveries) => {
							for (const batch of chunks(deliveries, 10)) {
								const out = await sqs.send(
									new SendMessageBatchCommand({
										QueueUrl: queueUrl,
										Entries: batch.map((d, i) => ({ Id: String(i), MessageBody: JSON.stringify(d) })),
									}),
								);
								// The due queue's sweep sends what the queue refused here within a minute.
								if (out.Failed?.length)
									throw new TransientError(`the delivery queue refused ${out.Failed.length} of ${batch.length} deliveries`);
							}
						},
					}
				: {}),
		},
		billingEventsOf(event.Records),
	);
	return published;
});
