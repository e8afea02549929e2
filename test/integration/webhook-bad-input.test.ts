import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postStripeEvent } from "../../local/cli/operations.js";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../local/emulator/environment.js";
import { MINOR_UNIT_DIGITS } from "../../shared/core/money.js";
import { signStripePayload } from "../../shared/payments/providers/stripe.js";
import { MAX_WEBHOOK_BODY_BYTES } from "../../shared/payments/webhook.js";
import { createClients } from "../../shared/platform/clients.js";
import { putAccount } from "../../shared/store/accounts.js";
import { startTestStack } from "../support/embedded.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let http: string;
let clients: ReturnType<typeof createClients>;

/** A bad request and the status it must get. */
interface BadRequest {
	readonly body: Buffer;
	readonly headers: Record<string, string>;
	readonly status: number;
}

const now = () => Math.floor(Date.now() / 1000);
const signed = (text: string, status = 400): BadRequest => ({
	body: Buffer.from(text, "utf8"),
	headers: { "stripe-signature": signStripePayload(text, LOCAL_STRIPE_WEBHOOK_SECRET) },
	status,
});

/** One valid object per event type the endpoint acts on, each field of which the mutations break. */
const validObjects: Record<string, Record<string, unknown>> = {
	"payment_intent.succeeded": { id: "pi_bad", object: "payment_intent", amount_received: 1000, currency: "usd", metadata: {} },
	"charge.succeeded": { id: "ch_bad", object: "charge", amount_captured: 1000, currency: "usd", payment_intent: "pi_bad", metadata: {} },
	"charge.refunded": { id: "ch_bad", object: "charge", amount_refunded: 1000, currency: "usd", payment_intent: "pi_bad" },
	"charge.dispute.created": { id: "dp_bad", object: "dispute", amount: 1000, currency: "usd", charge: "ch_bad", status: "needs_response" },
};
const amountField: Record<string, string> = {
	"payment_intent.succeeded": "amount_received",
	"charge.succeeded": "amount_captured",
	"charge.refunded": "amount_refunded",
	"charge.dispute.created": "amount",
};
const requiredObjectFields: Record<string, string[]> = {
	"payment_intent.succeeded": ["id", "object", "amount_received", "currency"],
	"charge.succeeded": ["id", "object", "amount_captured", "currency"],
	"charge.refunded": ["id", "object", "amount_refunded", "currency"],
	"charge.dispute.created": ["id", "object", "amount", "currency", "charge", "status"],
};
const eventType = fc.constantFrom(...Object.keys(validObjects));
const event = (type: string, object: Record<string, unknown>, envelope: Record<string, unknown> = {}) => ({
	id: "evt_bad",
	object: "event",
	type,
	created: now(),
	data: { object },
	...envelope,
});

const randomBytes = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => signed(Buffer.from(bytes).toString("utf8")));
const truncatedJson = fc
	.tuple(eventType, fc.nat())
	.map(([type, cut]) => {
		const text = JSON.stringify(event(type, validObjects[type] as Record<string, unknown>));
		return signed(text.slice(0, cut % (text.length - 1)));
	})
	.filter((r) => r.body.length > 0);
const wrongValue = fc.oneof(
	fc.string(),
	fc.boolean(),
	fc.constant(null),
	fc.array(fc.integer(), { maxLength: 3 }),
	fc.object({ maxDepth: 1 }),
);
const wrongTypes = fc.oneof(
	fc
		.tuple(eventType, fc.constantFrom("id", "type", "created", "data"), wrongValue)
		// Only values of the wrong type: any string is a valid id or type, an object may be valid data.
		.filter(([, field, value]) => {
			if (field === "id" || field === "type") return typeof value !== "string";
			if (field === "data") return typeof value !== "object" || value === null || Array.isArray(value);
			return true;
		})
		.map(([type, field, value]) => signed(JSON.stringify(event(type, validObjects[type] as Record<string, unknown>, { [field]: value })))),
	fc
		.tuple(
			eventType,
			wrongValue.filter((v) => typeof v !== "number"),
		)
		.map(([type, value]) => signed(JSON.stringify(event(type, { ...validObjects[type], [amountField[type] as string]: value })))),
	fc
		.tuple(eventType, fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)))
		.map(([type, value]) => signed(JSON.stringify(event(type, { ...validObjects[type], currency: value })))),
);
const missingFields = fc.oneof(
	fc.tuple(eventType, fc.constantFrom("id", "type", "created", "data")).map(([type, field]) => {
		const { [field]: _dropped, ...rest } = event(type, validObjects[type] as Record<string, unknown>);
		return signed(JSON.stringify(rest));
	}),
	eventType.chain((type) =>
		fc.constantFrom(...(requiredObjectFields[type] as string[])).map((field) => {
			const { [field]: _dropped, ...object } = validObjects[type] as Record<string, unknown>;
			return signed(JSON.stringify(event(type, object)));
		}),
	),
);
const badAmounts = fc
	.tuple(
		eventType,
		fc.oneof(
			fc.integer({ max: 0 }),
			fc.double({ min: -1e6, max: 1e6, noNaN: true }).filter((d) => !Number.isInteger(d)),
			fc.constantFrom(2 ** 53, 1e20, Number.MAX_VALUE, 1e30),
		),
	)
	.map(([type, amount]) => signed(JSON.stringify(event(type, { ...validObjects[type], [amountField[type] as string]: amount }))));
