import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBillingCycle } from "../../local/cli/operations.js";
import { invokeLocalFunction, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import type { Account } from "../../shared/core/model.js";
import { createClients } from "../../shared/platform/clients.js";
import { type MailTags, messageTags } from "../../shared/platform/mail.js";
import type { WorklistItem } from "../../shared/reporting/worklist.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { dunningRecords } from "../../shared/store/collections.js";
import { getDelivery } from "../../shared/store/deliveries.js";
import { keys } from "../../shared/store/keys.js";
import { getAccount, getInvoiceNumberForPeriod } from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { sentMail, startTestStack } from "../support/embedded.js";

/**
 * DESIGN.md section 15: an email bounce or complaint (SES's event, through its configuration
 * set, to the EmailEvents function) marks the address undeliverable and puts the account on
 * the worklist; nothing is emailed to it again until a person corrects it. The events are
 * the EventBridge events SES publishes ("Email Bounced", "Email Complaint Received"), each
 * delivered twice (SES delivers at least once), through the embedded Lambda runtime.
 */

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };

const plan = { code: "p", description: "Plan", unitAmount: 10_000, quantity: 1 };
const CONFIGURATION_SET = "billing-events";
let address: (name: string) => string;
const accounts: Record<string, Account> = {};

const mailTo = async (to: string) => sentMail((m) => m.destination.to.some((d) => d.includes(to)));
const invoiceOf = async (accountId: string, period: string) => {
	const number = await getInvoiceNumberForPeriod(table, accountId, period);
	if (!number) throw new Error(`${accountId} has no invoice for ${period}`);
	return number;
};

/** The EventBridge event SES publishes for an email sent through the configuration set (the fields SES documents). */
function sesEvent(detailType: string, eventType: string, sent: { messageId: string; to: string; tags: MailTags }, detail: object) {
	const at = new Date().toISOString();
	const ours = Object.fromEntries(messageTags(sent.tags).map((t) => [t.Name, [t.Value]]));
	return {
		version: "0",
		id: randomUUID(),
		"detail-type": detailType,
		source: "aws.ses",
		account: "123456789012",
		time: at,
		region: "us-east-1",
		resources: [`arn:aws:ses:us-east-1:123456789012:configuration-set/${CONFIGURATION_SET}`],
		detail: {
			eventType,
			mail: {
				timestamp: at,
				source: "billing@example.com",
				sourceArn: "arn:aws:ses:us-east-1:123456789012:identity/billing@example.com",
				sendingAccountId: "123456789012",
				messageId: sent.messageId,
				destination: [sent.to],
				headersTruncated: false,
				headers: [
					{ name: "From", value: "billing@example.com" },
					{ name: "To", value: sent.to },
					{ name: "Subject", value: "Invoice" },
				],
				commonHeaders: { from: ["billing@example.com"], to: [sent.to], messageId: sent.messageId, subject: "Invoice" },
				tags: {
					"ses:configuration-set": [CONFIGURATION_SET],
					"ses:source-ip": ["192.0.2.0"],
					"ses:from-domain": ["example.com"],
					"ses:caller-identity": ["billing-DeliverInvoices"],
					...ours,
				},
			},
			...detail,
		},
	};
}

/** The invoice email of the account's period as the delivery sent it: SES's message id, the address and the tags. */
async function invoiceEmail(accountId: string, period: string) {
	const number = await invoiceOf(accountId, period);
	const delivery = await getDelivery(table, keys.delivery(number, "email"));
	expect(delivery?.status, `${number} was emailed`).toBe("sent");
	return {
		messageId: delivery?.messageId ?? "",
		to: delivery?.recipient ?? "",
		tags: {
			kind: "invoice",
			accountId,
			delivery: keys.delivery(number, "email"),
			attached: [keys.statementDelivery(accountId, period, "email")],
		} satisfies MailTags,
	};
}

const permanentBounce = (to: string) => ({
	bounce: {
		bounceType: "Permanent",
		bounceSubType: "General",
		bouncedRecipients: [{ emailAddress: to, action: "failed", status: "5.1.1", diagnosticCode: "smtp; 550 5.1.1 user unknown" }],
		timestamp: "2026-11-02T09:15:00.000Z",
		feedbackId: `0100019a-${randomUUID()}-000000`,
		reportingMTA: "dsn; a8-21.smtp-out.amazonses.com",
	},
});

const emailEvents = (event: unknown) => invokeLocalFunction(localFunctionArn("EmailEvents"), event) as Promise<Record<string, unknown>>;

async function worklist(): Promise<WorklistItem[]> {
	const result = await billing("worklist", "--json", "--as-of", "2026-12-10");
	expect(result.code, result.stderr).toBe(0);
	return JSON.parse(result.stdout) as WorklistItem[];
}

beforeAll(async () => {
	stack = await startTestStack("bounces");
	billing = cliInProcess(stack);
	table = { ddb: createClients().ddb, tableName: stack.tableName };
	address = (name: string) => `ap+${name}-${stack.tag}@example.com`;
	for (const [id, overrides] of Object.entries({
		BOUNCED: {},
		COMPLAINED: {},
		MAILBOX_FULL: {},
		POSTAL: { delivery: "postal" as const },
	})) {
		accounts[id] = testAccount(id, { plan, email: address(id.toLowerCase()), ...overrides });
		await putAccount(table, accounts[id] as Account);
	}
	const october = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-10", asOf: "2026-11-01" });
	expect(october.status).toBe("SUCCEEDED");
}, 120_000);

