import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { BillingError, PayloadTooLargeError, ValidationError } from "../core/errors.js";
import type { TableDeps } from "../store/records.js";
import { verifyGoCardlessWebhook } from "./providers/gocardless.js";
import { verifyStripeWebhook } from "./providers/stripe.js";
import { recordAdjustment, recordIgnoredEvent, recordPayment, type WebhookOutcome } from "./recording.js";

export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

export interface WebhookDeps extends TableDeps {
	readonly stripeSecret: () => Promise<string>;
	readonly gocardlessSecret: () => Promise<string>;
}

/** A GoCardless webhook carries a batch of events, each stored and applied on its own. */
export type WebhookResult = WebhookOutcome | { readonly result: "batch"; readonly events: readonly WebhookOutcome[] };

function rawBodyOf(event: APIGatewayProxyEventV2): string {
	const body = event.body ?? "";
	const bytes = event.isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
	if (bytes.length > MAX_WEBHOOK_BODY_BYTES) {
		throw new PayloadTooLargeError(`request body is ${bytes.length} bytes; the limit is ${MAX_WEBHOOK_BODY_BYTES}`);
	}
	if (bytes.length === 0) throw new ValidationError("request body is empty");
	return bytes.toString("utf8");
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
	const wanted = name.toLowerCase();
	for (const [key, value] of Object.entries(event.headers ?? {})) {
		if (key.toLowerCase() === wanted) return value;
	}
	return undefined;
}

/**
 * POST /webhooks/<provider>: size check, signature over the raw body, then the event is
 * stored once and its payment applied. Every rejection happens before anything is written.
 */
export async function receivePaymentWebhook(deps: WebhookDeps, event: APIGatewayProxyEventV2): Promise<WebhookResult> {
	const provider = event.rawPath.replace(/^\/webhooks\//, "").replace(/\/$/, "");
	if (provider !== "stripe" && provider !== "gocardless") {
		throw new BillingError(`no webhook endpoint for provider ${JSON.stringify(provider)}`, 404);
	}
	const rawBody = rawBodyOf(event);
	if (provider === "gocardless") {
		const events = verifyGoCardlessWebhook(rawBody, header(event, "webhook-signature"), await deps.gocardlessSecret());
		const outcomes: WebhookOutcome[] = [];
		// In order: GoCardless sends a payment's events oldest first, and a chargeback needs its payment.
		for (const e of events) {
			if (e.kind === "ignored") outcomes.push(await recordIgnoredEvent(deps, "gocardless", e.eventId, e.eventType, rawBody));
			else if (e.kind === "adjustment") outcomes.push(await recordAdjustment(deps, e.adjustment, e.eventType, rawBody));
			else outcomes.push(await recordPayment(deps, e.payment, e.eventType, rawBody));
		}
		return { result: "batch", events: outcomes };
	}
	const verified = verifyStripeWebhook(rawBody, header(event, "stripe-signature"), await deps.stripeSecret());
	if (verified.kind === "ignored") {
		return recordIgnoredEvent(deps, "stripe", verified.eventId, verified.eventType, rawBody);
	}
	if (verified.kind === "adjustment") return recordAdjustment(deps, verified.adjustment, verified.eventType, rawBody);
	return recordPayment(deps, verified.payment, verified.eventType, rawBody);
}
