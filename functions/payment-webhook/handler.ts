import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import httpErrorHandler from "@middy/http-error-handler";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { receivePaymentWebhook } from "../../shared/payments/webhook.js";
import { createDocumentClient } from "../../shared/platform/clients.js";
import { getRequiredEnv, gocardlessWebhookSecret, stripeWebhookSecret, webhookEventRetentionDays } from "../../shared/platform/config.js";
import { logger } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const config = perStack(() => ({ tableName: getRequiredEnv("TABLE_NAME"), eventRetentionDays: webhookEventRetentionDays() }));

export const handler = middy(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
	// API Gateway hands over a binary body base64-encoded; the signature covers the bytes as sent.
	const body = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
	const outcome = await receivePaymentWebhook(
		{
			ddb,
			...config(),
			stripeSecret: (options) => stripeWebhookSecret(process.env, undefined, options),
			gocardlessSecret: (options) => gocardlessWebhookSecret(process.env, undefined, options),
		},
		{ path: event.rawPath, headers: event.headers ?? {}, body },
	);
	logger.info("webhook handled", { outcome });
	return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ received: true, ...outcome }) };
})
	.use(injectLambdaContext(logger, { resetKeys: true }))
	.use(
		httpErrorHandler({
			// A rejected request is the sender's problem (info); anything else is ours (error, alarmed).
			logger: (err: unknown) => {
				const status = (err as { statusCode?: number }).statusCode ?? 500;
				if (status < 500) logger.info("webhook rejected", { status, error: String(err) });
				else logger.error("webhook failed", { error: err as Error });
			},
		}),
	);