afterAll(async () => {
	await stack?.stop();
});

describe("a bounce or complaint stops email to the address until a person corrects it", () => {
	it("a permanent bounce marks the account's address undeliverable, once however often SES delivers the event", async () => {
		expect(await mailTo(address("bounced"))).toHaveLength(1);
		const sent = await invoiceEmail("BOUNCED", "2026-10");
		const event = sesEvent("Email Bounced", "Bounce", sent, permanentBounce(sent.to));
		expect(await emailEvents(event)).toMatchObject({ eventType: "Bounce", accountId: "BOUNCED", recorded: ["marked_undeliverable"] });
		expect(await emailEvents(event)).toMatchObject({ eventType: "Bounce", accountId: "BOUNCED", recorded: ["already_recorded"] });

		expect((await getAccount(table, "BOUNCED"))?.undeliverable).toMatchObject({
			address: address("bounced"),
			kind: "bounce",
			reason: "Permanent/General: smtp; 550 5.1.1 user unknown",
			at: "2026-11-02T09:15:00.000Z",
			messageId: sent.messageId,
		});
		const marks = (await listAuditEntries(table, "account", "BOUNCED")).filter((e) => e.action === "email_undeliverable");
		expect(marks).toHaveLength(1);
		expect(marks[0]).toMatchObject({ actor: "ses:bounce", before: { undeliverable: null } });
	});

	it("a complaint marks it the same way", async () => {
		const sent = await invoiceEmail("COMPLAINED", "2026-10");
		const event = sesEvent("Email Complaint Received", "Complaint", sent, {
			complaint: {
				complainedRecipients: [{ emailAddress: sent.to }],
				timestamp: "2026-11-03T10:00:00.000Z",
				feedbackId: `0100019b-${randomUUID()}-000000`,
				userAgent: "Mozilla/5.0",
				complaintFeedbackType: "abuse",
				arrivalDate: "2026-11-03T09:59:00.000Z",
			},
		});
		expect(await emailEvents(event)).toMatchObject({ recorded: ["marked_undeliverable"] });
		expect(await emailEvents(event)).toMatchObject({ recorded: ["already_recorded"] });
		expect((await getAccount(table, "COMPLAINED"))?.undeliverable).toMatchObject({
			kind: "complaint",
			reason: "marked as spam, feedback type abuse",
		});
		const marks = (await listAuditEntries(table, "account", "COMPLAINED")).filter((e) => e.action === "email_undeliverable");
		expect(marks.map((m) => m.actor)).toEqual(["ses:complaint"]);
	});

	it("a transient bounce is recorded on the account but does not stop email", async () => {
		const sent = await invoiceEmail("MAILBOX_FULL", "2026-10");
		const event = sesEvent("Email Bounced", "Bounce", sent, {
			bounce: {
				bounceType: "Transient",
				bounceSubType: "MailboxFull",
				bouncedRecipients: [{ emailAddress: sent.to, action: "failed", status: "4.2.2", diagnosticCode: "smtp; 452 4.2.2 mailbox full" }],
				timestamp: "2026-11-02T11:00:00.000Z",
				feedbackId: `0100019c-${randomUUID()}-000000`,
			},
		});
		expect(await emailEvents(event)).toMatchObject({ recorded: ["recorded_transient"] });
		expect(await emailEvents(event)).toMatchObject({ recorded: ["already_recorded"] });
		expect((await getAccount(table, "MAILBOX_FULL"))?.undeliverable).toBeUndefined();
		const soft = (await listAuditEntries(table, "account", "MAILBOX_FULL")).filter((e) => e.action === "email_soft_bounced");
		expect(soft).toHaveLength(1);
		expect(soft[0]).toMatchObject({ actor: "ses:bounce", reason: "Transient/MailboxFull: smtp; 452 4.2.2 mailbox full" });
	});

	it("a postal account's bounced address is marked too (its dunning is email)", async () => {
		const to = address("postal");
		const event = sesEvent(
			"Email Bounced",
			"Bounce",
			{ messageId: `local-${randomUUID()}`, to, tags: { kind: "dunning", accountId: "POSTAL" } },
			permanentBounce(to),
		);
		expect(await emailEvents(event)).toMatchObject({ recorded: ["marked_undeliverable"] });
		expect((await getAccount(table, "POSTAL"))?.undeliverable).toMatchObject({ address: to, kind: "bounce" });
	});

	it("the worklist lists each marked account with the command that corrects it; not the transient one", async () => {
		const items = (await worklist()).filter((i) => i.kind === "undeliverable_address");
		expect(items.map((i) => i.accountId).sort()).toEqual(["BOUNCED", "COMPLAINED", "POSTAL"]);
		expect(items.find((i) => i.accountId === "BOUNCED")).toMatchObject({
			id: "undeliverable:BOUNCED",
			since: "2026-11-02",
			resolve: expect.stringContaining("billing accounts update BOUNCED --email <new address>"),
			detail: expect.stringMatching(/bounced on 2026-11-02: Permanent\/General/),
		});
	});

	it("the next month sends nothing to a marked address: the delivery and the dunning notice fail with the reason", async () => {
		// The October invoices are 4 days overdue on 2026-12-05: the run's dunning sends a reminder to each open one.
		const november = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-11", asOf: "2026-12-05" });
		expect(november.status).toBe("SUCCEEDED");
		expect(await mailTo(address("bounced"))).toHaveLength(1);
		expect(await mailTo(address("complained"))).toHaveLength(1);
		expect(await mailTo(address("postal"))).toHaveLength(0);
		// The transient bounce blocks nothing: November's invoice and October's reminder went out.
		expect(await mailTo(address("mailbox_full"))).toHaveLength(3);

		const number = await invoiceOf("BOUNCED", "2026-11");
		const delivery = await getDelivery(table, keys.delivery(number, "email"));
		expect(delivery?.status).toBe("failed");
		expect(delivery?.reason).toBe(
			`address ${address("bounced")} bounced on 2026-11-02: Permanent/General: smtp; 550 5.1.1 user unknown; correct it with billing accounts update BOUNCED --email <new address>`,
		);
		expect(await getDelivery(table, keys.delivery(await invoiceOf("COMPLAINED", "2026-11"), "email"))).toMatchObject({
			status: "failed",
			reason: expect.stringMatching(
				/complained on 2026-11-03: marked as spam, feedback type abuse; correct it with billing accounts update COMPLAINED/,
			),
		});
		const reminder = (await dunningRecords(table, await invoiceOf("BOUNCED", "2026-10"))).find((d) => d.stage === "reminder");
		expect(reminder).toMatchObject({ status: "failed", reason: expect.stringContaining("bounced on 2026-11-02") });
		// Postal accounts are unaffected: the invoice is in the print batch.
		expect(await getDelivery(table, keys.delivery(await invoiceOf("POSTAL", "2026-11"), "postal"))).toMatchObject({
			status: "queued_for_print",
		});

		const items = await worklist();
		expect(items.find((i) => i.id === `delivery:${number}`)).toMatchObject({
			kind: "failed_delivery",
			detail: expect.stringContaining("bounced on 2026-11-02"),
		});
	});

	it("the same address again is refused unless a person confirms it works", async () => {
		const same = await billing("accounts", "update", "COMPLAINED", "--email", address("complained"));
		expect(same.code).toBe(2);
		expect(same.stderr).toMatch(/complained on 2026-11-03.*--email-confirmed/);
		expect((await getAccount(table, "COMPLAINED"))?.undeliverable).toBeDefined();

		const confirmed = await billing(
			"accounts",
			"update",
			"COMPLAINED",
			"--email-confirmed",
			"--reason",
			"customer asked to be mailed again",
		);
		expect(confirmed.code, confirmed.stderr).toBe(0);
		expect((await getAccount(table, "COMPLAINED"))?.undeliverable).toBeUndefined();
	});

	it("a corrected address clears the mark: the item leaves the worklist and the next sends go to the new address", async () => {
		const corrected = await billing("accounts", "update", "BOUNCED", "--email", address("bounced-new"), "--actor", "cli:dana");
		expect(corrected.code, corrected.stderr).toBe(0);
		expect((await getAccount(table, "BOUNCED"))?.undeliverable).toBeUndefined();
		const change = (await listAuditEntries(table, "account", "BOUNCED")).at(-1);
		expect(change).toMatchObject({
			action: "details_changed",
			actor: "cli:dana",
			before: { email: address("bounced"), undeliverable: expect.objectContaining({ kind: "bounce" }) },
			after: { email: address("bounced-new"), undeliverable: null },
		});
		expect((await worklist()).filter((i) => i.kind === "undeliverable_address").map((i) => i.accountId)).toEqual(["POSTAL"]);

		// November's invoice, resent by hand, goes to the new address; so does December's.
		const number = await invoiceOf("BOUNCED", "2026-11");
		const resent = await billing("invoices", "resend", number, "--reason", "address corrected");
		expect(resent.code, resent.stderr).toBe(0);
		expect(await mailTo(address("bounced-new"))).toHaveLength(1);
		expect((await worklist()).filter((i) => i.accountId === "BOUNCED")).toEqual([]);

		const december = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-12", asOf: "2027-01-01" });
		expect(december.status).toBe("SUCCEEDED");
		expect(await mailTo(address("bounced"))).toHaveLength(1);
		expect((await mailTo(address("bounced-new"))).length).toBeGreaterThanOrEqual(2);
		expect(await getDelivery(table, keys.delivery(await invoiceOf("BOUNCED", "2026-12"), "email"))).toMatchObject({
			status: "sent",
			recipient: address("bounced-new"),
		});
		// The confirmed address is mailed again.
		expect(await getDelivery(table, keys.delivery(await invoiceOf("COMPLAINED", "2026-12"), "email"))).toMatchObject({ status: "sent" });
	});
});
