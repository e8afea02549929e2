import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { signStripePayload } from "../../../shared/payments/providers/stripe.js";

const secret = "whsec_unit_test";
const ddbMock = mockClient(DynamoDBDocumentClient);
let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

beforeAll(async () => {
	Object.assign(process.env, {
		TABLE_NAME: "billing-unit",
		STRIPE_WEBHOOK_SECRET: secret,
		POWERTOOLS_LOG_LEVEL: "SILENT",
		AWS_REGION: "us-east-1",
	});
	({ handler } = (await import("../../../functions/payment-webhook/handler.js")) as unknown as { handler: typeof handler });
});

beforeEach(() => {
	ddbMock.reset();
	// No refund or dispute is waiting for the payment.
	ddbMock.on(QueryCommand).resolves({ Items: [] });
});

const context = { functionName: "PaymentWebhook", awsRequestId: "req-1", getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function request(body: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
	return {
		version: "2.0",
		routeKey: "POST /webhooks/stripe",
		rawPath: "/webhooks/stripe",
		rawQueryString: "",
		headers: { "content-type": "application/json", ...headers },
		requestContext: { http: { method: "POST", path: "/webhooks/stripe" } } as APIGatewayProxyEventV2["requestContext"],
		body,
		isBase64Encoded: false,
	};
}

const invoice = {
	pk: "INVOICE#INV-2026-000001",
	sk: "INVOICE",
	number: "INV-2026-000001",
	accountId: "ACC-1",
	period: "2026-10",
	currency: "USD",
	status: "open",
	issueDate: "2026-11-01",
	dueDate: "2026-12-01",
	billTo: { name: "Acme", email: "ap@acme.example.com", addressLines: [] },
	lines: [],
	subtotal: 5000,
	tax: 0,
	total: 5000,
	amountPaid: 0,
	amountDue: 5000,
	pdfKey: "invoices/2026-10/INV-2026-000001.pdf",
	createdAt: "2026-11-01T00:00:00.000Z",
};

const paymentEvent = JSON.stringify({
	id: "evt_unit_1",
	type: "payment_intent.succeeded",
	created: 1_790_000_000,
	data: {
		object: {
			id: "pi_unit_1",
			object: "payment_intent",
			amount_received: 5000,
			currency: "usd",
			metadata: { invoice_number: "INV-2026-000001" },
		},
	},
});

describe("payment-webhook handler", () => {
	it("applies a full payment in one transaction: event, payment, invoice, ledger, balance, and their billing events", async () => {
		ddbMock.on(GetCommand).resolves({ Item: invoice });
		ddbMock.on(TransactWriteCommand).resolves({});
		const res = await handler(request(paymentEvent, { "stripe-signature": signStripePayload(paymentEvent, secret) }), context);
		expect(res.statusCode).toBe(200);
		expect(JSON.parse(res.body ?? "{}")).toMatchObject({ result: "applied", paymentId: "pi_unit_1", invoiceNumber: "INV-2026-000001" });
		const items = ddbMock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
		// Nine items of the payment (two of them its billing events), and the books' lock checked in the same transaction: its month is not closed.
		expect(items).toHaveLength(10);
		expect(items[9]?.ConditionCheck).toMatchObject({
			Key: { pk: "BOOKS", sk: "LOCK" },
			ConditionExpression: "attribute_not_exists(closedThrough) OR closedThrough < :period",
		});
		expect(items[0]?.Put?.Item?.pk).toBe("EVENT#stripe#evt_unit_1");
		expect(items[0]?.Put?.Item?.rawBody).toBe(paymentEvent);
		expect(items[1]?.Put?.Item).toMatchObject({
			pk: "PAYMENT#stripe#pi_unit_1",
			amount: 5000,
			appliedAmount: 5000,
			unappliedAmount: 0,
			status: "applied",
		});
		// No refund or dispute parked for this payment: checked in the transaction, not read afterwards.
		expect(items[2]?.ConditionCheck).toMatchObject({
			Key: { pk: "PARKED#stripe#pi_unit_1", sk: "MARKER" },
			ConditionExpression: "attribute_not_exists(pk)",
		});
		// The payment's event, in the payment's partition, carrying it as recorded.
		expect(items[3]?.Put?.Item).toMatchObject({
			pk: "PAYMENT#stripe#pi_unit_1",
			type: "payment.received",
			objectId: "stripe:pi_unit_1",
			data: { id: "stripe:pi_unit_1", amount: 5000, currency: "USD", status: "applied" },
		});
		expect(items[3]?.Put?.ConditionExpression).toBe("attribute_not_exists(pk)");
		expect(items[4]?.Update?.ExpressionAttributeValues).toMatchObject({ ":paid": 5000, ":due": 0, ":status": "paid" });
		expect(items[5]?.Put?.Item).toMatchObject({
			pk: "INVOICE#INV-2026-000001",
			subject: "invoice",
			action: "payment_applied",
			actor: "stripe",
			reason: "stripe:pi_unit_1",
			before: { status: "open", amountPaid: 0, amountDue: 5000 },
			after: { status: "paid", amountPaid: 5000, amountDue: 0 },
		});
		expect(items[6]?.Put?.Item).toMatchObject({
			pk: "INVOICE#INV-2026-000001",
			type: "invoice.paid",
			data: { number: "INV-2026-000001", status: "paid", amountPaid: 5000, amountDue: 0 },
		});
		const entry = items[7]?.Put?.Item;
		expect(entry).toMatchObject({ type: "payment_applied", amount: -5000, currency: "USD", invoiceNumber: "INV-2026-000001" });
		// The account's change carries the entry's recordedAt for the statement guard.
		expect(items[8]?.Update?.ExpressionAttributeValues).toEqual({ ":amount": 5000, ":currency": "USD", ":recordedAt": entry?.recordedAt });
		expect(ddbMock.commandCalls(QueryCommand)).toHaveLength(0);
	});

	it("pays an invoice named with its customer after one read: the transaction is conditional on the invoice as read", async () => {
		ddbMock.on(GetCommand).resolves({ Item: invoice });
		ddbMock.on(TransactWriteCommand).resolves({});
		const body = paymentEvent.replace('"invoice_number":"INV-2026-000001"', '"invoice_number":"INV-2026-000001","account_id":"ACC-1"');
		const res = await handler(request(body, { "stripe-signature": signStripePayload(body, secret) }), context);
		expect(JSON.parse(res.body ?? "{}")).toMatchObject({ result: "applied", invoiceNumber: "INV-2026-000001", creditedAmount: 0 });
		// The invoice is read, not presumed: its invoice.paid event carries it as it is after the payment.
		expect(ddbMock.commandCalls(GetCommand)).toHaveLength(1);
		expect(ddbMock.calls()).toHaveLength(2);
		const items = ddbMock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
		expect(items[4]?.Update).toMatchObject({
			Key: { pk: "INVOICE#INV-2026-000001", sk: "INVOICE" },
			ExpressionAttributeValues: { ":paid": 5000, ":due": 0, ":status": "paid", ":expectedPaid": 0, ":expectedDue": 5000 },
		});
		expect(items[5]?.Put?.Item).toMatchObject({
			pk: "INVOICE#INV-2026-000001",
			action: "payment_applied",
			before: { status: "open", amountPaid: 0, amountDue: 5000 },
			after: { status: "paid", amountPaid: 5000, amountDue: 0 },
		});
		expect(items[7]?.Put?.Item).toMatchObject({ pk: "ACCOUNT#ACC-1", type: "payment_applied", amount: -5000 });
		expect(items[8]?.Update).toMatchObject({ Key: { pk: "ACCOUNT#ACC-1", sk: "ACCOUNT" }, ExpressionAttributeValues: { ":amount": 5000 } });
	});

	it("pays what is due on the named invoice as read and keeps the rest as account credit", async () => {
		ddbMock.on(GetCommand).resolves({ Item: { ...invoice, amountPaid: 2000, amountDue: 3000, status: "partially_paid" } });
		ddbMock.on(TransactWriteCommand).resolves({});
		const body = paymentEvent.replace('"invoice_number":"INV-2026-000001"', '"invoice_number":"INV-2026-000001","account_id":"ACC-1"');
		const res = await handler(request(body, { "stripe-signature": signStripePayload(body, secret) }), context);
		expect(JSON.parse(res.body ?? "{}")).toMatchObject({ result: "applied", creditedAmount: 2000 });
		expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
		const items = ddbMock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
		expect(items[4]?.Update?.ExpressionAttributeValues).toMatchObject({ ":paid": 5000, ":due": 0, ":expectedDue": 3000 });
		expect(items[5]?.Put?.Item).toMatchObject({
			before: { status: "partially_paid", amountPaid: 2000, amountDue: 3000 },
			after: { status: "paid", amountPaid: 5000, amountDue: 0 },
		});
		const ledger = items.filter((i) => String(i.Put?.Item?.sk ?? "").startsWith("LEDGER#"));
		expect(ledger.map((i) => i.Put?.Item?.type)).toEqual(["payment_applied", "account_credit"]);
	});

	it("answers a redelivered event 200 and changes nothing", async () => {
		ddbMock.on(GetCommand).resolves({ Item: invoice });
		ddbMock.on(TransactWriteCommand).rejects(
			new TransactionCanceledException({
				message: "cancelled",
				$metadata: {},
				CancellationReasons: [{ Code: "ConditionalCheckFailed" }, { Code: "None" }],
			}),
		);
		const res = await handler(request(paymentEvent, { "stripe-signature": signStripePayload(paymentEvent, secret) }), context);
		expect(res.statusCode).toBe(200);
		expect(JSON.parse(res.body ?? "{}")).toMatchObject({ result: "duplicate_event" });
		expect(ddbMock.commandCalls(PutCommand)).toHaveLength(0);
	});

	it("rejects a bad signature with 401 and writes nothing", async () => {
		const res = await handler(request(paymentEvent, { "stripe-signature": signStripePayload(paymentEvent, "whsec_other") }), context);
		expect(res.statusCode).toBe(401);
		expect(ddbMock.calls()).toHaveLength(0);
	});

	it("rejects a missing signature with 401, a malformed body with 400, a body over 1 MB with 413", async () => {
		expect((await handler(request(paymentEvent), context)).statusCode).toBe(401);
		const malformed = '{"id": "evt_x", "type": "payment_intent.succeeded"';
		expect((await handler(request(malformed, { "stripe-signature": signStripePayload(malformed, secret) }), context)).statusCode).toBe(400);
		const missingAmount = JSON.stringify({
			id: "evt_y",
			type: "payment_intent.succeeded",
			created: 1,
			data: { object: { id: "pi", object: "payment_intent", currency: "usd" } },
		});
		const res = await handler(request(missingAmount, { "stripe-signature": signStripePayload(missingAmount, secret) }), context);
		expect(res.statusCode).toBe(400);
		expect(res.body).toMatch(/amount_received/);
		const huge = "x".repeat(1024 * 1024 + 1);
		expect((await handler(request(huge, { "stripe-signature": signStripePayload(huge, secret) }), context)).statusCode).toBe(413);
		expect(ddbMock.calls()).toHaveLength(0);
	});

	it("answers 404 for a provider it does not know", async () => {
		const res = await handler({ ...request(paymentEvent), rawPath: "/webhooks/unknown" }, context);
		expect(res.statusCode).toBe(404);
	});
});
