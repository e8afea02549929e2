import { generateKeyPairSync } from "node:crypto";
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { MessageRejected, SESClient, SendRawEmailCommand } from "@aws-sdk/client-ses";
import {
	BatchGetCommand,
	DeleteCommand,
	DynamoDBDocumentClient,
	GetCommand,
	PutCommand,
	TransactWriteCommand,
	UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { simpleParser } from "mailparser";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkSignedUrl } from "../../../local/emulator/document-links.js";
import { readMailTags } from "../../../shared/platform/mail.js";

const ddbMock = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);
const sesMock = mockClient(SESClient);
const secretsMock = mockClient(SecretsManagerClient);
/** The document links' key pair: the private half in (mocked) Secrets Manager, as deployed. */
const linkKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const LINK_KEY_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:DocumentLinksPrivateKey-abc123";
let handler: (event: unknown, context: Context) => Promise<Record<string, number>>;

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

/** The table as the handler's reads (BatchGetItem, and GetItem for a delivery's event) see it: these items, nothing else. */
function storedItems(...items: Record<string, unknown>[]) {
	ddbMock.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => ({
		Item: items.find((i) => i.pk === input.Key.pk && i.sk === input.Key.sk),
	}));
	ddbMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string; sk: string }[] }> }) => {
		const [table, request] = Object.entries(input.RequestItems)[0] ?? [];
		const found = (request?.Keys ?? []).flatMap((k) => items.filter((i) => i.pk === k.pk && i.sk === k.sk));
		return { Responses: { [table ?? ""]: found } };
	});
}

/** The writes of delivery records, alone or in a transaction (where a settled delivery's event rides with them). */
function deliveryWrites<K extends "Put" | "Update">(kind: K) {
	const single = kind === "Put" ? ddbMock.commandCalls(PutCommand) : ddbMock.commandCalls(UpdateCommand);
	const alone = single.map((c) => c.args[0].input as Record<string, unknown>);
	const inTransactions = ddbMock
		.commandCalls(TransactWriteCommand)
		.flatMap((c) => (c.args[0].input.TransactItems ?? []).map((t) => t[kind] as Record<string, unknown> | undefined));
	return [...alone, ...inTransactions].filter((w): w is Record<string, unknown> => w !== undefined);
}

/** The event items written in transactions, as `<type> <invoice>`. */
function eventsWritten(): string[] {
	return ddbMock
		.commandCalls(TransactWriteCommand)
		.flatMap((c) => c.args[0].input.TransactItems ?? [])
		.map((t) => t.Put?.Item)
		.filter((i) => String(i?.sk ?? "").startsWith("EVENT#"))
		.map((i) => `${i?.type} ${i?.objectId}`);
}

function account(accountId: string, delivery: "email" | "postal") {
	return {
		accountId,
		name: accountId,
		email: `ap@${accountId.toLowerCase()}.example.com`,
		currency: "EUR",
		status: "active",
		taxRatePpm: 0,
		paymentTermsDays: 30,
		delivery,
		addressLines: ["1 Main St"],
		balance: 1000,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
	};
}

beforeAll(async () => {
	// The deployed configuration: the invoice link's key is read from Secrets Manager by its ARN. The link is signed with
	// that key, not with the role's credentials, so the clients (all mocked) need none.
	Object.assign(process.env, {
		TABLE_NAME: "t",
		BUCKET_NAME: "b",
		SENDER_EMAIL: "billing@example.com",
		SES_CONFIGURATION_SET: "billing-events",
		POWERTOOLS_LOG_LEVEL: "SILENT",
		AWS_REGION: "us-east-1",
		DOCUMENT_LINK_BASE_URL: "https://d111111abcdef8.cloudfront.net",
		DOCUMENT_LINK_KEY_PAIR_ID: "K2JCJMDEHXQW5F",
		DOCUMENT_LINK_PRIVATE_KEY_SECRET_ARN: LINK_KEY_SECRET_ARN,
	});
	({ handler } = (await import("../../../functions/deliver-invoices/handler.js")) as unknown as { handler: typeof handler });
});

