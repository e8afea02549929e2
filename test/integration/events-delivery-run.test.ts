import { randomUUID } from "node:crypto";
import { GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBillingCycle } from "../../local/cli/operations.js";
import { invokeLocalFunction, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { accountDetail } from "../../shared/desk/views/accounts.js";
import { invoiceDetail } from "../../shared/desk/views/invoices.js";
import type { BillingEvent } from "../../shared/events/catalog.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { type MailTags, messageTags } from "../../shared/platform/mail.js";
import { putAccount } from "../../shared/store/accounts.js";
import { claimDeliveries, claimDeliveriesTogether, getDelivery, markAllSent } from "../../shared/store/deliveries.js";
import { listEvents } from "../../shared/store/events.js";
import { keys } from "../../shared/store/keys.js";
import { getInvoiceNumberForPeriod } from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { startTestStack } from "../support/embedded.js";
import { schemaErrors } from "../support/event-schemas.js";

/*
 * The events the last write of a delivery and of a billing run carry (DESIGN.md section 14),
 * through the real handlers: exactly one invoice.delivered per invoice delivered, though the
 * delivery step runs again and SES's send events come after it; one invoice.delivery_failed
 * for a refused address and for a hard bounce, however often SES delivers it; one
 * billing_run.succeeded or billing_run.failed per run, however often its last state is
 * retried; account.created for an account the demo's seed stores. Each valid against its
 * published JSON Schema.
 */

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
const startedAt = new Date(Date.now() - 1000).toISOString();
const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
const plan = { code: "p", description: "Plan", unitAmount: 10_000, quantity: 1 };
const ACCOUNTS = ["DA", "DB", "DP", "DX"] as const;
let run: Awaited<ReturnType<typeof runBillingCycle>>;

const invoke = (id: string, payload: unknown) => invokeLocalFunction(localFunctionArn(id), payload) as Promise<Record<string, unknown>>;

async function invoiceOf(accountId: string, period = "2026-10"): Promise<string> {
	const number = await getInvoiceNumberForPeriod(table, accountId, period);
	if (!number) throw new Error(`${accountId} has no invoice for ${period}`);
	return number;
}

/** The event items in an object's partition, oldest first, as the table holds them. */
async function eventsIn(pk: string, type?: string): Promise<BillingEvent[]> {
	const out = await table.ddb.send(
		new QueryCommand({
			TableName: table.tableName,
			KeyConditionExpression: "pk = :pk AND begins_with(sk, :events)",
			ExpressionAttributeValues: { ":pk": pk, ":events": keys.eventPrefix },
			ConsistentRead: true,
		}),
	);
	return ((out.Items ?? []) as BillingEvent[]).filter((e) => type === undefined || e.type === type);
}

const deskInvoice = async (number: string) => (await invoiceDetail(table, number, "billing")).invoice;

/** The EventBridge event SES publishes for an email of ours (the fields the handler reads). */
function sesEvent(eventType: "Send" | "Bounce", sent: { messageId: string; to: string; tags: MailTags }, detail: object = {}) {
	const at = new Date().toISOString();
	return {
		version: "0",
		id: randomUUID(),
		"detail-type": eventType === "Send" ? "Email Sent" : "Email Bounced",
		source: "aws.ses",
		account: "123456789012",
		time: at,
		region: "us-east-1",
		resources: [],
		detail: {
			eventType,
			mail: {
				timestamp: at,
				messageId: sent.messageId,
				destination: [sent.to],
				tags: Object.fromEntries(messageTags(sent.tags).map((t) => [t.Name, [t.Value]])),
			},
			...detail,
		},
	};
}

/** The invoice email of the account's period as its delivery record has it. */
async function invoiceEmail(accountId: string, number: string) {
	const delivery = await getDelivery(table, keys.delivery(number, "email"));
	return {
		messageId: delivery?.messageId ?? "",
		to: delivery?.recipient ?? "",
		tags: {
			kind: "invoice",
			accountId,
			delivery: keys.delivery(number, "email"),
			attached: [keys.statementDelivery(accountId, "2026-10", "email")],
		} satisfies MailTags,
	};
}

beforeAll(async () => {
	stack = await startTestStack("events-delivery-run");
	table = { ddb: createClients().ddb, tableName: stack.tableName };
	for (const id of ACCOUNTS) {
		await putAccount(
			table,
			testAccount(id, {
				plan,
				email: id === "DX" ? "ap@nowhere" : `ap+${id.toLowerCase()}-${stack.tag}@example.com`,
				...(id === "DP" ? { delivery: "postal" as const } : {}),
			}),
		);
	}
	run = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-10", asOf: "2026-11-01" });
}, 120_000);

afterAll(async () => {
	await stack?.stop();
});

describe("the events of a delivery's outcome and of a run's end", () => {
	it("writes account.created for an account the demo's seed stores, account.updated for a change, none for the same again", async () => {
		const created = await eventsIn(keys.account("DA").pk);
		expect(created.map((e) => e.type)).toEqual(["account.created"]);
		// As stored, before the run billed it.
		expect(created[0]?.data).toEqual({ ...(await accountDetail(table, "DA", "billing")).account, balance: 0 });

		const seeded = testAccount("DS", { plan, name: "Seeded Ltd" });
		await putAccount(table, seeded);
		await putAccount(table, seeded);
		await putAccount(table, { ...seeded, name: "Seeded GmbH" });
		const events = await eventsIn(keys.account("DS").pk);
		expect(events.map((e) => e.type)).toEqual(["account.created", "account.updated"]);
		expect(events[1]?.data).toMatchObject({ name: "Seeded GmbH" });
		expect(events[1]?.data).toEqual((await accountDetail(table, "DS", "billing")).account);
	});

	it("writes one billing_run.succeeded for a run that got to its end, and none when Record Run Outcome runs again", async () => {
		expect(run.status).toBe("SUCCEEDED");
		const [succeeded, ...others] = await eventsIn(keys.run("2026-10"), "billing_run.succeeded");
		expect(others).toEqual([]);
		expect(succeeded).toMatchObject({ objectType: "billing_run", objectId: "2026-10" });
		expect(succeeded?.data).toMatchObject({ name: "billing-2026-10", period: "2026-10", status: "SUCCEEDED" });
		const data = succeeded?.data as { startDate: string; stopDate: string };
		expect(data.startDate <= data.stopDate).toBe(true);
		expect(succeeded?.occurredAt).toBe(data.stopDate);

		const again = await invoke("RecordRunOutcome", { execution: "billing-2026-10", startedAt: data.startDate, billing: october });
		expect(again).toMatchObject({ outcome: "recorded_before" });
		expect(await eventsIn(keys.run("2026-10"), "billing_run.succeeded")).toHaveLength(1);
		expect(await eventsIn(keys.run("2026-10"), "billing_run.failed")).toEqual([]);
	});

	it("writes one invoice.delivered per invoice the run delivered, though the delivery step runs again and SES's send events come after it", async () => {
		const numbers = await Promise.all(ACCOUNTS.map((id) => invoiceOf(id)));
		// The embedded SES hands each send to EmailEvents within a quarter second: it finds the deliveries marked.
		await new Promise((resolve) => setTimeout(resolve, 1000));
		const redriven = await invoke("DeliverInvoices", {
			billing: october,
			invoiceNumbers: numbers,
			items: ACCOUNTS.map((accountId) => ({ accountId })),
		});
		expect(redriven).toMatchObject({ emailed: 0, queuedForPrint: 0, alreadyDelivered: 3, failed: 1 });
		const [da] = numbers as [string];
		const sendAgain = await invoke("EmailEvents", sesEvent("Send", await invoiceEmail("DA", da)));
		expect(sendAgain).toMatchObject({ recorded: ["settled_before", "settled_before"] });

		for (const [index, id] of ACCOUNTS.entries()) {
			const number = numbers[index] as string;
			const events = await eventsIn(keys.invoice(number).pk);
			if (id === "DX") {
				expect(events.map((e) => e.type)).toEqual(["invoice.issued", "invoice.delivery_failed"]);
				expect(await getDelivery(table, keys.delivery(number, "email"))).toMatchObject({ status: "failed" });
			} else {
				expect(events.map((e) => e.type)).toEqual(["invoice.issued", "invoice.delivered"]);
			}
			expect(events[1]?.data).toEqual(await deskInvoice(number));
			expect(events[1]?.data).toMatchObject({ number, status: "open", total: 10_000, amountDue: 10_000 });
		}
		expect(await getDelivery(table, keys.delivery(numbers[2] as string, "postal"))).toMatchObject({ status: "queued_for_print" });
	});

	it("writes one invoice.delivery_failed for a hard bounce of the invoice email, however often SES delivers the event", async () => {
		const number = await invoiceOf("DB");
		const sent = await invoiceEmail("DB", number);
		expect(await getDelivery(table, keys.delivery(number, "email"))).toMatchObject({ status: "sent", messageId: sent.messageId });
		const bounce = sesEvent("Bounce", sent, {
			bounce: {
				bounceType: "Permanent",
				bounceSubType: "General",
				bouncedRecipients: [{ emailAddress: sent.to, status: "5.1.1", diagnosticCode: "smtp; 550 5.1.1 user unknown" }],
				timestamp: "2026-11-02T09:15:00.000Z",
				feedbackId: `0100019a-${randomUUID()}-000000`,
			},
		});
		expect(await invoke("EmailEvents", bounce)).toMatchObject({ recorded: ["marked_undeliverable"] });
		expect(await invoke("EmailEvents", bounce)).toMatchObject({ recorded: ["already_recorded"] });

		expect(await getDelivery(table, keys.delivery(number, "email"))).toMatchObject({
			status: "failed",
			reason: "the email bounced: Permanent/General: smtp; 550 5.1.1 user unknown",
		});
		const events = await eventsIn(keys.invoice(number).pk);
		expect(events.map((e) => e.type)).toEqual(["invoice.issued", "invoice.delivered", "invoice.delivery_failed"]);
		expect(events[2]?.data).toEqual(await deskInvoice(number));
	});

	it("writes the one invoice.delivered of a delivery a crash left claimed when SES's send event marks it; the re-driven step writes none", async () => {
		await putAccount(table, testAccount("DC", { plan, email: `ap+dc-${stack.tag}@example.com` }));
		const clients = createClients();
		const issued = await issueInvoiceForAccount(
			{ ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() },
			"DC",
			october,
		);
		if (issued.outcome === "nothing_to_bill") throw new Error("expected an invoice");
		const number = issued.invoiceNumber;
		// The sender crashed after its claim and SES's acceptance, before marking the delivery sent.
		await claimDeliveries(table, [keys.delivery(number, "email")], `ap+dc-${stack.tag}@example.com`, "2026-10");
		const send = sesEvent("Send", {
			messageId: `local-${randomUUID()}`,
			to: `ap+dc-${stack.tag}@example.com`,
			tags: { kind: "invoice", accountId: "DC", delivery: keys.delivery(number, "email"), attached: [] },
		});
		expect(await invoke("EmailEvents", send)).toMatchObject({ recorded: ["marked_sent"] });
		expect(await invoke("EmailEvents", send)).toMatchObject({ recorded: ["settled_before"] });
		const redriven = await invoke("DeliverInvoices", { billing: october, invoiceNumbers: [number], items: [] });
		expect(redriven).toMatchObject({ emailed: 0, alreadyDelivered: 1 });
		const delivered = await eventsIn(keys.invoice(number).pk, "invoice.delivered");
		expect(delivered).toHaveLength(1);
		expect(delivered[0]?.data).toEqual(await deskInvoice(number));
	});

	it("marks 60 invoice deliveries sent with their 60 events in transactions of at most 100 items; marking them again writes none", async () => {
		const number = await invoiceOf("DA");
		const stored = await table.ddb.send(new GetCommand({ TableName: table.tableName, Key: keys.invoice(number), ConsistentRead: true }));
		// 60 invoices like DA's, each under a number of its own.
		const numbers = Array.from({ length: 60 }, (_, i) => `INV-2099-${String(i + 1).padStart(6, "0")}`);
		for (const n of numbers) {
			await table.ddb.send(new PutCommand({ TableName: table.tableName, Item: { ...stored.Item, ...keys.invoice(n), number: n } }));
		}
		const deliveries = numbers.map((n) => keys.delivery(n, "email"));
		await claimDeliveriesTogether(table, [{ keys: deliveries, recipient: "ap@example.com", period: "2026-10" }]);
		const sent = deliveries.map((key, i) => ({ key, messageId: `local-${i}` }));
		await markAllSent(table, sent);
		await markAllSent(table, sent);
		for (const [i, n] of numbers.entries()) {
			expect(await getDelivery(table, deliveries[i] as { pk: string; sk: string })).toMatchObject({
				status: "sent",
				messageId: `local-${i}`,
			});
			const events = await eventsIn(keys.invoice(n).pk, "invoice.delivered");
			expect(events, n).toHaveLength(1);
			expect(events[0]?.data).toMatchObject({ number: n });
		}
	});

	it("writes one billing_run.failed for a run that stopped, with why, and none when Record Run Failure runs again", async () => {
		// An account record without a currency: no step can price it, and retrying will not help.
		await table.ddb.send(
			new PutCommand({
				TableName: stack.tableName,
				Item: { ...keys.account("ACC-BROKEN"), ...keys.accountListing("ACC-BROKEN"), accountId: "ACC-BROKEN", name: "Broken" },
			}),
		);
		const failed = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-11", asOf: "2026-12-01" });
		expect(failed.status).toBe("FAILED");
		const [event, ...others] = await eventsIn(keys.run("2026-11"), "billing_run.failed");
		expect(others).toEqual([]);
		expect(event).toMatchObject({ objectType: "billing_run", objectId: "2026-11" });
		expect(event?.data).toMatchObject({ name: "billing-2026-11", period: "2026-11", status: "FAILED" });
		expect(String(event?.data.error)).toMatch(/^CorruptRecordError: stored record ACCOUNT#ACC-BROKEN/);

		const again = await invoke("RecordRunFailure", {
			scope: "run",
			execution: "billing-2026-11",
			startedAt: event?.data.startDate,
			state: { period: "2026-11", failure: { Error: "CorruptRecordError", Cause: "stored record ACCOUNT#ACC-BROKEN is unreadable" } },
		});
		expect(again).toMatchObject({ outcome: "recorded_before" });
		expect(await eventsIn(keys.run("2026-11"))).toHaveLength(1);
	});

	it("writes every event valid against its published JSON Schema", async () => {
		const events = (await listEvents(table, { since: startedAt, limit: 10_000 })).items;
		const types = new Set(events.map((e) => e.type));
		for (const type of ["invoice.delivered", "invoice.delivery_failed", "billing_run.succeeded", "billing_run.failed", "account.created"]) {
			expect(types, type).toContain(type);
		}
		for (const event of events) expect(schemaErrors(event), event.type).toEqual([]);
	});
});
