import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SignatureError, ValidationError } from "../../../shared/core/errors.js";
import { signStripePayload, verifyStripeWebhook } from "../../../shared/payments/providers/stripe.js";

const secret = "whsec_test_secret";
const event = {
	id: "evt_1",
	object: "event",
	type: "payment_intent.succeeded",
	created: 1_790_000_000,
	data: {
		object: {
			id: "pi_1",
			object: "payment_intent",
			amount_received: 20291,
			currency: "usd",
			metadata: { invoice_number: "INV-2026-000001", account_id: "ACC-1" },
		},
	},
};
const body = JSON.stringify(event);

function header(payload: string, key: string, t = Math.floor(Date.now() / 1000)): string {
	return `t=${t},v1=${createHmac("sha256", key).update(`${t}.${payload}`).digest("hex")}`;
}

describe("Stripe webhook signature", () => {
	it("accepts a correctly signed event and normalises its payment", () => {
		const result = verifyStripeWebhook(body, header(body, secret), secret);
		expect(result).toEqual({
			kind: "payment",
			eventId: "evt_1",
			eventType: "payment_intent.succeeded",
			payment: {
				provider: "stripe",
				eventId: "evt_1",
				paymentId: "pi_1",
				amount: 20291,
				currency: "USD",
				invoiceNumber: "INV-2026-000001",
				accountId: "ACC-1",
				receivedAt: new Date(1_790_000_000_000).toISOString(),
			},
		});
	});

	it("accepts any matching v1 signature (secret rotation)", () => {
		const t = Math.floor(Date.now() / 1000);
		const good = header(body, secret, t).split(",")[1];
		const old = header(body, "whsec_old", t).split(",")[1];
		expect(verifyStripeWebhook(body, `t=${t},${old},${good}`, secret).kind).toBe("payment");
	});

	it("rejects a missing, wrong, stale or tampered signature", () => {
		expect(() => verifyStripeWebhook(body, undefined, secret)).toThrow(SignatureError);
		expect(() => verifyStripeWebhook(body, header(body, "whsec_wrong"), secret)).toThrow(SignatureError);
		expect(() => verifyStripeWebhook(body, header(body, secret, Math.floor(Date.now() / 1000) - 301), secret)).toThrow(SignatureError);
		const tampered = body.replace("20291", "20292");
		expect(() => verifyStripeWebhook(tampered, header(body, secret), secret)).toThrow(SignatureError);
		expect(() => verifyStripeWebhook(body, "garbage", secret)).toThrow(SignatureError);
	});

	it("rejects a signed but malformed event with a clear message", () => {
		const notJson = "{not json";
		expect(() => verifyStripeWebhook(notJson, header(notJson, secret), secret)).toThrow(ValidationError);
		const floatAmount = JSON.stringify({ ...event, data: { object: { ...event.data.object, amount_received: 10.5 } } });
		expect(() => verifyStripeWebhook(floatAmount, header(floatAmount, secret), secret)).toThrow(/amount_received/);
		const badCurrency = JSON.stringify({ ...event, data: { object: { ...event.data.object, currency: "xyz" } } });
		expect(() => verifyStripeWebhook(badCurrency, header(badCurrency, secret), secret)).toThrow(/currency/);
	});

	it("ignores event types that carry no payment", () => {
		const other = JSON.stringify({ ...event, type: "customer.created", data: { object: { id: "cus_1" } } });
		expect(verifyStripeWebhook(other, header(other, secret), secret)).toEqual({
			kind: "ignored",
			eventId: "evt_1",
			eventType: "customer.created",
		});
	});

	it("signs as Stripe does", () => {
		expect(verifyStripeWebhook(body, signStripePayload(body, secret), secret).kind).toBe("payment");
	});
});
