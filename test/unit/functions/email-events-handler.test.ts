import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type MailTags, messageTags } from "../../../shared/platform/mail.js";

/**
 * The EmailEvents function (DESIGN.md section 15) on the events SES publishes to EventBridge:
 * what it writes for a bounce or a complaint, and what it leaves alone.
 */

const ddbMock = mockClient(DynamoDBDocumentClient);
let handler: (event: unknown, context: Context) => Promise<Record<string, unknown>>;
const context = { functionName: "EmailEvents", awsRequestId: "req-1", getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

const ACCOUNT = {
	pk: "ACCOUNT#ACC-1",
	sk: "ACCOUNT",
	accountId: "ACC-1",
	name: "Acme",
	email: "ap@acme.example.com",
	currency: "EUR",
	status: "active",
	taxRatePpm: 0,
	paymentTermsDays: 30,
	delivery: "email",
	addressLines: [],
	balance: 1000,
	creditBalance: 0,
	createdAt: "2026-01-01T00:00:00.000Z",
};
const INVOICE_TAGS: MailTags = {
	kind: "invoice",
	accountId: "ACC-1",
	delivery: { pk: "INVOICE#INV-1", sk: "DELIVERY#email" },
	attached: [{ pk: "STATEMENT#ACC-1#2026-10", sk: "DELIVERY#email" }],
};

/** `tags` null: an email of another sender through the same set (SES's tags only). */
function event(detailType: string, eventType: string, detail: object, tags: MailTags | null = INVOICE_TAGS) {
	return {
		version: "0",
		id: "3c8e2b5a-0000-4000-8000-000000000001",
		"detail-type": detailType,
		source: "aws.ses",
		account: "123456789012",
		time: "2026-11-02T09:15:01Z",
		region: "eu-west-1",
		resources: ["arn:aws:ses:eu-west-1:123456789012:configuration-set/billing-events"],
		detail: {
			eventType,
			mail: {
				timestamp: "2026-11-02T09:15:00.000Z",
				source: "billing@example.com",
				messageId: "0102019a-msg",
				destination: ["ap@acme.example.com"],
				tags: {
					"ses:configuration-set": ["billing-events"],
					...Object.fromEntries((tags ? messageTags(tags) : []).map((t) => [t.Name, [t.Value]])),
				},
			},
			...detail,
		},
	};
}

const bounce = (bounceType: string, bounceSubType: string) => ({
	bounce: {
		bounceType,
		bounceSubType,
		bouncedRecipients: [
			{ emailAddress: "ap@acme.example.com", action: "failed", status: "5.1.1", diagnosticCode: "smtp; 550 5.1.1 user unknown" },
		],
		timestamp: "2026-11-02T09:15:00.500Z",
		feedbackId: "0102019a-feedback",
	},
});

const writes = () => ddbMock.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems ?? []);

beforeAll(async () => {
	Object.assign(process.env, { TABLE_NAME: "t", POWERTOOLS_LOG_LEVEL: "SILENT", AWS_REGION: "us-east-1" });
	({ handler } = (await import("../../../functions/email-events/handler.js")) as unknown as { handler: typeof handler });
});

/** The invoice email's delivery record, as the sender marked it. */
const SENT = {
	pk: "INVOICE#INV-1",
	sk: "DELIVERY#email",
	channel: "email",
	status: "sent",
	messageId: "0102019a-msg",
	at: "2026-11-02T09:14:59.000Z",
};

beforeEach(() => {
	ddbMock.reset();
	// The account; no delivery record and no invoice unless a test says so.
	ddbMock.on(GetCommand).resolves({});
	ddbMock.on(GetCommand, { Key: { pk: "ACCOUNT#ACC-1", sk: "ACCOUNT" } }).resolves({ Item: ACCOUNT });
	ddbMock.on(TransactWriteCommand).resolves({});
});

