import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import * as z from "zod";
import { chunks } from "../../shared/platform/chunks.js";
import { createDocumentClient } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";
import { listDueDeliveries } from "../../shared/store/webhooks.js";

const ddb = createDocumentClient();
const config = perStack(() => ({ tableName: getRequiredEnv("TABLE_NAME"), queueUrl: getRequiredEnv("WEBHOOK_DELIVERY_QUEUE_URL") }));
const sqs = new SQSClient({});

/** Deliveries queued per sweep; the next sweep takes the rest. */
const PER_SWEEP = 1000;

/**
 * Every minute (a schedule): the webhook deliveries due by now (retries whose wait is over,
 * replays, an attempt a crash left claimed) onto the delivery queue (DESIGN.md section 14).
 * A delivery queued twice is attempted once: each attempt is claimed on its record.
 */
export const handler = stepHandler("Queue Due Webhooks", z.unknown(), async () => {
	const { tableName, queueUrl } = config();
	const due = await listDueDeliveries({ ddb, tableName }, new Date(), PER_SWEEP);
	for (const batch of chunks(due, 10)) {
		await sqs.send(
			new SendMessageBatchCommand({
				QueueUrl: queueUrl,
				Entries: batch.map((d, i) => ({ Id: String(i), MessageBody: JSON.stringify(d) })),
			}),
		);
	}
	return { queued: due.length };
});
