import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { signGoCardlessPayload } from "../../../shared/payments/providers/gocardless.js";
import { signStripePayload } from "../../../shared/payments/providers/stripe.js";
import {
	gocardlessWebhookSecret,
	SECRET_CACHE_MS,
	SECRET_REFRESH_MIN_INTERVAL_MS,
	stripeWebhookSecret,
} from "../../../shared/platform/config.js";

/**
 * Webhook signing secrets are read from Secrets Manager and cached for at most 5 minutes, and
 * a signature that does not verify makes the function read the secret once more before it
 * answers 401: a secret rotated at the processor and in Secrets Manager works at once.
 */

const secretsMock = mockClient(SecretsManagerClient);
const ddbMock = mockClient(DynamoDBDocumentClient);
const secrets = () => new SecretsManagerClient({ region: "us-east-1" });
let arnCount = 0;
const newArn = () => `arn:aws:secretsmanager:us-east-1:000000000000:secret:webhook-${++arnCount}`;
const fetches = () => secretsMock.commandCalls(GetSecretValueCommand).length;

beforeEach(() => {
	secretsMock.reset();
	ddbMock.reset();
	vi.useFakeTimers({ toFake: ["Date"] });
	vi.setSystemTime(new Date("2026-11-05T10:00:00Z"));
});

afterEach(() => {
	vi.useRealTimers();
});

describe("the signing secret's cache", () => {
	it("reads Secrets Manager once within 5 minutes and again after", async () => {
		const env = { STRIPE_WEBHOOK_SECRET_ARN: newArn() };
		secretsMock.on(GetSecretValueCommand).resolvesOnce({ SecretString: "whsec_old" }).resolves({ SecretString: "whsec_new" });
		expect(await stripeWebhookSecret(env, secrets)).toBe("whsec_old");
		vi.setSystemTime(Date.now() + SECRET_CACHE_MS - 1000);
		expect(await stripeWebhookSecret(env, secrets)).toBe("whsec_old");
		expect(fetches()).toBe(1);
		vi.setSystemTime(Date.now() + 2000);
		expect(await stripeWebhookSecret(env, secrets)).toBe("whsec_new");
		expect(fetches()).toBe(2);
		expect(SECRET_CACHE_MS).toBe(5 * 60_000);
	});

	it("reads it again when asked to refresh, at most once per interval; a failed read is not kept", async () => {
		const env = { GOCARDLESS_WEBHOOK_SECRET_ARN: newArn() };
		secretsMock.on(GetSecretValueCommand).rejectsOnce(new Error("throttled")).resolves({ SecretString: "gc_1" });
		await expect(gocardlessWebhookSecret(env, secrets)).rejects.toThrow("throttled");
		expect(await gocardlessWebhookSecret(env, secrets)).toBe("gc_1");
		expect(await gocardlessWebhookSecret(env, secrets, { refresh: true })).toBe("gc_1");
		expect(fetches()).toBe(2);
		vi.setSystemTime(Date.now() + SECRET_REFRESH_MIN_INTERVAL_MS);
		await gocardlessWebhookSecret(env, secrets, { refresh: true });
		expect(fetches()).toBe(3);
	});

	it("uses the secret given inline (embedded) without Secrets Manager", async () => {
		expect(await stripeWebhookSecret({ STRIPE_WEBHOOK_SECRET: "whsec_inline", STRIPE_WEBHOOK_SECRET_ARN: newArn() }, secrets)).toBe(
			"whsec_inline",
		);
		expect(fetches()).toBe(0);
	});
});