describe("email-events handler", () => {
	it("marks the account's address on a permanent bounce: the report's record, the mark on the address as read, the audit entry", async () => {
		const result = await handler(event("Email Bounced", "Bounce", bounce("Permanent", "General")), context);

		expect(result).toEqual({
			eventType: "Bounce",
			messageId: "0102019a-msg",
			kind: "invoice",
			accountId: "ACC-1",
			recorded: ["marked_undeliverable"],
		});
		const [record, mark, audit] = writes();
		expect(record?.Put).toMatchObject({
			Item: { pk: "EMAIL_FEEDBACK#0102019a-feedback", sk: "ap@acme.example.com", ttl: expect.any(Number) },
			ConditionExpression: "attribute_not_exists(pk)",
		});
		expect(mark?.Update).toMatchObject({
			Key: { pk: "ACCOUNT#ACC-1", sk: "ACCOUNT" },
			ConditionExpression: "email = :email AND attribute_not_exists(undeliverable)",
			ExpressionAttributeValues: {
				":email": "ap@acme.example.com",
				":listing": "UNDELIVERABLE_ADDRESSES",
				":mark": {
					address: "ap@acme.example.com",
					kind: "bounce",
					reason: "Permanent/General: smtp; 550 5.1.1 user unknown",
					at: "2026-11-02T09:15:00.500Z",
					messageId: "0102019a-msg",
					feedbackId: "0102019a-feedback",
					document: "invoice INV-1",
				},
			},
		});
		expect(audit?.Put?.Item).toMatchObject({ pk: "ACCOUNT#ACC-1", action: "email_undeliverable", actor: "ses:bounce" });
	});

	it("fails the delivery the bounced email carried, on its record as read, in the report's transaction", async () => {
		ddbMock.on(GetCommand, { Key: { pk: "INVOICE#INV-1", sk: "DELIVERY#email" } }).resolves({ Item: SENT });
		const result = await handler(event("Email Bounced", "Bounce", bounce("Permanent", "General")), context);
		expect(result.recorded).toEqual(["marked_undeliverable"]);
		const [record, , , failed, ...rest] = writes();
		expect(record?.Put?.Item).toMatchObject({ pk: "EMAIL_FEEDBACK#0102019a-feedback" });
		expect(failed?.Update).toMatchObject({
			Key: { pk: "INVOICE#INV-1", sk: "DELIVERY#email" },
			ConditionExpression: "#status = :readStatus AND #at = :readAt",
			ExpressionAttributeValues: {
				":failed": "failed",
				":reason": "the email bounced: Permanent/General: smtp; 550 5.1.1 user unknown",
				":readStatus": "sent",
				":readAt": SENT.at,
			},
		});
		// The statement it carried has no record here; the invoice (its event's data) is not found either: nothing more.
		expect(rest).toEqual([]);

		// A bounce of an earlier attempt (the invoice was resent since, with another message) leaves the delivery alone.
		ddbMock.resetHistory();
		ddbMock
			.on(GetCommand, { Key: { pk: "INVOICE#INV-1", sk: "DELIVERY#email" } })
			.resolves({ Item: { ...SENT, messageId: "0102019c-resent" } });
		await handler(
			event("Email Bounced", "Bounce", { bounce: { ...bounce("Permanent", "General").bounce, feedbackId: "0102019a-other" } }),
			context,
		);
		expect(writes().some((w) => w.Update?.Key?.pk === "INVOICE#INV-1")).toBe(false);
	});

	it("writes nothing again for a report recorded before (SES delivers an event at least once)", async () => {
		ddbMock.on(TransactWriteCommand).rejects(
			new TransactionCanceledException({
				message: "Transaction cancelled",
				$metadata: {},
				CancellationReasons: [{ Code: "ConditionalCheckFailed" }, { Code: "None" }, { Code: "None" }],
			}),
		);
		const result = await handler(event("Email Bounced", "Bounce", bounce("Permanent", "General")), context);
		expect(result.recorded).toEqual(["already_recorded"]);
		expect(ddbMock.commandCalls(TransactWriteCommand)).toHaveLength(1);
	});

	it("records a transient or undetermined bounce without marking the address", async () => {
		for (const type of ["Transient", "Undetermined"]) {
			ddbMock.resetHistory();
			const result = await handler(event("Email Bounced", "Bounce", bounce(type, "General")), context);
			expect(result.recorded).toEqual(["recorded_transient"]);
			expect(writes().map((w) => (w.Put ? `put ${w.Put.Item?.action ?? w.Put.Item?.pk}` : "update"))).toEqual([
				"put EMAIL_FEEDBACK#0102019a-feedback",
				"put email_soft_bounced",
			]);
		}
	});

	it("marks on a complaint, with the feedback type", async () => {
		const result = await handler(
			event("Email Complaint Received", "Complaint", {
				complaint: {
					complainedRecipients: [{ emailAddress: "ap@acme.example.com" }],
					timestamp: "2026-11-03T10:00:00.000Z",
					feedbackId: "0102019b-feedback",
					complaintFeedbackType: "abuse",
				},
			}),
			context,
		);
		expect(result.recorded).toEqual(["marked_undeliverable"]);
		expect(writes()[1]?.Update?.ExpressionAttributeValues?.[":mark"]).toMatchObject({
			kind: "complaint",
			reason: "marked as spam, feedback type abuse",
		});
		expect(writes()[2]?.Put?.Item).toMatchObject({ actor: "ses:complaint" });
	});

	it("does not mark the account's new address for a bounce of its former one", async () => {
		ddbMock
			.on(GetCommand, { Key: { pk: "ACCOUNT#ACC-1", sk: "ACCOUNT" } })
			.resolves({ Item: { ...ACCOUNT, email: "billing@acme.example.com" } });
		const result = await handler(event("Email Bounced", "Bounce", bounce("Permanent", "General")), context);
		expect(result.recorded).toEqual(["former_address"]);
		expect(writes().some((w) => w.Update)).toBe(false);
	});

	it("leaves alone an email that is not ours, one for no account, and the events that report no failure", async () => {
		expect((await handler(event("Email Bounced", "Bounce", bounce("Permanent", "General"), null), context)).recorded).toEqual(["not_ours"]);
		const collections = event("Email Bounced", "Bounce", bounce("Permanent", "General"), { kind: "collections" });
		expect((await handler(collections, context)).recorded).toEqual(["no_account"]);
		for (const [detailType, eventType] of [
			["Email Delivered", "Delivery"],
			["Email Rejected", "Reject"],
			["Email Rendering Failed", "Rendering Failure"],
			["Email Delivery Delayed", "DeliveryDelay"],
		] as const) {
			expect(await handler(event(detailType, eventType, {}), context)).toMatchObject({ eventType, accountId: "ACC-1", recorded: [] });
		}
		expect(ddbMock.calls()).toHaveLength(0);
	});

	it("marks the deliveries a sent email carries sent, if a crash left them claimed, and leaves them once settled", async () => {
		// Each mark is a transaction with its event (none here: no invoice is found); the second finds its delivery settled.
		ddbMock
			.on(TransactWriteCommand)
			.resolvesOnce({})
			.rejectsOnce(
				new TransactionCanceledException({ message: "settled", $metadata: {}, CancellationReasons: [{ Code: "ConditionalCheckFailed" }] }),
			);
		const sent = await handler(event("Email Sent", "Send", { send: {} }), context);

		expect(sent).toMatchObject({ eventType: "Send", accountId: "ACC-1", recorded: ["marked_sent", "settled_before"] });
		expect(ddbMock.commandCalls(UpdateCommand)).toEqual([]);
		const updates = writes().map((w) => w.Update as NonNullable<typeof w.Update>);
		expect(updates.map((u) => u.Key)).toEqual([
			{ pk: "INVOICE#INV-1", sk: "DELIVERY#email" },
			{ pk: "STATEMENT#ACC-1#2026-10", sk: "DELIVERY#email" },
		]);
		for (const u of updates) {
			// Only a claim still sending: a delivery marked sent or failed before is never rewritten.
			expect(u.ConditionExpression).toBe("#status = :sending");
			expect(u.ExpressionAttributeValues).toMatchObject({ ":sent": "sent", ":id": "0102019a-msg", ":sending": "sending" });
			expect(u.UpdateExpression).toMatch(/REMOVE gsi2pk, gsi2sk/);
		}
	});

	it("refuses an event that is not SES's, naming the field (Lambda retries it, then it lands in the dead-letter queue)", async () => {
		await expect(handler({ ...event("Email Bounced", "Bounce", {}), source: "aws.s3" }, context)).rejects.toThrow(/source/);
		await expect(handler(event("Email Bounced", "Bounce", {}), context)).rejects.toThrow(/detail.bounce/);
	});
});
