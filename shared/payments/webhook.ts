import { createHash } from "node:crypto";
import { BillingError, PayloadTooLargeError, SignatureError, ValidationError } from "../core/errors.js";
import { DEFAULT_WEBHOOK_EVENT_RETENTION_DAYS, type SecretOptions } from "../platform/config.js";
import { type EventBody, storeWebhookBody } from "../store/payments.js";
import type { TableDeps } from "../store/records.js";
import { recordAdjustment } from "./adjustments.js";
import { verifyGoCardlessWebhook } from "./providers/gocardless.js";
import { verifyStripeWebhook } from "./providers/stripe.js";
import { recordIgnoredEvent, recordPayment } from "./recording.js";
import type { ProviderEventResult, WebhookOutcome } from "./types.js";

/**
 * The largest body accepted (413 above it): the raw body is stored in one DynamoDB item,
 * which holds 400 KB with all its attributes, so the body is kept well below that.
 */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

export interface WebhookDeps extends TableDeps {
	/** The signing secret, cached; `{ refresh: true }` asks for it to be read again (it may have been rotated). */
	readonly stripeSecret: (options?: SecretOptions) => Promise<string>;
	readonly gocardlessSecret: (options?: SecretOptions) => Promise<string>;
	/** Days the raw events and bodies are kept, then deleted by DynamoDB's TTL. @default 365 */
	readonly eventRetentionDays?: number;
}

/** A webhook request as any HTTP front hands it over: the raw body's bytes are what the signature covers. */
export interface WebhookRequest {
	readonly path: string;
	/** Header names in any case. */
	readonly headers: Readonly<Record<string, string | undefined>>;
	readonly body: Uint8Array;
}

/** A GoCardless webhook carries a batch of events, each stored and applied on its own. */
export type WebhookResult = WebhookOutcome | { readonly result: "batch"; readonly events: readonly WebhookOutcome[] };

function rawBodyOf(body: Uint8Array): string {
	if (body.length > MAX_WEBHOOK_BODY_BYTES) {
		throw new PayloadTooLargeError(`request body is ${body.length} bytes; the limit is ${MAX_WEBHOOK_BODY_BYTES}`);
	}
	if (body.length === 0) throw new ValidationError("request body is empty");
	return Buffer.from(body).toString("utf8");
}

function header(request: WebhookRequest, name: string): string | undefined {
	const wanted = name.toLowerCase();
	return Object.entries(request.headers).find(([key]) => key.toLowerCase() === wanted)?.[1];
}

async function recordEvent(deps: TableDeps, provider: string, event: ProviderEventResult, body: EventBody): Promise<WebhookOutcome> {
	if (event.kind === "ignored") return recordIgnoredEvent(deps, { provider, eventId: event.eventId, eventType: event.eventType, ...body });
	if (event.kind === "adjustment") return recordAdjustment(deps, event.adjustment, event.eventType, body);
	return recordPayment(deps, event.payment, event.eventType, body);
}

/**
 * Verifies with the cached secret; a signature that does not verify is tried once more with
 * the secret read again, since the cached one may predate a rotation, before it is refused.
 */
async function verifiedWith<T>(
	secret: WebhookDeps["stripeSecret"],
	signature: string | undefined,
	verify: (secret: string) => T,
): Promise<T> {
	const cached = await secret();
	try {
		return verify(cached);
	} catch (err) {
		if (!(err instanceof SignatureError) || signature === undefined) throw err;
		const fetched = await secret({ refresh: true });
		if (fetched === cached) throw err;
		return verify(fetched);
	}
}

/** Epoch seconds `days` from now: the TTL of what a webhook stores. */
function expiryAfter(days: number): number {
	return Math.floor(Date.now() / 1000) + days * 24 * 3600;
}

/**
 * POST /webhooks/<provider>: size check, signature over the raw body, then the event is
 * stored once and its payment applied. Every rejection happens before anything is written.
 */
export async function receivePaymentWebhook(deps: WebhookDeps, request: WebhookRequest): Promise<WebhookResult> {
	const provider = request.path.replace(/^\/webhooks\//, "").replace(/\/$/, "");
	if (provider !== "stripe" && provider !== "gocardless") {
		throw new BillingError(`no webhook endpoint for provider ${JSON.stringify(provider)}`, 404);
	}
	const rawBody = rawBodyOf(request.body);
	const ttl = expiryAfter(deps.eventRetentionDays ?? DEFAULT_WEBHOOK_EVENT_RETENTION_DAYS);
	if (provider === "gocardless") {
		const signature = header(request, "webhook-signature");
		const events = await verifiedWith(deps.gocardlessSecret, signature, (secret) => verifyGoCardlessWebhook(rawBody, signature, secret));
		// The batch's body once, each event pointing at it (a redelivered batch stores it again as nothing).
		const bodyId = createHash("sha256").update(rawBody).digest("hex");
		await storeWebhookBody(deps, { provider, bodyId, rawBody, ttl });
		const outcomes: WebhookOutcome[] = [];
		// In order: GoCardless sends a payment's events oldest first, and a chargeback needs its payment.
		for (const e of events) outcomes.push(await recordEvent(deps, provider, e, { bodyId, ttl }));
		return { result: "batch", events: outcomes };
	}
	const signature = header(request, "stripe-signature");
	const verified = await verifiedWith(deps.stripeSecret, signature, (secret) => verifyStripeWebhook(rawBody, signature, secret));
	// One event per delivery: its body is kept on the event itself.
	return recordEvent(deps, provider, verified, { rawBody, ttl });
}