describe("the payment webhook with a rotated secret", () => {
	let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
	const context = { functionName: "PaymentWebhook", awsRequestId: "req-1", getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
	const request = (provider: string, body: string, headers: Record<string, string>): APIGatewayProxyEventV2 => ({
		version: "2.0",
		routeKey: `POST /webhooks/${provider}`,
		rawPath: `/webhooks/${provider}`,
		rawQueryString: "",
		headers: { "content-type": "application/json", ...headers },
		requestContext: { http: { method: "POST", path: `/webhooks/${provider}` } } as APIGatewayProxyEventV2["requestContext"],
		body,
		isBase64Encoded: false,
	});
	const event = (id: string) =>
		JSON.stringify({
			id,
			type: "customer.created",
			created: 1_790_000_000,
			data: { object: { id: `cus_${id}`, object: "customer" } },
		});

	beforeAll(async () => {
		delete process.env.STRIPE_WEBHOOK_SECRET;
		delete process.env.GOCARDLESS_WEBHOOK_SECRET;
		Object.assign(process.env, {
			TABLE_NAME: "billing-unit",
			STRIPE_WEBHOOK_SECRET_ARN: newArn(),
			GOCARDLESS_WEBHOOK_SECRET_ARN: newArn(),
			POWERTOOLS_LOG_LEVEL: "SILENT",
			AWS_REGION: "us-east-1",
		});
		({ handler } = (await import("../../../functions/payment-webhook/handler.js")) as unknown as { handler: typeof handler });
	});

	beforeEach(() => {
		ddbMock.on(GetCommand).resolves({});
		ddbMock.on(QueryCommand).resolves({ Items: [] });
		ddbMock.on(TransactWriteCommand).resolves({});
	});

	it("refetches the secret once when a signature does not verify, then accepts the request signed with the new one", async () => {
		secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "whsec_before" });
		const first = event("evt_rotate_1");
		expect(
			(await handler(request("stripe", first, { "stripe-signature": signStripePayload(first, "whsec_before") }), context)).statusCode,
		).toBe(200);
		expect(fetches()).toBe(1);

		// Rolled at Stripe and put into Secrets Manager a minute later: the cached secret is the old one.
		secretsMock.on(GetSecretValueCommand).resolves({ SecretString: "whsec_after" });
		vi.setSystemTime(Date.now() + 60_000);
		const second = event("evt_rotate_2");
		const res = await handler(request("stripe", second, { "stripe-signature": signStripePayload(second, "whsec_after") }), context);
		expect(res.statusCode).toBe(200);
		expect(fetches()).toBe(2);

		// A forged request right after: refused with 401, without reading the secret again so soon.
		const forged = event("evt_forged");
		expect(
			(await handler(request("stripe", forged, { "stripe-signature": signStripePayload(forged, "whsec_forged") }), context)).statusCode,
		).toBe(401);
		expect(fetches()).toBe(2);
		// Later, a wrong signature is answered 401 after one more read, which still does not verify.
		vi.setSystemTime(Date.now() + SECRET_REFRESH_MIN_INTERVAL_MS);
		expect(
			(await handler(request("stripe", forged, { "stripe-signature": signStripePayload(forged, "whsec_forged") }), context)).statusCode,
		).toBe(401);
		expect(fetches()).toBe(3);
		// No signature at all is refused without a read.
		expect((await handler(request("stripe", forged, {}), context)).statusCode).toBe(401);
		expect(fetches()).toBe(3);
	});

	it("does the same for GoCardless", async () => {
		secretsMock.on(GetSecretValueCommand).resolvesOnce({ SecretString: "gc_before" }).resolves({ SecretString: "gc_after" });
		const batch = (id: string) =>
			JSON.stringify({
				events: [{ id, created_at: "2026-11-05T10:00:00.000Z", resource_type: "mandates", action: "created", links: {} }],
			});
		const first = batch("EV-R1");
		expect(
			(await handler(request("gocardless", first, { "webhook-signature": signGoCardlessPayload(first, "gc_before") }), context)).statusCode,
		).toBe(200);
		vi.setSystemTime(Date.now() + 60_000);
		const second = batch("EV-R2");
		expect(
			(await handler(request("gocardless", second, { "webhook-signature": signGoCardlessPayload(second, "gc_after") }), context))
				.statusCode,
		).toBe(200);
		expect(fetches()).toBe(2);
	});
});