const unknownCurrencies = fc
	.tuple(eventType, fc.string({ minLength: 0, maxLength: 5 }))
	.filter(([, c]) => !(c.toUpperCase() in MINOR_UNIT_DIGITS))
	.map(([type, currency]) => signed(JSON.stringify(event(type, { ...validObjects[type], currency }))));
const badSignatures = fc
	.tuple(
		eventType,
		fc.oneof(
			fc.constant("missing"),
			fc.constant("stale"),
			fc.string({ minLength: 8, maxLength: 30 }).map((s) => `whsec_${s}`),
			fc.string({ maxLength: 80 }).map((s) => `header:${s}`),
		),
	)
	.map(([type, kind]): BadRequest => {
		const text = JSON.stringify(event(type, validObjects[type] as Record<string, unknown>, { id: "evt_unsigned" }));
		const body = Buffer.from(text, "utf8");
		if (kind === "missing") return { body, headers: {}, status: 401 };
		if (kind === "stale") {
			return { body, headers: { "stripe-signature": signStripePayload(text, LOCAL_STRIPE_WEBHOOK_SECRET, now() - 301) }, status: 401 };
		}
		if (kind.startsWith("header:")) return { body, headers: { "stripe-signature": kind.slice(7) || "t=" }, status: 401 };
		return { body, headers: { "stripe-signature": signStripePayload(text, kind) }, status: 401 };
	});

async function post(request: BadRequest): Promise<number> {
	const res = await fetch(`${http}/webhooks/stripe`, {
		method: "POST",
		headers: { "content-type": "application/json", ...request.headers },
		body: request.body,
	});
	await res.arrayBuffer();
	return res.status;
}

async function snapshot(): Promise<{ items: unknown[]; objects: unknown[] }> {
	const items = (await clients.ddb.send(new ScanCommand({ TableName: stack.tableName, ConsistentRead: true }))).Items ?? [];
	const objects = (await clients.s3.send(new ListObjectsV2Command({ Bucket: stack.bucketName }))).Contents ?? [];
	return {
		items: items.map((i) => JSON.stringify(i)).sort(),
		objects: objects.map((o) => `${o.Key}:${o.Size}:${o.ETag}`).sort(),
	};
}

beforeAll(async () => {
	stack = await startTestStack("badinput", { http: true });
	http = stack.endpoints.http as string;
	clients = createClients();
	await putAccount(
		{ ddb: clients.ddb, tableName: stack.tableName },
		{
			accountId: "ACC-B1",
			name: "Bad Input Ltd",
			email: `ap+${stack.tag}@example.com`,
			currency: "USD",
			status: "active",
			taxRatePpm: 0,
			paymentTermsDays: 30,
			delivery: "email",
			addressLines: [],
			balance: 0,
			creditBalance: 0,
			createdAt: new Date().toISOString(),
		},
	);
	const good = event(
		"payment_intent.succeeded",
		{ ...validObjects["payment_intent.succeeded"], id: "pi_good", metadata: { account_id: "ACC-B1" } },
		{ id: "evt_good" },
	);
	expect((await postStripeEvent(http, good, LOCAL_STRIPE_WEBHOOK_SECRET)).status).toBe(200);
});

afterAll(async () => {
	await stack?.stop();
});

describe("bad webhook requests, generated", () => {
	it("answers 1,000 generated bad requests with the right 4xx and changes neither table nor bucket", async () => {
		const before = await snapshot();
		const seen: number[] = [];
		await fc.assert(
			fc.asyncProperty(
				fc.oneof(randomBytes, truncatedJson, wrongTypes, missingFields, badAmounts, unknownCurrencies, badSignatures),
				async (request) => {
					const status = await post(request);
					seen.push(status);
					expect(status).toBe(request.status);
				},
			),
			{ numRuns: 1000 },
		);
		expect(seen).toHaveLength(1000);
		expect(new Set(seen)).toEqual(new Set([400, 401]));
		expect(await snapshot()).toEqual(before);
	}, 60_000);

	it("answers bodies over 1 MB with 413, signed or not, and changes nothing", async () => {
		const before = await snapshot();
		await fc.assert(
			fc.asyncProperty(fc.integer({ min: 1, max: 64 * 1024 }), fc.boolean(), async (extra, sign) => {
				const text = JSON.stringify({
					...event("payment_intent.succeeded", validObjects["payment_intent.succeeded"] as Record<string, unknown>),
					pad: "x".repeat(MAX_WEBHOOK_BODY_BYTES + extra),
				});
				const request = sign ? signed(text, 413) : { body: Buffer.from(text), headers: {}, status: 413 };
				expect(await post(request)).toBe(413);
			}),
			{ numRuns: 20 },
		);
		expect(await snapshot()).toEqual(before);
	}, 60_000);
});
