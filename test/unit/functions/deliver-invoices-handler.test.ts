import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { MessageRejected, SESClient, SendRawEmailCommand } from "@aws-sdk/client-ses";
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";

const ddbMock = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);
const sesMock = mockClient(SESClient);
let handler: (event: unknown, context: Context) => Promise<{ emailed: number; failed: number; alreadyDelivered: number }>;

const billing = { period: "2026-10", periodStart: "2026-10-01", periodEnd: "2026-10-31", asOf: "2026-11-01" };
const context = { functionName: "DeliverInvoices", awsRequestId: "req-1", getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

function invoice(number: string, accountId: string) {
	return {
		pk: `INVOICE#${number}`,
		sk: "INVOICE",
		number,
		accountId,
		period: "2026-10",
		currency: "EUR",
		status: "open",
		issueDate: "2026-11-01",
		dueDate: "2026-12-01",
		billTo: { name: accountId, email: `ap@${accountId.toLowerCase()}.example.com`, addressLines: [] },
		lines: [{ description: "Plan", quantity: 1, unitAmount: 1000, amount: 1000, taxRatePpm: 0, tax: 0 }],
		subtotal: 1000,
		tax: 0,
		total: 1000,
		amountPaid: 0,
		amountDue: 1000,
		pdfKey: `invoices/2026-10/${number}.pdf`,
		createdAt: "2026-11-01T00:00:00.000Z",
	};
}

beforeAll(async () => {
	// Lambda always has credentials; presigning the invoice link needs them even with mocked clients.
	Object.assign(process.env, {
		TABLE_NAME: "t",
		BUCKET_NAME: "b",
		SENDER_EMAIL: "billing@example.com",
		POWERTOOLS_LOG_LEVEL: "SILENT",
		AWS_REGION: "us-east-1",
		AWS_ACCESS_KEY_ID: "unit-test",
		AWS_SECRET_ACCESS_KEY: "unit-test",
	});
	({ handler } = (await import("../../../functions/deliver-invoices/handler.js")) as unknown as { handler: typeof handler });
});

beforeEach(() => {
	ddbMock.reset();
	s3Mock.reset();
	sesMock.reset();
});

describe("deliver-invoices handler", () => {
	it("records an invoice whose PDF is missing as failed, claims nothing for it, and emails the rest", async () => {
		ddbMock.on(GetCommand).resolves({});
		ddbMock.on(GetCommand, { Key: { pk: "INVOICE#INV-1", sk: "INVOICE" } }).resolves({ Item: invoice("INV-1", "ACC-1") });
		ddbMock.on(GetCommand, { Key: { pk: "INVOICE#INV-2", sk: "INVOICE" } }).resolves({ Item: invoice("INV-2", "ACC-2") });
		ddbMock.on(PutCommand).resolves({});
		ddbMock.on(TransactWriteCommand).resolves({});
		ddbMock.on(UpdateCommand).resolves({});
		s3Mock
			.on(GetObjectCommand, { Key: "invoices/2026-10/INV-1.pdf" })
			.rejects(new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }));
		s3Mock.on(GetObjectCommand, { Key: "invoices/2026-10/INV-2.pdf" }).resolves({
			Body: { transformToByteArray: async () => new Uint8Array(Buffer.from("%PDF-1.7 test")) } as never,
		});
		sesMock.on(SendRawEmailCommand).resolves({ MessageId: "msg-2" });

		const result = await handler({ billing, invoiceNumbers: ["INV-1", "INV-2"] }, context);

		expect(result).toMatchObject({ emailed: 1, failed: 1, alreadyDelivered: 0 });
		const puts = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item);
		const claims = ddbMock.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems?.map((t) => t.Put?.Item) ?? []);
		expect(claims.filter((i) => i?.sk === "DELIVERY#email").map((i) => i?.pk)).toEqual(["INVOICE#INV-2"]);
		const failure = puts.find((i) => i?.pk === "RUN#2026-10");
		expect(failure).toMatchObject({ accountId: "ACC-1", stage: "deliver" });
		expect(String(failure?.reason)).toMatch(/INV-1 not delivered: The specified key does not exist/);
		expect(sesMock.commandCalls(SendRawEmailCommand)).toHaveLength(1);
		expect(sesMock.commandCalls(SendRawEmailCommand)[0]?.args[0].input.Destinations).toEqual(["ap@acc-2.example.com"]);
	});

	it("records an address SES rejects against the account and goes on with the batch", async () => {
		ddbMock.on(GetCommand).resolves({});
		ddbMock.on(GetCommand, { Key: { pk: "INVOICE#INV-4", sk: "INVOICE" } }).resolves({ Item: invoice("INV-4", "ACC-4") });
		ddbMock.on(GetCommand, { Key: { pk: "INVOICE#INV-5", sk: "INVOICE" } }).resolves({ Item: invoice("INV-5", "ACC-5") });
		ddbMock.on(PutCommand).resolves({});
		ddbMock.on(TransactWriteCommand).resolves({});
		ddbMock.on(UpdateCommand).resolves({});
		s3Mock
			.on(GetObjectCommand)
			.resolves({ Body: { transformToByteArray: async () => new Uint8Array(Buffer.from("%PDF-1.7 test")) } as never });
		sesMock.on(SendRawEmailCommand).resolves({ MessageId: "msg-5" });
		sesMock
			.on(SendRawEmailCommand, { Destinations: ["ap@acc-4.example.com"] })
			.rejects(new MessageRejected({ message: "Email address is not verified.", $metadata: {} }));

		const result = await handler({ billing, invoiceNumbers: ["INV-4", "INV-5"] }, context);

		expect(result).toMatchObject({ emailed: 1, failed: 1 });
		const puts = ddbMock.commandCalls(PutCommand).map((c) => c.args[0].input.Item);
		// The failure is an update of the claimed record, so earlier attempts on it stay.
		const delivery = ddbMock
			.commandCalls(UpdateCommand)
			.map((c) => c.args[0].input)
			.filter((u) => u.Key?.pk === "INVOICE#INV-4" && u.Key?.sk === "DELIVERY#email")
			.at(-1)?.ExpressionAttributeValues;
		expect(delivery).toMatchObject({ ":failed": "failed" });
		expect(String(delivery?.[":reason"])).toMatch(/SES rejected ap@acc-4.example.com: Email address is not verified/);
		const failure = puts.find((i) => i?.pk === "RUN#2026-10");
		expect(failure).toMatchObject({ accountId: "ACC-4", stage: "deliver" });
		expect(sesMock.commandCalls(SendRawEmailCommand)).toHaveLength(2);
	});

	it("sends nothing for an invoice already delivered on this channel", async () => {
		ddbMock.on(GetCommand).resolves({});
		ddbMock.on(GetCommand, { Key: { pk: "INVOICE#INV-3", sk: "INVOICE" } }).resolves({ Item: invoice("INV-3", "ACC-3") });
		ddbMock
			.on(GetCommand, { Key: { pk: "INVOICE#INV-3", sk: "DELIVERY#email" } })
			.resolves({ Item: { channel: "email", status: "sent", recipient: "acc-3@example.com", at: "2026-11-01T02:00:00.000Z" } });
		const result = await handler({ billing, invoiceNumbers: ["INV-3"] }, context);
		expect(result).toMatchObject({ emailed: 0, alreadyDelivered: 1 });
		expect(sesMock.calls()).toHaveLength(0);
		expect(s3Mock.calls()).toHaveLength(0);
	});

	it("refuses malformed input with a message naming the field", async () => {
		await expect(handler({ billing: { ...billing, period: "2026-13" }, invoiceNumbers: [] }, context)).rejects.toThrow(/billing.period/);
	});
});
