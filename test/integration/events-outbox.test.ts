import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postStripeEvent } from "../../local/cli/operations.js";
import { LOCAL_STRIPE_WEBHOOK_SECRET } from "../../local/emulator/environment.js";
import { escalateOverdueAccounts } from "../../shared/collections/dunning.js";
import { writeOffInvoice } from "../../shared/collections/write-off.js";
import { addDays, resolveBillingPeriod } from "../../shared/core/period.js";
import { accountDetail } from "../../shared/desk/views/accounts.js";
import { invoiceDetail } from "../../shared/desk/views/invoices.js";
import { paymentDetail } from "../../shared/desk/views/payments.js";
import type { BillingEvent } from "../../shared/events/catalog.js";
import { importFiles } from "../../shared/imports/import.js";
import { uploadedSource } from "../../shared/imports/sources.js";
import { updateAccountDetails } from "../../shared/invoicing/accounts.js";
import { createCreditMemo } from "../../shared/invoicing/credit-memos.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { voidInvoice } from "../../shared/invoicing/void.js";
import { createClients } from "../../shared/platform/clients.js";
import { collectionsEmail, dunningConfig, sellerConfig } from "../../shared/platform/config.js";
import { closePeriod } from "../../shared/reporting/close.js";
import { DEFAULT_CHART } from "../../shared/reporting/journal.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listPeriodCloses } from "../../shared/store/books.js";
import { listEvents } from "../../shared/store/events.js";
import { keys } from "../../shared/store/keys.js";
import { testAccount } from "../support/accounts.js";
import { cliOn } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";
import { schemaErrors } from "../support/event-schemas.js";
import { stripeEvents } from "../support/stripe-events.js";

/*
 * The transactional outbox as a receiver would check it: real operations (a billing run's
 * invoices, signed Stripe webhooks, the desk's actions, an import) each leave their event in
 * the partition of the object they changed, carrying the object as the desk API shows it
 * after the change; a refused or repeated change leaves none; every event validates against
 * its published JSON Schema; `billing events list` shows them.
 */

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let http: string;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let clients: ReturnType<typeof createClients>;
let deps: Parameters<typeof issueInvoiceForAccount>[0];
const startedAt = new Date(Date.now() - 1000).toISOString();
const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
const invoices: Record<string, string> = {};
const IDS = ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8"];

const { paymentIntent, refund, dispute } = stripeEvents("o");

async function post(e: unknown): Promise<Record<string, unknown>> {
	const res = await postStripeEvent(http, e, LOCAL_STRIPE_WEBHOOK_SECRET);
	expect(res.status).toBe(200);
	return JSON.parse(res.body) as Record<string, unknown>;
}

/** The event items in an object's partition, oldest first, as the table holds them. */
async function eventsIn(pk: string): Promise<BillingEvent[]> {
	const out = await table.ddb.send(
		new QueryCommand({
			TableName: table.tableName,
			KeyConditionExpression: "pk = :pk AND begins_with(sk, :events)",
			ExpressionAttributeValues: { ":pk": pk, ":events": keys.eventPrefix },
			ConsistentRead: true,
		}),
	);
	return (out.Items ?? []) as BillingEvent[];
}

const ofType = (events: readonly BillingEvent[], type: string) => events.filter((e) => e.type === type);

async function allEvents(): Promise<BillingEvent[]> {
	return [...(await listEvents(table, { since: startedAt, limit: 10_000 })).items];
}

/** The invoice as the desk API shows it now. */
const deskInvoice = async (number: string) => (await invoiceDetail(table, number, "billing")).invoice;

/** The payment as the desk API shows it now, without what the desk adds for its dialog. */
async function deskPayment(paymentId: string) {
	const { allowedActions: _actions, candidates: _candidates, ...payment } = await paymentDetail(table, "stripe", paymentId, "billing");
	return payment;
}

beforeAll(async () => {
	stack = await startTestStack("events", { http: true, publishEvents: true });
	http = stack.endpoints.http as string;
	clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
	for (const id of IDS) {
		await putAccount(
			table,
			testAccount(`ACC-${id}`, {
				name: `Outbox ${id} Ltd`,
				email: `ap+${stack.tag}@example.com`,
				plan: { code: "p", description: "Plan", unitAmount: 10000, quantity: 1 },
				createdAt: new Date().toISOString(),
			}),
		);
		const issued = await issueInvoiceForAccount(deps, `ACC-${id}`, october);
		if (issued.outcome === "nothing_to_bill") throw new Error("expected an invoice");
		invoices[id] = issued.invoiceNumber;
	}
}, 60_000);

afterAll(async () => {
	await stack?.stop();
});

const inv = (id: string) => invoices[id] as string;

