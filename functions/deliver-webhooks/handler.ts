import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import * as z from "zod";
import { createDocumentClient } from "../../shared/platform/clients.js";
import { getRequiredEnv, webhookTimeoutMs } from "../../shared/platform/config.js";
import { logger, stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";
import { deliverWebhook } from "../../shared/publishing/webhook-delivery.js";

const ddb = createDocumentClient();
const config = perStack(() => ({
	tableName: getRequiredEnv("TABLE_NAME"),
	timeoutMs: webhookTimeoutMs(),
	deadLetterQueueUrl: process.env.WEBHOOK_DEAD_LETTER_QUEUE_URL,
}));
const sqs = new SQSClient({});

const deliveryMessageSchema = z.object({ endpointId: z.string().min(1), eventId: z.string().min(1) });
const queueEventSchema = z.object({ Records: z.array(z.looseObject({ messageId: z.string(), body: z.string() })) });

/**
 * The delivery queue's messages, one event to one endpoint each: one attempt if it is due
 * (DESIGN.md section 14). A failed attempt is scheduled on the delivery's record and the
 * sweep queues it again when due, so the message is done either way; a message that fails
 * to be handled is reported and the queue gives it again, then dead-letters it.
 */
export const handler = stepHandler("Deliver Webhooks", queueEventSchema, async (event) => {
	const { tableName, timeoutMs, deadLetterQueueUrl } = config();
	const batchItemFailures: { itemIdentifier: string }[] = [];
	const outcomes: Record<string, number> = {};
	for (const record of event.Records) {
		try {
			const ref = deliveryMessageSchema.parse(JSON.parse(record.body));
			const outcome = await deliverWebhook(
				{
					ddb,
					tableName,
					timeoutMs,
					now: () => new Date(),
					...(deadLetterQueueUrl
						? {
								deadLetter: async (delivery, reason) => {
									await sqs.send(
										new SendMessageCommand({
											QueueUrl: deadLetterQueueUrl,
											MessageBody: JSON.stringify({
												endpointId: delivery.endpointId,
												eventId: delivery.eventId,
												eventType: delivery.eventType,
												reason,
											}),
										}),
									);
								},
							}
						: {}),
				},
				ref,
			);
			outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
		} catch (err) {
			logger.error("a webhook delivery message failed", { messageId: record.messageId, error: (err as Error).message });
			batchItemFailures.push({ itemIdentifier: record.messageId });
		}
	}
	return { batchItemFailures, outcomes };
});
