import { handleEmailEvent, sesEmailEventSchema } from "../../shared/delivery/email-events.js";
import { createDocumentClient } from "../../shared/platform/clients.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const tableName = perStack(() => getRequiredEnv("TABLE_NAME"));

/**
 * An event SES published for an email sent through the configuration set, from EventBridge
 * (DESIGN.md section 15): a permanent bounce or a complaint marks the address undeliverable on
 * its account, a transient bounce is recorded. A failure throws, so Lambda retries the event
 * (recording is idempotent) and then puts it in the dead-letter queue.
 */
export const handler = stepHandler("Email Events", sesEmailEventSchema, (event) =>
	handleEmailEvent({ ddb, tableName: tableName() }, event),
);
