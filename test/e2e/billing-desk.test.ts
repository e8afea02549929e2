import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../../shared/core/model.js";
import { parseMajorUnits } from "../../shared/core/money.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { recordPayment } from "../../shared/payments/recording.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { getDelivery } from "../../shared/store/deliveries.js";
import { keys } from "../../shared/store/keys.js";
import { getPayment } from "../../shared/store/payments.js";
import { getAccount, getInvoice, listInvoicesOfAccount, listLedgerEntries, listUnappliedPayments } from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { sentMail, startTestStack } from "../support/embedded.js";

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let invoiceNumber: string;
const ACTOR = "cli:dana";

const plan = { code: "p", description: "Plan", unitAmount: 10_000, quantity: 1 };
const pay = (paymentId: string, amount: number, named: { accountId?: string; invoiceNumber?: string }, currency = "USD") =>
	recordPayment(
		table,
		{
			provider: "stripe",
			eventId: `evt_${paymentId}`,
			paymentId,
			amount,
			currency,
			receivedAt: "2026-11-05T10:00:00.000Z",
			...named,
		},
		"payment_intent.succeeded",
		"{}",
	);

/** Everything a refused action must leave as it was. */
async function snapshot(accountId: string) {
	return {
		account: await getAccount(table, accountId),
		invoice: await getInvoice(table, invoiceNumber),
		ledger: await listLedgerEntries(table, accountId),
		accountAudit: await listAuditEntries(table, "account", accountId),
		invoiceAudit: await listAuditEntries(table, "invoice", invoiceNumber),
		payment: await getPayment(table, "stripe", "pi_desk"),
	};
}

async function expectRefused(result: CliResult, message: RegExp, before: Awaited<ReturnType<typeof snapshot>>, accountId = "DESK-A") {
	expect(result.code).toBe(2);
	expect(result.stderr).toMatch(message);
	expect(await snapshot(accountId)).toEqual(before);
}

beforeAll(async () => {
	stack = await startTestStack("desk");
	// Dozens of commands: the CLI program runs in this process (bin/billing.mjs in its own process is tested elsewhere).
	billing = cliInProcess(stack);
	const clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	await putAccount(table, testAccount("DESK-A", { plan }));
	await putAccount(table, testAccount("DESK-B"));
	await putAccount(table, testAccount("DESK-C", { plan }));
	const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
	const issued = await issueInvoiceForAccount(
		{ ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() },
		"DESK-A",
		period,
	);
	invoiceNumber = "invoiceNumber" in issued ? issued.invoiceNumber : "";
	// Paid naming a customer that does not exist: unapplied, waiting for a person.
	expect(await pay("pi_desk", 6000, { accountId: "DESK-TYPO" })).toMatchObject({ result: "unapplied" });
	// Paid with no invoice open: all of it is DESK-B's credit.
	expect(await pay("pi_credit", 2500, { accountId: "DESK-B" })).toMatchObject({ result: "applied", creditedAmount: 2500 });
}, 60_000);

afterAll(async () => {
	await stack?.stop();
});