beforeEach(() => {
	ddbMock.reset();
	s3Mock.reset();
	sesMock.reset();
	secretsMock.reset();
	secretsMock
		.on(GetSecretValueCommand, { SecretId: LINK_KEY_SECRET_ARN })
		.resolves({ SecretString: linkKeys.privateKey.export({ type: "pkcs8", format: "pem" }) as string });
});

describe("deliver-invoices handler", () => {
	it("records an invoice whose PDF is missing as failed, claims nothing for it, and emails the rest", async () => {
		storedItems(invoice("INV-1", "ACC-1"), invoice("INV-2", "ACC-2"));
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
		storedItems(invoice("INV-4", "ACC-4"), invoice("INV-5", "ACC-5"));
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
		// The failure is an update of the claimed record, so earlier attempts on it stay; its event rides with it.
		const delivery = deliveryWrites("Update")
			.filter((u) => (u.Key as { pk?: string; sk?: string })?.pk === "INVOICE#INV-4" && (u.Key as { sk?: string })?.sk === "DELIVERY#email")
			.at(-1)?.ExpressionAttributeValues as Record<string, unknown> | undefined;
		expect(delivery).toMatchObject({ ":failed": "failed" });
		expect(eventsWritten()).toContain("invoice.delivery_failed INV-4");
		expect(String(delivery?.[":reason"])).toMatch(/SES rejected ap@acc-4.example.com: Email address is not verified/);
		const failure = puts.find((i) => i?.pk === "RUN#2026-10");
		expect(failure).toMatchObject({ accountId: "ACC-4", stage: "deliver" });
		expect(sesMock.commandCalls(SendRawEmailCommand)).toHaveLength(2);
	});

	it("sends nothing for an invoice already delivered on this channel", async () => {
		storedItems(invoice("INV-3", "ACC-3"), {
			pk: "INVOICE#INV-3",
			sk: "DELIVERY#email",
			channel: "email",
			status: "sent",
			recipient: "acc-3@example.com",
			at: "2026-11-01T02:00:00.000Z",
		});
		const result = await handler({ billing, invoiceNumbers: ["INV-3"] }, context);
		expect(result).toMatchObject({ emailed: 0, alreadyDelivered: 1 });
		expect(sesMock.calls()).toHaveLength(0);
		expect(s3Mock.calls()).toHaveLength(0);
	});

	it("counts the batch's invoices emailed and queued for print, now or before", async () => {
		storedItems(
			invoice("INV-6", "ACC-6"),
			invoice("INV-7", "ACC-7"),
			invoice("INV-8", "ACC-8"),
			{ pk: "ACCOUNT#ACC-7", sk: "ACCOUNT", ...account("ACC-7", "postal") },
			{ pk: "INVOICE#INV-6", sk: "DELIVERY#email", channel: "email", status: "sent", at: "2026-11-01T02:00:00.000Z" },
		);
		ddbMock.on(PutCommand).resolves({});
		ddbMock.on(TransactWriteCommand).resolves({});
		ddbMock.on(UpdateCommand).resolves({});
		s3Mock
			.on(GetObjectCommand)
			.resolves({ Body: { transformToByteArray: async () => new Uint8Array(Buffer.from("%PDF-1.7 test")) } as never });
		sesMock.on(SendRawEmailCommand).resolves({ MessageId: "msg-8" });

		const result = await handler({ billing, invoiceNumbers: ["INV-6", "INV-7", "INV-8"] }, context);

		expect(result).toMatchObject({ emailed: 1, alreadyDelivered: 1, queuedForPrint: 1, invoiceEmailsSent: 2, postalInvoices: 1 });
		const queued = deliveryWrites("Put").map((p) => p.Item as Record<string, unknown> | undefined);
		expect(queued.find((i) => i?.sk === "DELIVERY#postal")).toMatchObject({ pk: "INVOICE#INV-7", status: "queued_for_print" });
		expect(eventsWritten()).toContain("invoice.delivered INV-7");
		expect(sesMock.commandCalls(SendRawEmailCommand).map((c) => c.args[0].input.Destinations)).toEqual([["ap@acc-8.example.com"]]);
	});

	it("claims a round's emails in one transaction before sending any, and marks them sent in another", async () => {
		storedItems(invoice("INV-11", "ACC-11"), invoice("INV-12", "ACC-12"), invoice("INV-13", "ACC-13"));
		ddbMock.on(TransactWriteCommand).resolves({});
		s3Mock
			.on(GetObjectCommand)
			.resolves({ Body: { transformToByteArray: async () => new Uint8Array(Buffer.from("%PDF-1.7 test")) } as never });
		sesMock.on(SendRawEmailCommand).resolves({ MessageId: "msg" });

		const result = await handler({ billing, invoiceNumbers: ["INV-11", "INV-12", "INV-13"] }, context);

		expect(result).toMatchObject({ emailed: 3, invoiceEmailsSent: 3, postalInvoices: 0 });
		const [claims, sent] = ddbMock.commandCalls(TransactWriteCommand).map((c) => c.args[0].input.TransactItems ?? []);
		expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(2);
		expect(claims?.map((i) => [i.Put?.Item?.pk, i.Put?.Item?.status, i.Put?.ConditionExpression])).toEqual(
			["INV-11", "INV-12", "INV-13"].map((n) => [`INVOICE#${n}`, "sending", "attribute_not_exists(pk)"]),
		);
		expect(sent?.filter((i) => i.Update).map((i) => [i.Update?.Key?.pk, i.Update?.ExpressionAttributeValues?.[":sent"]])).toEqual(
			["INV-11", "INV-12", "INV-13"].map((n) => [`INVOICE#${n}`, "sent"]),
		);
		// Each mark carries its invoice.delivered event in the same transaction.
		expect(sent?.filter((i) => i.Put).map((i) => `${i.Put?.Item?.type} ${i.Put?.Item?.objectId}`)).toEqual(
			["INV-11", "INV-12", "INV-13"].map((n) => `invoice.delivered ${n}`),
		);
		// Every claim was written before the first email went out.
		const [claimCall] = ddbMock.commandCalls(TransactWriteCommand);
		const [firstSend] = sesMock.commandCalls(SendRawEmailCommand);
		expect(claimCall && firstSend && claimCall.calledBefore(firstSend)).toBe(true);
	});

	it("marks a round's sends sent in the next round's claim transaction", async () => {
		const numbers = Array.from({ length: 7 }, (_, i) => `INV-3${i}`);
		storedItems(...numbers.map((n, i) => invoice(n, `ACC-3${i}`)));
		ddbMock.on(TransactWriteCommand).resolves({});
		s3Mock
			.on(GetObjectCommand)
			.resolves({ Body: { transformToByteArray: async () => new Uint8Array(Buffer.from("%PDF-1.7 test")) } as never });
		sesMock.on(SendRawEmailCommand).resolves({ MessageId: "msg" });

		const result = await handler({ billing, invoiceNumbers: numbers }, context);

		expect(result).toMatchObject({ emailed: 7, invoiceEmailsSent: 7 });
		const writes = ddbMock.commandCalls(TransactWriteCommand).map((c) =>
			(c.args[0].input.TransactItems ?? [])
				// A sent mark's event rides with it (checked in the test above).
				.filter((i) => !String(i.Put?.Item?.sk ?? "").startsWith("EVENT#"))
				.map((i) => (i.Put ? `claim ${i.Put.Item?.pk}` : `sent ${i.Update?.Key?.pk}`)),
		);
		const first = numbers.slice(0, 5);
		const second = numbers.slice(5);
		expect(writes).toEqual([
			first.map((n) => `claim INVOICE#${n}`),
			[...first.map((n) => `sent INVOICE#${n}`), ...second.map((n) => `claim INVOICE#${n}`)],
			second.map((n) => `sent INVOICE#${n}`),
		]);
	});

	it("marks what went out and releases what did not when SES fails for a while, and fails the batch to be retried", async () => {
		storedItems(invoice("INV-41", "ACC-41"), invoice("INV-42", "ACC-42"));
		ddbMock.on(TransactWriteCommand).resolves({});
		ddbMock.on(UpdateCommand).resolves({});
		ddbMock.on(DeleteCommand).resolves({});
		s3Mock
			.on(GetObjectCommand)
			.resolves({ Body: { transformToByteArray: async () => new Uint8Array(Buffer.from("%PDF-1.7 test")) } as never });
		sesMock.on(SendRawEmailCommand).resolves({ MessageId: "msg-41" });
		sesMock
			.on(SendRawEmailCommand, { Destinations: ["ap@acc-42.example.com"] })
			.rejects(Object.assign(new Error("Maximum sending rate exceeded."), { name: "Throttling" }));

		await expect(handler({ billing, invoiceNumbers: ["INV-41", "INV-42"] }, context)).rejects.toThrow(/sending invoice INV-42 failed/);

		const marked = deliveryWrites("Update").filter((u) => (u.ExpressionAttributeValues as Record<string, unknown>)?.[":sent"]);
		expect(
			marked.map((u) => [
				(u.Key as { pk: string }).pk,
				(u.ExpressionAttributeValues as Record<string, unknown>)[":sent"],
				(u.ExpressionAttributeValues as Record<string, unknown>)[":id"],
			]),
		).toEqual([["INVOICE#INV-41", "sent", "msg-41"]]);
		expect(ddbMock.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key)).toEqual([{ pk: "INVOICE#INV-42", sk: "DELIVERY#email" }]);
	});

	it("sends each email through the configuration set, tagged with its account and the delivery records it settles", async () => {
		storedItems(invoice("INV-51", "ACC-51"), {
			pk: "STATEMENT#ACC-51#2026-10",
			sk: "DELIVERY#email",
			channel: "email",
			status: "sent",
			at: "2026-11-01T02:00:00.000Z",
		});
		ddbMock.on(TransactWriteCommand).resolves({});
		ddbMock.on(UpdateCommand).resolves({});
		s3Mock
			.on(GetObjectCommand)
			.resolves({ Body: { transformToByteArray: async () => new Uint8Array(Buffer.from("%PDF-1.7 test")) } as never });
		sesMock.on(SendRawEmailCommand).resolves({ MessageId: "msg-51" });

		await handler({ billing, invoiceNumbers: ["INV-51"] }, context);

		const [send] = sesMock.commandCalls(SendRawEmailCommand).map((c) => c.args[0].input);
		expect(send?.ConfigurationSetName).toBe("billing-events");
		for (const tag of send?.Tags ?? []) expect(`${tag.Name}=${tag.Value}`).toMatch(/^[A-Za-z0-9_-]{1,256}=[A-Za-z0-9_-]{1,256}$/);
		// As an SES event shows them: name -> values.
		const shown = Object.fromEntries((send?.Tags ?? []).map((t) => [t.Name ?? "", [t.Value ?? ""]]));
		expect(readMailTags(shown)).toEqual({ kind: "invoice", accountId: "ACC-51", delivery: { pk: "INVOICE#INV-51", sk: "DELIVERY#email" } });
	});

	it("emails nothing to an address SES reported bouncing: the delivery fails with the reason and the way to correct it", async () => {
		const bounced = {
			...account("ACC-61", "email"),
			undeliverable: {
				address: "ap@acc-61.example.com",
				kind: "bounce",
				reason: "Permanent/General: smtp; 550 5.1.1 user unknown",
				at: "2026-10-20T08:00:00.000Z",
				messageId: "msg-earlier",
				feedbackId: "fb-1",
			},
		};
		storedItems(invoice("INV-61", "ACC-61"), { pk: "ACCOUNT#ACC-61", sk: "ACCOUNT", ...bounced });
		ddbMock.on(PutCommand).resolves({});
		ddbMock.on(UpdateCommand).resolves({});
		ddbMock.on(TransactWriteCommand).resolves({});

		const result = await handler({ billing, invoiceNumbers: ["INV-61"] }, context);

		expect(result).toMatchObject({ emailed: 0, failed: 1 });
		expect(sesMock.calls()).toHaveLength(0);
		// Nothing claimed: the one write is the failure, with its event.
		expect(deliveryWrites("Put").filter((p) => (p.Item as { status?: string })?.status === "sending")).toEqual([]);
		expect(eventsWritten()).toEqual(["invoice.delivery_failed INV-61"]);
		const failed = deliveryWrites("Update").find(
			(u) => (u.Key as { pk?: string })?.pk === "INVOICE#INV-61" && (u.Key as { sk?: string })?.sk === "DELIVERY#email",
		);
		expect(failed?.ConditionExpression).toBe("attribute_not_exists(pk)");
		expect((failed?.ExpressionAttributeValues as Record<string, unknown>)?.[":reason"]).toBe(
			"address ap@acc-61.example.com bounced on 2026-10-20: Permanent/General: smtp; 550 5.1.1 user unknown; correct it with billing accounts update ACC-61 --email <new address>",
		);
		const failure = ddbMock.commandCalls(PutCommand).find((c) => c.args[0].input.Item?.pk === "RUN#2026-10")?.args[0].input.Item;
		expect(failure).toMatchObject({ accountId: "ACC-61", stage: "deliver" });
	});

	it("links the invoice's PDF through the distribution, signed with the key from Secrets Manager, until the end of the day it names", async () => {
		storedItems(invoice("INV-51", "ACC-51"));
		ddbMock.on(TransactWriteCommand).resolves({});
		s3Mock
			.on(GetObjectCommand)
			.resolves({ Body: { transformToByteArray: async () => new Uint8Array(Buffer.from("%PDF-1.7 test")) } as never });
		sesMock.on(SendRawEmailCommand).resolves({ MessageId: "msg-51" });

		const before = Date.now();
		await handler({ billing, invoiceNumbers: ["INV-51"] }, context);

		const raw = sesMock.commandCalls(SendRawEmailCommand)[0]?.args[0].input.RawMessage?.Data as Uint8Array;
		const text = (await simpleParser(Buffer.from(raw))).text ?? "";
		const link = /Download invoice INV-51 \(PDF\): (\S+)/.exec(text)?.[1] as string;
		const lastDay = /\(the link works until (\d{4}-\d{2}-\d{2}) 23:59 UTC\)/.exec(text)?.[1] as string;
		expect(link.startsWith("https://d111111abcdef8.cloudfront.net/invoices/2026-10/INV-51.pdf?")).toBe(true);
		expect(link).not.toMatch(/X-Amz-/);
		const expires = Date.parse(`${lastDay}T00:00:00Z`) + 24 * 3600 * 1000;
		expect(Number(new URL(link).searchParams.get("Expires")) * 1000).toBe(expires);
		expect(expires - before).toBeGreaterThan(7 * 24 * 3600 * 1000);
		// CloudFront would take it: the key group's public key verifies the signature, and it holds until Expires.
		const trusted = { keyPairId: "K2JCJMDEHXQW5F", publicKey: linkKeys.publicKey };
		expect(checkSignedUrl(link, trusted, expires - 1000)).toEqual({ ok: true, key: "invoices/2026-10/INV-51.pdf" });
		expect(checkSignedUrl(link, trusted, expires)).toMatchObject({ ok: false, reason: "expired" });
		expect(checkSignedUrl(link.replace("Expires=", "Expires=%E0"), trusted, expires - 1000)).toEqual({
			ok: false,
			reason: "malformed query",
		});
	});

	it("refuses malformed input with a message naming the field", async () => {
		await expect(handler({ billing: { ...billing, period: "2026-13" }, invoiceNumbers: [] }, context)).rejects.toThrow(/billing.period/);
	});
});