describe("the transactional outbox", () => {
	it("writes exactly one invoice.issued event per invoice issued, in the invoice's partition, carrying the invoice as the desk shows it", async () => {
		// The publisher numbers each object's events once it has read them off the table's stream.
		await stack.events.settled();
		for (const id of IDS) {
			const events = await eventsIn(keys.invoice(inv(id)).pk);
			expect(events.map((e) => e.type)).toEqual(["invoice.issued"]);
			const [issued] = events;
			expect(issued).toMatchObject({ version: 1, objectType: "invoice", objectId: inv(id) });
			expect(issued?.id).toMatch(/^evt_/);
			expect(issued?.sequence).toBe(1);
			expect(issued?.data).toEqual(await deskInvoice(inv(id)));
			expect(issued?.data).toMatchObject({ status: "open", total: 10000, amountPaid: 0, amountDue: 10000, currency: "USD" });
		}
	});

	it("writes payment.received and invoice.paid in the webhook's transaction, each carrying its object after the payment", async () => {
		expect(await post(paymentIntent("pi_O1", 10000, { invoice_number: inv("E1"), account_id: "ACC-E1" }))).toMatchObject({
			result: "applied",
		});
		const [received, ...others] = await eventsIn(keys.payment("stripe", "pi_O1").pk);
		expect(others).toEqual([]);
		expect(received).toMatchObject({ type: "payment.received", objectType: "payment", objectId: "stripe:pi_O1" });
		expect(received?.data).toMatchObject({ amount: 10000, currency: "USD", status: "applied", appliedAmount: 10000, unappliedAmount: 0 });
		expect(received?.data).toEqual(await deskPayment("pi_O1"));
		const paid = ofType(await eventsIn(keys.invoice(inv("E1")).pk), "invoice.paid");
		expect(paid).toHaveLength(1);
		expect(paid[0]?.data).toMatchObject({ status: "paid", amountPaid: 10000, amountDue: 0 });
		expect(paid[0]?.data).toEqual(await deskInvoice(inv("E1")));
	});

	it("writes invoice.partially_paid for a payment that leaves part due, and invoice.paid when the rest comes", async () => {
		await post(paymentIntent("pi_O2a", 2550, { invoice_number: inv("E2") }));
		const partial = ofType(await eventsIn(keys.invoice(inv("E2")).pk), "invoice.partially_paid");
		expect(partial).toHaveLength(1);
		expect(partial[0]?.data).toMatchObject({ status: "partially_paid", amountPaid: 2550, amountDue: 7450 });
		expect(partial[0]?.data).toEqual(await deskInvoice(inv("E2")));
		await post(paymentIntent("pi_O2b", 7450, { invoice_number: inv("E2") }));
		const events = await eventsIn(keys.invoice(inv("E2")).pk);
		expect(events.map((e) => e.type)).toEqual(["invoice.issued", "invoice.partially_paid", "invoice.paid"]);
		expect(events[2]?.data).toMatchObject({ status: "paid", amountPaid: 10000, amountDue: 0 });
	});

	it("writes payment.unapplied for cash it cannot place, with the reason", async () => {
		await post(paymentIntent("pi_O3", 4200, { invoice_number: "INV-NOPE-1" }));
		const events = await eventsIn(keys.payment("stripe", "pi_O3").pk);
		expect(events.map((e) => e.type)).toEqual(["payment.received", "payment.unapplied"]);
		expect(events[1]?.data).toMatchObject({ status: "unapplied", unappliedAmount: 4200, currency: "USD" });
		expect(String(events[1]?.data.unappliedReason)).toContain("INV-NOPE-1");
	});

	it("writes no event for a change that does not happen: a redelivered webhook, a second event for the same payment, a refused desk action", async () => {
		const before = (await allEvents()).length;
		const first = paymentIntent("pi_O4", 10000, { invoice_number: inv("E4") });
		await post(first);
		const afterFirst = await allEvents();
		expect(afterFirst.length).toBe(before + 2);
		expect(await post(first)).toMatchObject({ result: "duplicate_event" });
		expect(await post(paymentIntent("pi_O4", 10000, { invoice_number: inv("E4") }))).toMatchObject({ result: "duplicate_payment" });
		// Paid invoices are not voided: the desk refuses, and nothing is written.
		await expect(voidInvoice({ ...deps, actor: "dana@example.com" }, inv("E4"), "wrong customer")).rejects.toThrow(
			/payments or credit memos/,
		);
		expect((await allEvents()).map((e) => e.id)).toEqual(afterFirst.map((e) => e.id));
		expect(ofType(await eventsIn(keys.invoice(inv("E4")).pk), "invoice.paid")).toHaveLength(1);
	});

	it("writes payment.refunded with what went back, and dispute.opened and dispute.closed in the dispute's partition", async () => {
		await post(paymentIntent("pi_O5", 10000, { invoice_number: inv("E5") }));
		await post(refund("pi_O5", 3000));
		const refunded = ofType(await eventsIn(keys.payment("stripe", "pi_O5").pk), "payment.refunded");
		expect(refunded).toHaveLength(1);
		expect(refunded[0]?.data).toMatchObject({ refundedAmount: 3000, amount: 10000, currency: "USD" });
		expect(refunded[0]?.data).toEqual(await deskPayment("pi_O5"));
		// The refund makes part of the invoice due again: that is the payment's event, not a payment on the invoice.
		expect(await deskInvoice(inv("E5"))).toMatchObject({ status: "partially_paid", amountPaid: 7000, amountDue: 3000 });
		expect((await eventsIn(keys.invoice(inv("E5")).pk)).map((e) => e.type)).toEqual(["invoice.issued", "invoice.paid"]);

		await post(paymentIntent("pi_O6", 10000, { invoice_number: inv("E6") }));
		await post(dispute("created", "pi_O6", 10000, "needs_response"));
		await post(dispute("closed", "pi_O6", 10000, "won"));
		const disputeEvents = await eventsIn(keys.dispute("dp_pi_O6").pk);
		expect(disputeEvents.map((e) => e.type)).toEqual(["dispute.opened", "dispute.closed"]);
		expect(disputeEvents.map((e) => e.objectId)).toEqual(["dp_pi_O6", "dp_pi_O6"]);
		expect(disputeEvents[0]?.data.dispute).toMatchObject({ status: "open", amount: 10000 });
		expect(disputeEvents[1]?.data.dispute).toMatchObject({ status: "won", amount: 10000 });
		expect(disputeEvents[1]?.data).toEqual(await deskPayment("pi_O6"));
	});

	it("writes invoice.voided, invoice.written_off and credit_memo.issued with the desk's view after each", async () => {
		await voidInvoice({ ...deps, actor: "dana@example.com" }, inv("E7"), "billed the wrong entity");
		const voided = ofType(await eventsIn(keys.invoice(inv("E7")).pk), "invoice.voided");
		expect(voided).toHaveLength(1);
		expect(voided[0]?.data).toMatchObject({ status: "void", amountDue: 0, voidReason: "billed the wrong entity" });
		expect(voided[0]?.data).toEqual(await deskInvoice(inv("E7")));

		const memo = await createCreditMemo(
			{ ...deps, actor: "dana@example.com" },
			{ invoiceNumber: inv("E8"), amount: 1250, reason: "goodwill" },
		);
		const issued = await eventsIn(keys.creditMemo(memo.number).pk);
		expect(issued.map((e) => e.type)).toEqual(["credit_memo.issued"]);
		expect(issued[0]?.data).toMatchObject({
			number: memo.number,
			invoiceNumber: inv("E8"),
			amount: 1250,
			appliedToInvoice: 1250,
			currency: "USD",
		});

		await writeOffInvoice({ ...table, actor: "dana@example.com" }, inv("E8"), "customer gone");
		const writtenOff = ofType(await eventsIn(keys.invoice(inv("E8")).pk), "invoice.written_off");
		expect(writtenOff).toHaveLength(1);
		expect(writtenOff[0]?.data).toMatchObject({ status: "uncollectible", amountWrittenOff: 8750, amountDue: 0, credited: 1250 });
		expect(writtenOff[0]?.data).toEqual(await deskInvoice(inv("E8")));
	});

	it("writes account.created for an imported account, and account.updated for a change at the desk and by an import", async () => {
		const csv = ["account_id,name,currency,email", "ACC-ENEW,New Customer Ltd,USD,ap@new.example.com"].join("\n");
		await importFiles({ ...table, actor: "import-bot" }, [uploadedSource("accounts.csv", csv)]);
		const created = await eventsIn(keys.account("ACC-ENEW").pk);
		expect(created.map((e) => e.type)).toEqual(["account.created"]);
		expect(created[0]?.data).toEqual((await accountDetail(table, "ACC-ENEW", "billing")).account);
		expect(created[0]?.data).toMatchObject({ balance: 0, currency: "USD", email: "ap@new.example.com" });

		await updateAccountDetails({ ...table, actor: "dana@example.com" }, "ACC-ENEW", { email: "billing@new.example.com" }, "new AP inbox");
		const events = await eventsIn(keys.account("ACC-ENEW").pk);
		expect(events.map((e) => e.type)).toEqual(["account.created", "account.updated"]);
		expect(events[1]?.data).toEqual((await accountDetail(table, "ACC-ENEW", "billing")).account);
		expect(events[1]?.data).toMatchObject({ email: "billing@new.example.com" });

		// The CRM renames the customer: the import's change carries the whole account, the desk's email kept.
		const renamed = ["account_id,name,currency,email", "ACC-ENEW,New Customer GmbH,USD,billing@new.example.com"].join("\n");
		await importFiles({ ...table, actor: "import-bot" }, [uploadedSource("accounts.csv", renamed)]);
		const afterImport = await eventsIn(keys.account("ACC-ENEW").pk);
		expect(afterImport.map((e) => e.type)).toEqual(["account.created", "account.updated", "account.updated"]);
		expect(afterImport[2]?.data).toEqual((await accountDetail(table, "ACC-ENEW", "billing")).account);
		expect(afterImport[2]?.data).toMatchObject({ name: "New Customer GmbH", email: "billing@new.example.com", balance: 0 });
		// The same file again changes nothing, and writes no event.
		await importFiles({ ...table, actor: "import-bot" }, [uploadedSource("accounts.csv", renamed)]);
		expect(await eventsIn(keys.account("ACC-ENEW").pk)).toHaveLength(3);
	});

	it("writes invoice.overdue once, with the first notice, and account.sent_to_collections when the account is handed over", async () => {
		const dueDate = (await deskInvoice(inv("E3"))).dueDate;
		const escalation = {
			...clients,
			tableName: stack.tableName,
			bucketName: stack.bucketName,
			seller: sellerConfig(),
			stages: dunningConfig(),
			collectionsEmail: collectionsEmail(),
		};
		const result = await escalateOverdueAccounts(escalation, addDays(dueDate, 35));
		expect(result.accountsSentToCollections).toContain("ACC-E3");
		await escalateOverdueAccounts(escalation, addDays(dueDate, 36));
		const overdue = ofType(await eventsIn(keys.invoice(inv("E3")).pk), "invoice.overdue");
		expect(overdue).toHaveLength(1);
		expect(overdue[0]?.data).toMatchObject({ status: "open", amountDue: 10000, dueDate });
		expect(overdue[0]?.data).toEqual(await deskInvoice(inv("E3")));
		const handedOver = ofType(await eventsIn(keys.account("ACC-E3").pk), "account.sent_to_collections");
		expect(handedOver).toHaveLength(1);
		expect(handedOver[0]?.data).toMatchObject({ accountId: "ACC-E3", status: "in_collections", balance: 10000 });
		expect(handedOver[0]?.data).toEqual((await accountDetail(table, "ACC-E3", "billing")).account);
	});

	it("writes books.closed with the period's close record when the books are closed", async () => {
		const closed = await closePeriod({ ...deps }, "2026-09", {
			actor: "controller@example.com",
			today: "2026-12-07",
			chart: DEFAULT_CHART,
			force: true,
			reason: "test month",
		});
		const [event, ...others] = ofType(await eventsIn("BOOKS"), "books.closed");
		expect(others).toEqual([]);
		expect(event).toMatchObject({ objectType: "books", objectId: "2026-09" });
		expect(event?.data).toEqual((await listPeriodCloses(table)).find((c) => c.period === "2026-09"));
		expect(event?.data).toMatchObject({ period: "2026-09", actor: "controller@example.com", files: closed.files });
	});

	it("lists every event by time, each with a unique id and valid against its published JSON Schema", async () => {
		const events = await allEvents();
		expect(events.length).toBeGreaterThanOrEqual(30);
		expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
		const times = events.map((e) => `${e.occurredAt}#${e.id}`);
		expect(times).toEqual([...times].sort());
		for (const event of events) expect(schemaErrors(event), event.type).toEqual([]);
	});

	it("billing events list shows them, filtered by --type", async () => {
		const billing = cliOn(stack);
		const all = await billing("events", "list", "--since", startedAt, "--json");
		expect(all.code, all.stderr).toBe(0);
		const listed = JSON.parse(all.stdout) as BillingEvent[];
		expect(listed.map((e) => e.id)).toEqual((await allEvents()).map((e) => e.id));

		const paid = await billing("events", "list", "--since", startedAt, "--type", "invoice.paid", "--json");
		expect(paid.code, paid.stderr).toBe(0);
		const paidEvents = JSON.parse(paid.stdout) as BillingEvent[];
		expect(paidEvents.map((e) => e.objectId).sort()).toEqual([inv("E1"), inv("E2"), inv("E4"), inv("E5"), inv("E6")].sort());

		const text = await billing("events", "list", "--since", startedAt, "--type", "credit_memo.issued");
		expect(text.code, text.stderr).toBe(0);
		expect(text.stdout.split("\n")[0]).toMatch(/^occurredAt\s+type\s+objectId\s+id\s+sequence$/);
		expect(text.stdout).toContain("credit_memo.issued");

		const refused = await billing("events", "list", "--type", "invoice.unknown");
		expect(refused.code).toBe(2);
		expect(refused.stderr).toContain("--type: one of invoice.issued");
	});
});
