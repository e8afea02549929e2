import Stripe from "stripe";
import * as z from "zod";
import { SignatureError, ValidationError } from "../../core/errors.js";
import { currencySchema, minorUnitsSchema } from "../../core/money.js";
import type { PaymentAdjustment, ProviderEventResult } from "../types.js";

/** Stripe's default: a signature older than 300 s is refused (replay protection). */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

const metadataSchema = z.record(z.string(), z.string()).default({});

const paymentIntentSchema = z.object({
	id: z.string().min(1),
	object: z.literal("payment_intent"),
	amount_received: minorUnitsSchema.positive(),
	currency: currencySchema,
	metadata: metadataSchema,
});

const chargeSchema = z.object({
	id: z.string().min(1),
	object: z.literal("charge"),
	amount_captured: minorUnitsSchema.positive(),
	currency: currencySchema,
	payment_intent: z.string().nullish(),
	metadata: metadataSchema,
});

const refundedChargeSchema = z.object({
	id: z.string().min(1),
	object: z.literal("charge"),
	amount_refunded: minorUnitsSchema.positive(),
	currency: currencySchema,
	payment_intent: z.string().nullish(),
});

const disputeSchema = z.object({
	id: z.string().min(1),
	object: z.literal("dispute"),
	amount: minorUnitsSchema.positive(),
	currency: currencySchema,
	charge: z.string().min(1),
	payment_intent: z.string().nullish(),
	reason: z.string().default("unspecified"),
	status: z.string(),
});

const eventEnvelopeSchema = z.object({
	id: z.string().min(1),
	type: z.string().min(1),
	created: z.number().int(),
	data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

export type StripeEventResult = ProviderEventResult;

/**
 * Verifies the Stripe-Signature header over the raw body with Stripe's own SDK (any
 * matching v1 signature accepted, 300 s tolerance), then parses the event strictly.
 */
export function verifyStripeWebhook(
	rawBody: string,
	signatureHeader: string | undefined,
	secret: string,
	nowSeconds?: number,
): StripeEventResult {
	if (!signatureHeader) throw new SignatureError("missing Stripe-Signature header");
	try {
		Stripe.webhooks.signature?.verifyHeader(rawBody, signatureHeader, secret, STRIPE_SIGNATURE_TOLERANCE_SECONDS, undefined, nowSeconds);
	} catch (err) {
		// Stripe's message goes on with integration advice; the first line is the reason.
		const reason = ((err as Error).message.split("\n")[0] ?? "").trim().replace(/\.\s.*$/, "");
		throw new SignatureError(`invalid Stripe signature: ${reason}`, { cause: err });
	}
	let json: unknown;
	try {
		json = JSON.parse(rawBody);
	} catch (err) {
		throw new ValidationError("request body is not valid JSON", { cause: err });
	}
	return parseStripeEvent(json);
}

function invalid(what: string, error: z.ZodError): ValidationError {
	const details = error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
	return new ValidationError(`malformed ${what}: ${details}`);
}

/** The two event types that report a succeeded payment, each read into the same fields. */
const paymentEvents = {
	"payment_intent.succeeded": (object: unknown) => {
		const pi = paymentIntentSchema.safeParse(object);
		if (!pi.success) throw invalid("payment_intent", pi.error);
		return { paymentId: pi.data.id, amount: pi.data.amount_received, currency: pi.data.currency, metadata: pi.data.metadata };
	},
	"charge.succeeded": (object: unknown) => {
		const charge = chargeSchema.safeParse(object);
		if (!charge.success) throw invalid("charge", charge.error);
		const { payment_intent, id, amount_captured, currency, metadata } = charge.data;
		return { paymentId: payment_intent ?? id, amount: amount_captured, currency, metadata };
	},
} as const;

export function parseStripeEvent(json: unknown): StripeEventResult {
	const envelope = eventEnvelopeSchema.safeParse(json);
	if (!envelope.success) throw invalid("Stripe event", envelope.error);
	const { id: eventId, type: eventType, created, data } = envelope.data;
	if (eventType === "payment_intent.succeeded" || eventType === "charge.succeeded") {
		const { paymentId, amount, currency, metadata } = paymentEvents[eventType](data.object);
		return {
			kind: "payment",
			eventId,
			eventType,
			payment: {
				provider: "stripe",
				eventId,
				paymentId,
				amount,
				currency,
				invoiceNumber: metadata.invoice_number,
				accountId: metadata.account_id,
				receivedAt: new Date(created * 1000).toISOString(),
			},
		};
	}
	const occurredAt = new Date(created * 1000).toISOString();
	if (eventType === "charge.refunded") {
		const charge = refundedChargeSchema.safeParse(data.object);
		if (!charge.success) throw invalid("charge", charge.error);
		const { id, payment_intent, currency, amount_refunded } = charge.data;
		const adjustment: PaymentAdjustment = {
			kind: "refund",
			provider: "stripe",
			eventId,
			paymentId: payment_intent ?? id,
			currency,
			occurredAt,
			refundedTotal: amount_refunded,
		};
		return { kind: "adjustment", eventId, eventType, adjustment };
	}
	if (eventType === "charge.dispute.created" || eventType === "charge.dispute.closed") {
		const dispute = disputeSchema.safeParse(data.object);
		if (!dispute.success) throw invalid("dispute", dispute.error);
		const { id, payment_intent, charge, currency, amount, reason, status } = dispute.data;
		const common = { provider: "stripe", eventId, paymentId: payment_intent ?? charge, currency, occurredAt, disputeId: id, amount };
		const adjustment: PaymentAdjustment =
			eventType === "charge.dispute.created"
				? { ...common, kind: "dispute_opened", reason }
				: // Stripe closes a dispute as won, lost or warning_closed (an inquiry that never became a chargeback).
					{ ...common, kind: "dispute_closed", outcome: status === "lost" ? "lost" : "won" };
		return { kind: "adjustment", eventId, eventType, adjustment };
	}
	return { kind: "ignored", eventId, eventType };
}

/** Signs a body as Stripe does; the demo, the README's example and the tests use it. */
export function signStripePayload(rawBody: string, secret: string, timestampSeconds?: number): string {
	return Stripe.webhooks.generateTestHeaderString({ payload: rawBody, secret, timestamp: timestampSeconds });
}