describe("the billing desk through the CLI", () => {
	it("applies unapplied cash to an invoice by hand, and refuses more than is unapplied", async () => {
		const before = await snapshot("DESK-A");
		await expectRefused(
			await billing("payments", "apply", "stripe:pi_desk", "--invoice", invoiceNumber, "--amount", "70.00", "--actor", ACTOR),
			/only USD 60\.00 of it is unapplied/,
			before,
		);
		await expectRefused(await billing("payments", "apply", "pi_desk", "--invoice", invoiceNumber), /PROVIDER:ID/, before);

		const applied = await billing("payments", "apply", "stripe:pi_desk", "--invoice", invoiceNumber, "--actor", ACTOR, "--json");
		expect(applied.code).toBe(0);
		expect(await getPayment(table, "stripe", "pi_desk")).toMatchObject({
			status: "applied",
			accountId: "DESK-A",
			appliedAmount: 6000,
			unappliedAmount: 0,
			applications: [{ invoiceNumber, amount: 6000 }],
		});
		expect(await getInvoice(table, invoiceNumber)).toMatchObject({ status: "partially_paid", amountPaid: 6000, amountDue: 4000 });
		expect(await getAccount(table, "DESK-A")).toMatchObject({ balance: 4000, creditBalance: 0 });
		const entries = (await listLedgerEntries(table, "DESK-A")).filter((e) => e.type === "payment_applied");
		expect(entries).toMatchObject([{ amount: -6000, invoiceNumber, reference: `stripe:pi_desk -> ${invoiceNumber}` }]);
		expect((await listAuditEntries(table, "invoice", invoiceNumber)).at(-1)).toMatchObject({
			action: "payment_applied",
			actor: ACTOR,
			reason: "stripe:pi_desk",
			after: { amountPaid: 6000, amountDue: 4000 },
		});
		const again = await snapshot("DESK-A");
		await expectRefused(
			await billing("payments", "apply", "stripe:pi_desk", "--invoice", invoiceNumber, "--actor", ACTOR),
			/nothing of it is unapplied/,
			again,
		);
	});

	it("takes a wrong application back: the invoice owes it again and the cash waits for a person, not the automatic match", async () => {
		// Another customer typed DESK-A's invoice number: the automatic match applied it there.
		expect(await pay("pi_wrong", 3000, { invoiceNumber })).toMatchObject({ result: "applied" });
		expect(await getInvoice(table, invoiceNumber)).toMatchObject({ amountPaid: 9000, amountDue: 1000 });
		const before = await snapshot("DESK-A");
		await expectRefused(
			await billing("payments", "unapply", "stripe:pi_wrong", "--invoice", "INV-NOPE", "--reason", "typo", "--actor", ACTOR),
			/is not applied to that invoice/,
			before,
		);

		const unapplied = await billing(
			"payments",
			"unapply",
			"stripe:pi_wrong",
			"--invoice",
			invoiceNumber,
			"--reason",
			"paid by another customer",
			"--actor",
			ACTOR,
		);
		expect(unapplied.code).toBe(0);
		expect(await getPayment(table, "stripe", "pi_wrong")).toMatchObject({
			status: "unapplied",
			applications: [],
			appliedAmount: 0,
			unappliedAmount: 3000,
			matchByHand: true,
			unappliedReason: `taken back from ${invoiceNumber} by ${ACTOR}: paid by another customer`,
		});
		expect(await getInvoice(table, invoiceNumber)).toMatchObject({ status: "partially_paid", amountPaid: 6000, amountDue: 4000 });
		expect(await getAccount(table, "DESK-A")).toMatchObject({ balance: 4000 });
		expect((await listLedgerEntries(table, "DESK-A")).at(-1)).toMatchObject({ type: "payment_unapplied", amount: 3000, invoiceNumber });
		expect((await listAuditEntries(table, "invoice", invoiceNumber)).at(-1)).toMatchObject({
			action: "payment_unapplied",
			actor: ACTOR,
			after: { amountPaid: 6000, amountDue: 4000 },
		});
		// The reconcile step does not match it to the invoice it names again: that is left to a person now.
		expect((await billing("reconcile", "--period", "2026-10")).code).toBe(0);
		expect(await getPayment(table, "stripe", "pi_wrong")).toMatchObject({ status: "unapplied", unappliedAmount: 3000 });
		expect((await listUnappliedPayments(table)).map((p) => p.paymentId)).toContain("pi_wrong");
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("holds an invoice with a reason and releases it; releasing one not on hold is refused", async () => {
		expect((await billing("invoices", "hold", invoiceNumber, "--reason", "customer disputes the seat count", "--actor", ACTOR)).code).toBe(
			0,
		);
		expect((await getInvoice(table, invoiceNumber))?.hold).toMatchObject({ reason: "customer disputes the seat count" });
		expect((await listAuditEntries(table, "invoice", invoiceNumber)).at(-1)).toMatchObject({
			action: "hold_set",
			actor: ACTOR,
			reason: "customer disputes the seat count",
		});
		expect((await billing("invoices", "release", invoiceNumber, "--reason", "seat count confirmed", "--actor", ACTOR)).code).toBe(0);
		expect((await getInvoice(table, invoiceNumber))?.hold).toBeUndefined();
		expect((await listAuditEntries(table, "invoice", invoiceNumber)).at(-1)).toMatchObject({
			action: "hold_released",
			actor: ACTOR,
			reason: "seat count confirmed",
			after: { hold: null },
		});
		await expectRefused(await billing("invoices", "release", invoiceNumber), /is not on hold/, await snapshot("DESK-A"));
	});

	it("reverses a write-off: what was written off is due again, with its ledger and audit entries; a second reversal is refused", async () => {
		expect((await billing("write-off", "--invoice", invoiceNumber, "--reason", "gave up", "--actor", ACTOR)).code).toBe(0);
		expect(await getInvoice(table, invoiceNumber)).toMatchObject({ status: "uncollectible", amountDue: 0, amountWrittenOff: 4000 });
		const reversed = await billing("write-off", "reverse", invoiceNumber, "--reason", "customer agreed to pay", "--actor", ACTOR);
		expect(reversed.code).toBe(0);
		expect(await getInvoice(table, invoiceNumber)).toMatchObject({ status: "partially_paid", amountDue: 4000, amountWrittenOff: 0 });
		expect(await getAccount(table, "DESK-A")).toMatchObject({ balance: 4000 });
		expect((await listLedgerEntries(table, "DESK-A")).map((e) => [e.type, e.amount]).slice(-2)).toEqual([
			["write_off", -4000],
			["write_off_reversed", 4000],
		]);
		expect((await listAuditEntries(table, "invoice", invoiceNumber)).at(-1)).toMatchObject({
			action: "write_off_reversed",
			actor: ACTOR,
			reason: "customer agreed to pay",
			after: { status: "partially_paid", amountDue: 4000, amountWrittenOff: 0 },
		});
		await expectRefused(
			await billing("write-off", "reverse", invoiceNumber, "--reason", "again", "--actor", ACTOR),
			/nothing written off: nothing to reverse/,
			await snapshot("DESK-A"),
		);
	});

	it("corrects an account's email and delivery with an audit entry, and refuses an address that cannot be delivered", async () => {
		await expectRefused(
			await billing("accounts", "update", "DESK-A", "--email", "ap@@example", "--actor", ACTOR),
			/email: "ap@@example" is not a deliverable address/,
			await snapshot("DESK-A"),
		);
		const updated = await billing(
			"accounts",
			"update",
			"DESK-A",
			"--email",
			"billing@desk-a.example",
			"--delivery",
			"postal",
			"--address",
			"2 New Road|Springfield",
			"--reason",
			"moved",
			"--actor",
			ACTOR,
		);
		expect(updated.code).toBe(0);
		expect(await getAccount(table, "DESK-A")).toMatchObject({
			email: "billing@desk-a.example",
			delivery: "postal",
			addressLines: ["2 New Road", "Springfield"],
			balance: 4000,
		});
		expect((await listAuditEntries(table, "account", "DESK-A")).at(-1)).toMatchObject({
			action: "details_changed",
			actor: ACTOR,
			reason: "moved",
			before: { email: "ap+desk-a@example.com", delivery: "email", addressLines: ["1 Test Road"] },
			after: { email: "billing@desk-a.example", delivery: "postal", addressLines: ["2 New Road", "Springfield"] },
		});
	});

	it("closes an account on a day once; closing it again is refused", async () => {
		const closed = await billing("accounts", "close", "DESK-C", "--on", "2026-11-15", "--reason", "contract ended", "--actor", ACTOR);
		expect(closed.code).toBe(0);
		expect(await getAccount(table, "DESK-C")).toMatchObject({ status: "closed", closedOn: "2026-11-15" });
		expect((await listAuditEntries(table, "account", "DESK-C")).at(-1)).toMatchObject({
			action: "closed",
			actor: ACTOR,
			before: { status: "active" },
			after: { status: "closed", closedOn: "2026-11-15" },
		});
		await expectRefused(
			await billing("accounts", "close", "DESK-C", "--on", "2026-11-20"),
			/already closed \(on 2026-11-15\)/,
			await snapshot("DESK-C"),
			"DESK-C",
		);
		await expectRefused(await billing("accounts", "close", "DESK-A", "--on", "2026-02-30"), /date/, await snapshot("DESK-A"));

		// Its final invoice, in the next run, bills the plan up to its closing day; the run after bills nothing.
		expect((await billing("run", "--period", "2026-11", "--as-of", "2026-12-01")).code).toBe(0);
		const [final, ...more] = await listInvoicesOfAccount(table, "DESK-C");
		expect(more).toEqual([]);
		expect(final).toMatchObject({ period: "2026-11", total: 5000 });
		expect(final?.lines).toMatchObject([{ description: "Plan (2026-11-01 to 2026-11-15, 15 of 30 days)", amount: 5000 }]);
		expect((await billing("run", "--period", "2026-12", "--as-of", "2027-01-01")).code).toBe(0);
		expect(await listInvoicesOfAccount(table, "DESK-C")).toHaveLength(1);
	}, 120_000);

	it("pays account credit back with a refund entry on the credit, and refuses more than the credit", async () => {
		await expectRefused(
			await billing("payments", "refund-credit", "--account", "DESK-B", "--amount", "30.00", "--reason", "customer left", "--actor", ACTOR),
			/has USD 25\.00 of credit, not USD 30\.00/,
			await snapshot("DESK-B"),
			"DESK-B",
		);
		const refunded = await billing(
			"payments",
			"refund-credit",
			"--account",
			"DESK-B",
			"--amount",
			"10.00",
			"--reason",
			"customer asked",
			"--actor",
			ACTOR,
		);
		expect(refunded.code).toBe(0);
		expect(JSON.parse(refunded.stdout)).toEqual({ accountId: "DESK-B", amount: 1000, currency: "USD", creditLeft: 1500 });
		expect(await getAccount(table, "DESK-B")).toMatchObject({ balance: -1500, creditBalance: 1500 });
		const [entry] = (await listLedgerEntries(table, "DESK-B")).filter((e) => e.type === "refund");
		expect(entry).toMatchObject({ amount: 1000, reference: "account credit refunded: customer asked" });
		expect(entry?.invoiceNumber).toBeUndefined();
		expect((await listAuditEntries(table, "account", "DESK-B")).at(-1)).toMatchObject({
			action: "credit_refunded",
			actor: ACTOR,
			reason: "customer asked",
			before: { balance: -2500, creditBalance: 2500 },
			after: { balance: -1500, creditBalance: 1500 },
		});
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("issues a one-off invoice in the series, consuming credit, and emails it; a price with too many decimals is refused", async () => {
		const before = await snapshot("DESK-B");
		await expectRefused(
			await billing("invoices", "issue", "--account", "DESK-B", "--line", "Setup fee,1,250.005", "--actor", ACTOR),
			/line 1: unit price: "250.005" has more decimals than USD has \(2\)/,
			before,
			"DESK-B",
		);
		await expectRefused(
			await billing("invoices", "issue", "--account", "DESK-B", "--line", "Training,1.5,80"),
			/description,quantity,unit price/,
			before,
			"DESK-B",
		);
		expect(await listInvoicesOfAccount(table, "DESK-B")).toEqual([]);

		const issued = await billing(
			"invoices",
			"issue",
			"--account",
			"DESK-B",
			"--line",
			"Setup fee, incl. onboarding,1,250.00",
			"--line",
			"Training,3,80.5",
			"--date",
			"2026-11-20",
			"--actor",
			ACTOR,
		);
		expect(issued.code).toBe(0);
		const { invoice, delivery } = JSON.parse(issued.stdout);
		expect(delivery).toBe("emailed");
		expect(invoice).toMatchObject({
			oneOff: true,
			period: "2026-11",
			issueDate: "2026-11-20",
			total: 49_150,
			creditApplied: 1500,
			amountDue: 47_650,
			lines: [
				{ description: "Setup fee, incl. onboarding", quantity: 1, unitAmount: 25_000, amount: 25_000, kind: "one_time" },
				{ description: "Training", quantity: 3, unitAmount: 8050, amount: 24_150, kind: "one_time" },
			],
		});
		expect(invoice.number).toMatch(/^INV-2026-\d{6}$/);
		expect((await listInvoicesOfAccount(table, "DESK-B")).map((i) => i.number)).toEqual([invoice.number]);
		expect(await getAccount(table, "DESK-B")).toMatchObject({ balance: 47_650, creditBalance: 0 });
		expect((await listAuditEntries(table, "invoice", invoice.number))[0]).toMatchObject({ action: "finalized", actor: ACTOR });
		const mail = await sentMail((m) => m.destination.to.some((to) => to.includes("ap+desk-b@example.com")));
		expect(mail.flatMap((m) => m.attachments.map((a) => a.filename))).toContain(`${invoice.number}.pdf`);
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("resends an invoice to the corrected address, keeping every attempt, with its audit entry; refused for an address that cannot be delivered", async () => {
		const [oneOff] = await listInvoicesOfAccount(table, "DESK-B");
		const number = oneOff?.number ?? "";
		expect(await getDelivery(table, keys.delivery(number, "email"))).toMatchObject({ status: "sent", recipient: "ap+desk-b@example.com" });

		await putAccount(table, { ...((await getAccount(table, "DESK-B")) as Account), email: "typo@@example.com" });
		const refused = await billing("invoices", "resend", number, "--reason", "customer says it never came");
		expect(refused.code).toBe(2);
		expect(refused.stderr).toMatch(
			/email "typo@@example\.com" is not deliverable; correct it first \(billing accounts update DESK-B --email/,
		);
		expect(await listAuditEntries(table, "invoice", number)).toHaveLength(1);

		expect((await billing("accounts", "update", "DESK-B", "--email", "payables@desk-b.example.com", "--actor", ACTOR)).code).toBe(0);
		const resent = await billing("invoices", "resend", number, "--reason", "customer says it never came", "--actor", ACTOR);
		expect(resent.code).toBe(0);
		expect(JSON.parse(resent.stdout)).toMatchObject({
			invoiceNumber: number,
			recipient: "payables@desk-b.example.com",
			outcome: "emailed",
			earlierAttempts: 1,
		});
		const mail = await sentMail((m) => m.destination.to.some((to) => to.includes("payables@desk-b.example.com")));
		expect(mail).toHaveLength(1);
		expect(mail[0]?.attachments.map((a) => a.filename)).toContain(`${number}.pdf`);
		const delivery = await getDelivery(table, keys.delivery(number, "email"));
		expect(delivery).toMatchObject({ status: "sent", recipient: "payables@desk-b.example.com" });
		expect(delivery?.attempts).toEqual([expect.objectContaining({ status: "sent", recipient: "ap+desk-b@example.com" })]);
		expect((await listAuditEntries(table, "invoice", number)).at(-1)).toMatchObject({
			action: "resent",
			actor: ACTOR,
			reason: "customer says it never came",
			before: { status: "sent", recipient: "ap+desk-b@example.com" },
			after: { status: "sending", recipient: "payables@desk-b.example.com" },
		});
		const postal = await billing("invoices", "resend", number, "--channel", "postal", "--reason", "x");
		expect(postal.code).toBe(2);
		expect((await billing("invoices", "resend", "INV-2026-999999", "--reason", "x")).stderr).toMatch(/no invoice INV-2026-999999/);
	});

	it("re-issues a void invoice for its period from the account as it is now; the void one stays listed with its correction", async () => {
		const november = (await listInvoicesOfAccount(table, "DESK-A")).find((i) => i.period === "2026-11" && !i.oneOff);
		const number = String(november?.number);
		await expectRefused(
			await billing("invoices", "reissue", number, "--as-of", "2026-12-05"),
			/is open, not void; void it first/,
			await snapshot("DESK-A"),
		);
		expect((await billing("invoices", "void", number, "--reason", "wrong seat count", "--actor", ACTOR)).code).toBe(0);

		const reissued = await billing("invoices", "reissue", number, "--as-of", "2026-12-05", "--actor", ACTOR);
		expect(reissued.code).toBe(0);
		const { invoice, delivery } = JSON.parse(reissued.stdout);
		// DESK-A went postal above: the correction waits in the print queue.
		expect(delivery).toBe("queued_for_print");
		expect(invoice).toMatchObject({ reissueOf: number, period: "2026-11", issueDate: "2026-12-05", total: 10_000, status: "open" });
		expect(invoice.number).not.toBe(number);
		expect(await getInvoice(table, number)).toMatchObject({ status: "void", reissuedAs: invoice.number });
		const listed = (await listInvoicesOfAccount(table, "DESK-A")).map((i) => i.number);
		expect(listed).toEqual(expect.arrayContaining([number, invoice.number]));
		expect((await listAuditEntries(table, "invoice", number)).at(-1)).toMatchObject({
			action: "reissued",
			actor: ACTOR,
			after: { reissuedAs: invoice.number },
		});

		const again = await snapshot("DESK-A");
		await expectRefused(
			await billing("invoices", "reissue", number, "--as-of", "2026-12-05"),
			new RegExp(`re-issued already as ${invoice.number}`),
			again,
		);
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});

	it("refuses applying more than is due, across currencies, and holding a paid invoice, changing nothing", async () => {
		expect(await pay("pi_big", 20_000, { accountId: "DESK-NOBODY" })).toMatchObject({ result: "unapplied" });
		expect(await pay("pi_eur", 3000, { accountId: "DESK-NOBODY" }, "EUR")).toMatchObject({ result: "unapplied" });
		const before = await snapshot("DESK-A");
		expect(before.invoice).toMatchObject({ amountDue: 4000 });
		await expectRefused(
			await billing("payments", "apply", "stripe:pi_big", "--invoice", invoiceNumber, "--amount", "50.00"),
			/only USD 40\.00 is due on it, not USD 50\.00/,
			before,
		);
		await expectRefused(
			await billing("payments", "apply", "stripe:pi_eur", "--invoice", invoiceNumber),
			/the payment is in EUR, the invoice in USD/,
			before,
		);
		expect(await getPayment(table, "stripe", "pi_big")).toMatchObject({ status: "unapplied", unappliedAmount: 20_000 });
		expect(await getPayment(table, "stripe", "pi_eur")).toMatchObject({ status: "unapplied", unappliedAmount: 3000 });

		expect(await pay("pi_full", 4000, { invoiceNumber })).toMatchObject({ result: "applied" });
		const paid = await snapshot("DESK-A");
		expect(paid.invoice).toMatchObject({ status: "paid", amountDue: 0 });
		await expectRefused(await billing("invoices", "hold", invoiceNumber, "--reason", "complaint"), /nothing due: nothing to hold/, paid);
	});

	it("lists the open exceptions with the command that resolves each; an assigned item closes when its cause is resolved", async () => {
		const listed = await billing("worklist", "--json");
		expect(listed.code).toBe(0);
		const items = JSON.parse(listed.stdout) as { id: string; kind: string; amount?: number; currency?: string; resolve: string }[];
		expect(items.find((i) => i.id === "payment:stripe:pi_big")).toMatchObject({
			kind: "unapplied_payment",
			amount: 20_000,
			currency: "USD",
			resolve: "billing payments apply stripe:pi_big --invoice <number>",
		});
		expect(items.find((i) => i.id === "payment:stripe:pi_eur")).toMatchObject({ amount: 3000, currency: "EUR" });

		const unknown = await billing("worklist", "assign", "payment:stripe:pi_nope", "--to", "dana");
		expect(unknown.code).toBe(2);
		expect(unknown.stderr).toMatch(/no open worklist item payment:stripe:pi_nope/);
		expect((await billing("worklist", "assign", "payment:stripe:pi_big", "--to", "dana")).code).toBe(0);
		const mine = JSON.parse((await billing("worklist", "--assignee", "dana", "--json")).stdout) as { id: string; assignee: string }[];
		expect(mine).toEqual([expect.objectContaining({ id: "payment:stripe:pi_big", assignee: "dana" })]);

		const [oneOff] = await listInvoicesOfAccount(table, "DESK-B");
		expect((await billing("payments", "apply", "stripe:pi_big", "--invoice", String(oneOff?.number), "--actor", ACTOR)).code).toBe(0);
		expect(JSON.parse((await billing("worklist", "--assignee", "dana", "--json")).stdout)).toEqual([]);
		expect((await billing("worklist")).stdout).not.toContain("payment:stripe:pi_big");
	});

	it("closes the books on everything the desk did: the trial balance ties out, each export balances per currency and is the same bytes again", async () => {
		// Desk actions without a date are dated today; the last run's invoices 2027-01-01.
		const today = new Date().toISOString().slice(0, 7);
		const latest = today > "2027-01" ? today : "2027-01";
		const trial = await billing("books", "trial-balance", "--period", latest, "--json");
		expect(trial.code).toBe(0);
		const tb = JSON.parse(trial.stdout) as {
			ties: boolean;
			tieOut: { currency: string; receivable: number; customerCredit: number; stored?: unknown }[];
		};
		expect(tb.ties).toBe(true);
		const accounts = await Promise.all(["DESK-A", "DESK-B", "DESK-C"].map((id) => getAccount(table, id)));
		const usd = tb.tieOut.find((t) => t.currency === "USD");
		expect(usd?.stored).toBeDefined();
		expect((usd?.receivable ?? 0) - (usd?.customerCredit ?? 0)).toBe(
			accounts.reduce((acc, a) => acc + (a?.currency === "USD" ? a.balance : 0), 0),
		);

		const csv = await billing("books", "export", "--period", today, "--format", "csv");
		expect(csv.code).toBe(0);
		const [header, ...lines] = csv.stdout.trim().split("\n");
		expect(header).toBe("entry_id,date,currency,account_code,account_name,debit,credit,memo");
		const minor = (text: string, currency: string) => (text === "" ? 0 : parseMajorUnits(text, currency));
		const sums = new Map<string, number>();
		for (const line of lines) {
			const [entry, , currency, , , debit, credit] = line.split(",");
			const net = minor(debit ?? "", currency ?? "") - minor(credit ?? "", currency ?? "");
			sums.set(`${currency}`, (sums.get(`${currency}`) ?? 0) + net);
			sums.set(`${entry}`, (sums.get(`${entry}`) ?? 0) + net);
		}
		expect(lines.length).toBeGreaterThan(10);
		expect([...sums.values()].every((v) => v === 0)).toBe(true);
		expect(csv.stdout).toMatch(/,6100,Bad Debt Expense,/);
		expect(csv.stdout).toMatch(/,2300,Customer Credit,/);

		for (const format of ["quickbooks", "xero"]) {
			const first = await billing("books", "export", "--period", today, "--format", format);
			const again = await billing("books", "export", "--period", today, "--format", format);
			expect(first.code).toBe(0);
			expect(again.stdout).toBe(first.stdout);
		}
		const stored = await createClients().s3.send(
			new GetObjectCommand({ Bucket: stack.bucketName, Key: `books/${today}/journal-xero.csv` }),
		);
		expect(await stored.Body?.transformToString()).toMatch(/^Narration,Date,Description,AccountCode,TaxRate,Amount\n/);
	});
});
