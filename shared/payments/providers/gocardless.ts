import { createHmac } from "node:crypto";
import { verifySignature } from "gocardless-nodejs/webhooks";
import * as z from "zod";
import { SignatureError, ValidationError } from "../../core/errors.js";
import { currencySchema, minorUnitsSchema } from "../../core/money.js";
import type { ProviderEventResult } from "../types.js";

const eventSchema = z.object({
	id: z.string().min(1),
	created_at: z.string().datetime({ offset: true }),
	resource_type: z.string().min(1),
	action: z.string().min(1),
	links: z.record(z.string(), z.string()).default({}),
	resource_metadata: z.record(z.string(), z.string()).default({}),
});

const bodySchema = z.object({ events: z.array(z.unknown()).min(1).max(500) });

/**
 * GoCardless events name their payment but carry no amount; the payment's creator puts
 * its amount (minor units) and currency in the payment's metadata, which GoCardless
 * repeats on every event as resource_metadata.
 */
const paymentMetadataSchema = z.object({
	amount: z
		.string()
		.regex(/^\d{1,15}$/, { message: "amount must be whole minor units" })
		.transform(Number)
		.pipe(minorUnitsSchema.positive()),
	currency: currencySchema,
	invoice_number: z.string().optional(),
	account_id: z.string().optional(),
});

export type GoCardlessEvent = ProviderEventResult;

function invalid(what: string, error: z.ZodError): ValidationError {
	return new ValidationError(`malformed ${what}: ${error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
}

/** Money in: a payment GoCardless has collected. paid_out repeats it and is recorded once. */
const PAYMENT_ACTIONS = new Set(["confirmed", "paid_out"]);

function readEvent(raw: unknown, index: number): GoCardlessEvent {
	const parsed = eventSchema.safeParse(raw);
	if (!parsed.success) throw invalid(`events[${index}]`, parsed.error);
	const event = parsed.data;
	const eventType = `${event.resource_type}.${event.action}`;
	const paymentId = event.links.payment;
	const relevant = event.resource_type === "payments" && (PAYMENT_ACTIONS.has(event.action) || event.action === "charged_back");
	if (!relevant) return { kind: "ignored", eventId: event.id, eventType };
	if (!paymentId) throw new ValidationError(`malformed events[${index}]: links.payment is required for ${eventType}`);
	const metadata = paymentMetadataSchema.safeParse(event.resource_metadata);
	if (!metadata.success) throw invalid(`events[${index}].resource_metadata`, metadata.error);
	const { amount, currency, invoice_number, account_id } = metadata.data;
	const occurredAt = new Date(event.created_at).toISOString();
	if (event.action === "charged_back") {
		// The payer's bank reversed the debit: for the ledger, a dispute lost in one step.
		return {
			kind: "adjustment",
			eventId: event.id,
			eventType,
			adjustment: {
				kind: "dispute_closed",
				provider: "gocardless",
				eventId: event.id,
				paymentId,
				currency,
				occurredAt,
				disputeId: event.id,
				amount,
				outcome: "lost",
			},
		};
	}
	return {
		kind: "payment",
		eventId: event.id,
		eventType,
		payment: {
			provider: "gocardless",
			eventId: event.id,
			paymentId,
			amount,
			currency,
			...(invoice_number ? { invoiceNumber: invoice_number } : {}),
			...(account_id ? { accountId: account_id } : {}),
			receivedAt: occurredAt,
		},
	};
}

/**
 * Verifies the Webhook-Signature header (hex HMAC-SHA256 of the raw body with the endpoint
 * secret) with GoCardless's own library, then reads every event of the batch; one bad
 * event rejects the whole request before anything is written.
 */
export function verifyGoCardlessWebhook(rawBody: string, signatureHeader: string | undefined, secret: string): GoCardlessEvent[] {
	if (!signatureHeader) throw new SignatureError("missing Webhook-Signature header");
	try {
		verifySignature(rawBody, secret, signatureHeader);
	} catch (err) {
		throw new SignatureError("invalid GoCardless signature", { cause: err });
	}
	let json: unknown;
	try {
		json = JSON.parse(rawBody);
	} catch (err) {
		throw new ValidationError("request body is not valid JSON", { cause: err });
	}
	const body = bodySchema.safeParse(json);
	if (!body.success) throw invalid("GoCardless webhook", body.error);
	return body.data.events.map(readEvent);
}

/** Signs a body as GoCardless does; the demo, the benchmark and the tests use it. */
export function signGoCardlessPayload(rawBody: string, secret: string): string {
	return createHmac("sha256", secret).update(rawBody).digest("hex");
}
