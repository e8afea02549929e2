import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { signGoCardlessPayload } from "../../../shared/payments/providers/gocardless.js";
import { signStripePayload } from "../../../shared/payments/providers/stripe.js";
import { MAX_WEBHOOK_BODY_BYTES } from "../../../shared/payments/webhook.js";

/** What the webhook keeps of a request: the raw body once per delivery, with an expiry; nothing over the limit. */

const stripeSecret = "whsec_storage_test";
const gocardlessSecret = "gc_storage_test";
const RETENTION_DAYS = 30;
const ddbMock = mockClient(DynamoDBDocumentClient);
let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

beforeAll(async () => {
	Object.assign(process.env, {
		TABLE_NAME: "billing-unit",
		STRIPE_WEBHOOK_SECRET: stripeSecret,
		GOCARDLESS_WEBHOOK_SECRET: gocardlessSecret,
		WEBHOOK_EVENT_RETENTION_DAYS: String(RETENTION_DAYS),
		POWERTOOLS_LOG_LEVEL: "SILENT",
		AWS_REGION: "us-east-1",
	});
	({ handler } = (await import("../../../functions/payment-webhook/handler.js")) as unknown as { handler: typeof handler });
});

beforeEach(() => {
	ddbMock.reset();
	ddbMock.on(QueryCommand).resolves({ Items: [] });
});

const context = { functionName: "PaymentWebhook", awsRequestId: "req-1", getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function request(provider: string, body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
	return {
		version: "2.0",
		routeKey: `POST /webhooks/${provider}`,
		rawPath: `/webhooks/${provider}`,
		rawQueryString: "",
		headers: { "content-type": "application/json", ...headers },
		requestContext: { http: { method: "POST", path: `/webhooks/${provider}` } } as APIGatewayProxyEventV2["requestContext"],
		body,
		isBase64Encoded: false,
	};
}

const stripe = (body: string) => request("stripe", body, { "stripe-signature": signStripePayload(body, stripeSecret) });
const gocardless = (body: string) => request("gocardless", body, { "webhook-signature": signGoCardlessPayload(body, gocardlessSecret) });

/** Epoch seconds `RETENTION_DAYS` from now, give or take a minute. */
function expectExpiryInRetention(ttl: unknown): void {
	expect(typeof ttl).toBe("number");
	expect(Math.abs((ttl as number) - (Date.now() / 1000 + RETENTION_DAYS * 24 * 3600))).toBeLessThan(60);
}

const mandateEvent = (id: string) => ({
	id,
	created_at: "2026-11-05T10:00:00.000Z",
	resource_type: "mandates",
	action: "created",
	links: { mandate: `MD-${id}` },
});

describe("what the payment webhook stores", () => {
	it("keeps a Stripe event's raw body on its one record, with a TTL of the configured retention", async () => {
		ddbMock.on(GetCommand).resolves({});
		ddbMock.on(TransactWriteCommand).resolves({});
		const body = JSON.stringify({
			id: "evt_ttl_1",
			type: "payment_intent.succeeded",
			created: 1_790_000_000,
			data: { object: { id: "pi_ttl_1", object: "payment_intent", amount_received: 100, currency: "usd", metadata: {} } },
		});
		expect((await handler(stripe(body), context)).statusCode).toBe(200);
		const event = ddbMock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]?.Put?.Item;
		expect(event).toMatchObject({ pk: "EVENT#stripe#evt_ttl_1", rawBody: body });
		expectExpiryInRetention(event?.ttl);
		expect(ddbMock.commandCalls(PutCommand).filter((c) => String(c.args[0].input.Item?.pk).startsWith("WEBHOOK_BODY#"))).toEqual([]);
	});

	it("keeps a GoCardless batch's body once, each event pointing at it, all with the TTL; a redelivery stores nothing again", async () => {
		ddbMock.on(PutCommand).resolves({});
		const body = JSON.stringify({ events: ["EVA", "EVB", "EVC"].map(mandateEvent), meta: { webhook_id: "WB-TTL" } });
		const res = await handler(gocardless(body), context);
		expect(JSON.parse(res.body ?? "{}")).toMatchObject({
			result: "batch",
			events: [{ result: "ignored" }, { result: "ignored" }, { result: "ignored" }],
		});

		const puts = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input);
		const bodies = puts.filter((p) => String(p.Item?.pk).startsWith("WEBHOOK_BODY#gocardless#"));
		expect(bodies).toHaveLength(1);
		const stored = bodies[0]?.Item ?? {};
		expect(stored).toMatchObject({ sk: "BODY", provider: "gocardless", rawBody: body });
		expect(bodies[0]?.ConditionExpression).toBe("attribute_not_exists(pk)");
		expectExpiryInRetention(stored.ttl);

		const events = puts.filter((p) => String(p.Item?.pk).startsWith("EVENT#gocardless#"));
		expect(events.map((e) => e.Item?.pk)).toEqual(["EVENT#gocardless#EVA", "EVENT#gocardless#EVB", "EVENT#gocardless#EVC"]);
		for (const event of events) {
			expect(event.Item).toMatchObject({ bodyId: stored.bodyId, ttl: stored.ttl });
			expect(event.Item).not.toHaveProperty("rawBody");
		}

		// The same batch again: the body's and the events' conditions fail, nothing is stored twice.
		ddbMock.reset();
		ddbMock.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: "exists", $metadata: {} }));
		const again = await handler(gocardless(body), context);
		expect(again.statusCode).toBe(200);
		expect(JSON.parse(again.body ?? "{}")).toMatchObject({
			events: [{ result: "duplicate_event" }, { result: "duplicate_event" }, { result: "duplicate_event" }],
		});
	});

	it("answers 413 for a body over 256 KB, below DynamoDB's 400 KB item, and writes nothing", async () => {
		expect(MAX_WEBHOOK_BODY_BYTES).toBe(256 * 1024);
		const over = `{"pad":"${"x".repeat(MAX_WEBHOOK_BODY_BYTES)}"}`;
		expect((await handler(stripe(over), context)).statusCode).toBe(413);
		expect((await handler(gocardless(over), context)).statusCode).toBe(413);
		// At the limit the body is read (and refused for what it is, not for its size).
		const atLimit = `{"pad":"${"x".repeat(MAX_WEBHOOK_BODY_BYTES - 10)}"}`;
		expect(Buffer.byteLength(atLimit)).toBe(MAX_WEBHOOK_BODY_BYTES);
		expect((await handler(gocardless(atLimit), context)).statusCode).toBe(400);
		expect(ddbMock.calls()).toHaveLength(0);
	});
});
