import { GetObjectCommand } from "@aws-sdk/client-s3";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBillingCycle } from "../../local/cli/operations.js";
import { invokeLocalFunction, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import type { EscalationResult } from "../../shared/collections/dunning.js";
import { writeOffInvoice } from "../../shared/collections/write-off.js";
import type { Account } from "../../shared/core/model.js";
import { addDays, resolveBillingPeriod } from "../../shared/core/period.js";
import type { BillingReport } from "../../shared/core/report-model.js";
import type { PublishedReport } from "../../shared/cycle/month-tally.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { recordPayment } from "../../shared/payments/recording.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import type { PublishedReportFiles } from "../../shared/reporting/reports.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { putCharge } from "../../shared/store/charges.js";
import { dunningRecords, listOpenCases } from "../../shared/store/collections.js";
import { keys } from "../../shared/store/keys.js";
import { getAccount, getInvoice, listLedgerEntries, listOpenInvoicesDueBy } from "../../shared/store/records.js";
import { type StoredMail, sentMail, startTestStack } from "../support/embedded.js";

/**
 * A month of invoices walked day by day through 45 days past their due date, calling the
 * escalation step once a day (twice on some days), as the schedule would.
 */
type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: {
	ddb: ReturnType<typeof createClients>["ddb"];
	s3: ReturnType<typeof createClients>["s3"];
	tableName: string;
	bucketName: string;
};

const ISSUED = "2026-11-01";
const DUE = "2026-12-01";
const STAGE_OF_SUBJECT: [RegExp, string][] = [
	[/^Payment reminder:/, "reminder"],
	[/^Second reminder:/, "second_reminder"],
	[/^Final notice:/, "final_notice"],
	[/^Account referred to collections:/, "collections"],
];

/** invoice number → stage → the days (after the due date) on which its email arrived. */
const received = new Map<string, Map<string, number[]>>();
const results: EscalationResult[] = [];
const statusOn = new Map<string, Map<number, string>>();
let numbers: Record<string, string[]>;
let collectionsTeam: string;

function account(id: string): Account {
	return {
		accountId: id,
		name: `Customer ${id}`,
		email: `ap+${stack.tag}-${id.toLowerCase()}@example.com`,
		currency: "USD",
		status: "active",
		taxRatePpm: 100000,
		paymentTermsDays: 30,
		delivery: "email",
		addressLines: [`${id} Main Street`, "Springfield"],
		plan: { code: "team", description: "Team plan", unitAmount: 10_000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-09-01T00:00:00.000Z",
	};
}

async function pay(invoiceNumber: string, amount: number, day: number): Promise<void> {
	const id = `${invoiceNumber}-${day}`;
	await recordPayment(
		deps,
		{
			provider: "stripe",
			eventId: `evt_${id}`,
			paymentId: `pi_${id}`,
			amount,
			currency: "USD",
			invoiceNumber,
			receivedAt: `${addDays(DUE, day)}T09:00:00.000Z`,
		},
		"payment_intent.succeeded",
		"{}",
	);
}

const ladderMail = () => sentMail((m) => m.destination.to.some((to) => to.includes(stack.tag) && to.includes("ap+")));
const stageOf = (m: StoredMail) => STAGE_OF_SUBJECT.find(([re]) => re.test(m.subject))?.[1];
const daysOf = (invoice: string, stage: string) => received.get(invoice)?.get(stage) ?? [];

beforeAll(async () => {
	stack = await startTestStack("dunning");
	collectionsTeam = `collections+${stack.tag}@example.com`;
	process.env.COLLECTIONS_EMAIL = collectionsTeam;
	const { ddb, s3 } = createClients();
	deps = { ddb, s3, tableName: stack.tableName, bucketName: stack.bucketName };
	const ids = ["UNPAID", "PARTIAL", "PAID", "PAYS-LATE", "DISPUTED", "TWO-INVOICES", "HELD-THEN-RELEASED"];
	for (const id of ids) await putAccount(deps, account(id));
	await putCharge(deps, {
		accountId: "TWO-INVOICES",
		period: "2026-09",
		chargeId: "late-usage",
		description: "Usage",
		quantity: 1,
		unitAmount: 5_000,
	});
	const invoicing = { ...deps, seller: sellerConfig() };
	numbers = {};
	for (const id of ids) {
		const periods = id === "TWO-INVOICES" ? ["2026-09", "2026-10"] : ["2026-10"];
		for (const period of periods) {
			const outcome = await issueInvoiceForAccount(invoicing, id, resolveBillingPeriod({ period, asOf: ISSUED }, new Date()));
			if (outcome.outcome === "nothing_to_bill") throw new Error(`nothing billed for ${id}`);
			numbers[id] = [...(numbers[id] ?? []), outcome.invoiceNumber];
		}
	}
	const first = (id: string) => numbers[id]?.[0] as string;
	await pay(first("PAID"), 11_000, -5);
	await pay(first("PARTIAL"), 5_000, -3);
	for (const id of ["DISPUTED", "HELD-THEN-RELEASED"]) {
		await ddb.send(
			new UpdateCommand({
				TableName: stack.tableName,
				Key: keys.invoice(first(id)),
				UpdateExpression: "SET #hold = :hold",
				ExpressionAttributeNames: { "#hold": "hold" },
				ExpressionAttributeValues: { ":hold": { reason: "disputed by the customer", since: "2026-11-20" } },
			}),
		);
	}

	for (let day = 0; day <= 45; day++) {
		const asOf = addDays(DUE, day);
		if (day === 10) await pay(first("PAYS-LATE"), 11_000, day);
		if (day === 20) {
			await ddb.send(
				new UpdateCommand({
					TableName: stack.tableName,
					Key: keys.invoice(first("HELD-THEN-RELEASED")),
					UpdateExpression: "REMOVE #hold",
					ExpressionAttributeNames: { "#hold": "hold" },
				}),
			);
		}
		if (day === 40) await pay(first("PARTIAL"), 6_000, day);
		const before = new Set((await ladderMail()).map((m) => m.messageId));
		const escalate = async () => (await invokeLocalFunction(localFunctionArn("EscalateOverdueAccounts"), { asOf })) as EscalationResult;
		// Day 1 runs twice at once, day 30 twice in a row: neither may send anything twice.
		if (day === 1) results.push(...(await Promise.all([escalate(), escalate()])));
		else results.push(await escalate());
		if (day === 30) results.push(await escalate());
		for (const mail of (await ladderMail()).filter((m) => !before.has(m.messageId))) {
			const invoice = /INV-\d{4}-\d{6}/.exec(mail.subject)?.[0] as string;
			const stage = stageOf(mail) as string;
			const byStage = received.get(invoice) ?? new Map<string, number[]>();
			byStage.set(stage, [...(byStage.get(stage) ?? []), day]);
			received.set(invoice, byStage);
		}
		for (const id of ids) {
			const byDay = statusOn.get(id) ?? new Map<number, string>();
			byDay.set(day, (await getAccount(deps, id))?.status ?? "");
			statusOn.set(id, byDay);
		}
	}
}, 240_000);

afterAll(async () => {
	await stack?.stop();
});

describe("the dunning ladder, walked through 45 days", () => {
	it("sends each stage's email exactly once, on its day", () => {
		for (const id of ["UNPAID", "PARTIAL"]) {
			const invoice = numbers[id]?.[0] as string;
			expect(daysOf(invoice, "reminder")).toEqual([1]);
			expect(daysOf(invoice, "second_reminder")).toEqual([7]);
			expect(daysOf(invoice, "final_notice")).toEqual([14]);
			expect(daysOf(invoice, "collections")).toEqual([30]);
		}
	});

	it("holds back a third email in a rolling week and sends it on a later run, still once", () => {
		for (const invoice of numbers["TWO-INVOICES"] as string[]) {
			expect(daysOf(invoice, "reminder")).toEqual([1]);
			// Day 7 would be the third and fourth emails in [day 1, day 7]: they go out on day 8.
			expect(daysOf(invoice, "second_reminder")).toEqual([8]);
			expect(daysOf(invoice, "final_notice")).toEqual([15]);
			expect(daysOf(invoice, "collections")).toEqual([30]);
		}
		expect(results.some((r) => r.deferredByCap > 0)).toBe(true);
	});

	it("never sends an account more than two dunning emails in any 7 days", () => {
		for (const ids of Object.values(numbers)) {
			const days = ids.flatMap((n) => [...(received.get(n)?.values() ?? [])].flat());
			for (let end = 0; end <= 45; end++) {
				expect(days.filter((d) => d > end - 7 && d <= end).length).toBeLessThanOrEqual(2);
			}
		}
	});

	it("sends nothing for the disputed invoice and nothing for the one paid before its due date", () => {
		expect(received.get(numbers.DISPUTED?.[0] as string)).toBeUndefined();
		expect(received.get(numbers.PAID?.[0] as string)).toBeUndefined();
		expect(statusOn.get("DISPUTED")?.get(45)).toBe("active");
		expect(results.at(-1)?.held).toBe(1);
	});

	it("takes a paid invoice off the ladder at once and the account back to active", () => {
		const invoice = numbers["PAYS-LATE"]?.[0] as string;
		expect(daysOf(invoice, "reminder")).toEqual([1]);
		expect(daysOf(invoice, "second_reminder")).toEqual([7]);
		expect(daysOf(invoice, "final_notice")).toEqual([]);
		expect(statusOn.get("PAYS-LATE")?.get(9)).toBe("past_due");
		expect(statusOn.get("PAYS-LATE")?.get(10)).toBe("active");
	});

	it("sends only the highest stage to an invoice reached late and records the skipped ones as superseded", async () => {
		const invoice = numbers["HELD-THEN-RELEASED"]?.[0] as string;
		expect(daysOf(invoice, "reminder")).toEqual([]);
		expect(daysOf(invoice, "second_reminder")).toEqual([]);
		expect(daysOf(invoice, "final_notice")).toEqual([20]);
		expect(daysOf(invoice, "collections")).toEqual([30]);
		const history = Object.fromEntries((await dunningRecords(deps, invoice)).map((r) => [r.stage, r.status]));
		expect(history).toEqual({ reminder: "superseded", second_reminder: "superseded", final_notice: "sent", collections: "sent" });
	});

	it("moves accounts active → past due → in collections, and back to active when paid", () => {
		const unpaid = statusOn.get("UNPAID");
		expect([unpaid?.get(0), unpaid?.get(1), unpaid?.get(29), unpaid?.get(30), unpaid?.get(45)]).toEqual([
			"active",
			"past_due",
			"past_due",
			"in_collections",
			"in_collections",
		]);
		expect(statusOn.get("PARTIAL")?.get(39)).toBe("in_collections");
		expect(statusOn.get("PARTIAL")?.get(40)).toBe("active");
	});

	it("exports the month's collections cases as CSV listing exactly the accounts past 30 days", async () => {
		const object = await deps.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: "collections/2026-12/cases.csv" }));
		const csv = (await object.Body?.transformToString()) ?? "";
		const [header, ...rows] = csv.trim().split("\n");
		expect(header).toBe(
			"case_id,status,opened_on,account_id,name,email,address,currency,amount_due_minor,amount_due,invoices,max_days_overdue,dunning_history",
		);
		const cells = rows.map((r) => r.split(","));
		expect(cells.map((c) => c[3])).toEqual(["HELD-THEN-RELEASED", "PARTIAL", "TWO-INVOICES", "UNPAID"]);
		const row = (id: string) => cells.find((c) => c[3] === id) as string[];
		expect(row("UNPAID").slice(0, 3)).toEqual(["CASE-UNPAID-2026-12-31", "open", "2026-12-31"]);
		expect(row("UNPAID")[5]).toBe(`ap+${stack.tag}-unpaid@example.com`);
		expect(row("UNPAID")[8]).toBe("11000");
		expect(row("UNPAID")[11]).toBe("45");
		expect(row("TWO-INVOICES")[8]).toBe(String(11_000 + 16_500));
		expect(row("PARTIAL")[1]).toBe("closed");
		expect(csv).toContain(`${numbers.UNPAID?.[0]} reminder sent 2026-12-02; ${numbers.UNPAID?.[0]} second_reminder sent 2026-12-08`);
	});

	it("notifies the collections team once, with the new cases attached", async () => {
		const notices = await sentMail((m) => m.destination.to.includes(collectionsTeam));
		expect(notices).toHaveLength(1);
		expect(notices[0]?.subject).toBe("Collections: 4 new case(s) as of 2026-12-31");
		const attachment = Buffer.from(notices[0]?.attachments[0]?.content ?? "", "base64").toString();
		expect(attachment.split("\n").filter((l) => l.startsWith("CASE-"))).toHaveLength(4);
	});

	it("lists the open cases with contact, invoices, amounts, days overdue and dunning history", async () => {
		const cases = await listOpenCases(deps);
		expect(cases.map((c) => c.accountId).sort()).toEqual(["HELD-THEN-RELEASED", "TWO-INVOICES", "UNPAID"]);
		const unpaid = cases.find((c) => c.accountId === "UNPAID");
		expect(unpaid).toMatchObject({
			contact: { name: "Customer UNPAID", email: `ap+${stack.tag}-unpaid@example.com` },
			currency: "USD",
			amountDue: 11_000,
			invoices: [{ number: numbers.UNPAID?.[0], amountDue: 11_000, dueDate: DUE, daysOverdue: 45 }],
		});
		expect(unpaid?.invoices[0]?.dunning.map((d) => d.stage)).toEqual(["reminder", "second_reminder", "final_notice", "collections"]);
	});

	it("writes off an uncollectible invoice with its ledger entry; the account leaves collections", async () => {
		const number = numbers.UNPAID?.[0] as string;
		const result = await writeOffInvoice(deps, number, "customer insolvent", new Date(`${addDays(DUE, 45)}T12:00:00.000Z`));
		expect(result).toMatchObject({ amount: 11_000, currency: "USD", accountId: "UNPAID" });
		const invoice = await getInvoice(deps, number);
		expect(invoice).toMatchObject({
			status: "uncollectible",
			amountDue: 0,
			amountWrittenOff: 11_000,
			writeOff: { reason: "customer insolvent" },
		});
		expect((await listOpenInvoicesDueBy(deps, "9999-12-31")).map((i) => i.number)).not.toContain(number);
		const ledger = await listLedgerEntries(deps, "UNPAID");
		expect(ledger.filter((e) => e.type === "write_off").map((e) => [e.amount, e.effectiveDate, e.invoiceNumber])).toEqual([
			[-11_000, "2027-01-15", number],
		]);
		expect((await getAccount(deps, "UNPAID"))?.balance).toBe(0);
		await expect(writeOffInvoice(deps, number, "again")).rejects.toThrow(/nothing to write off/);

		const after = (await invokeLocalFunction(localFunctionArn("EscalateOverdueAccounts"), { asOf: addDays(DUE, 46) })) as EscalationResult;
		expect(after.collections.accountsBackToActive).toEqual(["UNPAID"]);
		expect(after.collections.casesClosed).toEqual(["CASE-UNPAID-2026-12-31"]);
		expect((await getAccount(deps, "UNPAID"))?.status).toBe("active");

		expect((await listAuditEntries(deps, "invoice", number)).at(-1)).toMatchObject({
			action: "written_off",
			actor: "billing-cycle",
			reason: "customer insolvent",
			bookedOn: "2027-01-15",
			before: { status: "open", amountDue: 11_000 },
			after: { status: "uncollectible", amountDue: 0, amountWrittenOff: 11_000 },
		});
		const statusTrail = (await listAuditEntries(deps, "account", "UNPAID")).filter((e) => e.action === "status_changed");
		expect(statusTrail.map((e) => [e.before?.status, e.after.status])).toEqual([
			["active", "past_due"],
			["past_due", "in_collections"],
			["in_collections", "active"],
		]);
		expect(statusTrail[0]?.reason).toMatch(/^as of \d{4}-\d{2}-\d{2}: 1 overdue invoice\(s\)$/);
	});

	it("keeps the ledger invariants", async () => {
		const report = await verifyLedgerInvariants(deps);
		expect(report.violations).toEqual([]);
	});

	it("publishes the quarterly report, month by month, when the cycle bills a quarter's last month", async () => {
		const run = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-12", asOf: "2027-01-16" });
		expect(run.status).toBe("SUCCEEDED");
		const out = run.output as { reports: PublishedReport; quarterlyReport: PublishedReportFiles };
		expect(out.reports).toMatchObject({ quarter: "2026-Q4", quarterEnd: true, htmlKey: "reports/2026-12/monthly-billing-report.html" });
		expect(out.quarterlyReport).toEqual({
			csvKey: "reports/2026-Q4/quarterly-billing-report.csv",
			jsonKey: "reports/2026-Q4/quarterly-billing-report.json",
			htmlKey: "reports/2026-Q4/quarterly-billing-report.html",
		});
		const read = async (key: string) =>
			(await (await deps.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: key }))).Body?.transformToString()) ?? "";
		const report = JSON.parse(await read(out.quarterlyReport.jsonKey)) as BillingReport;
		expect(report.months.map((m) => m.period)).toEqual(["2026-10", "2026-11", "2026-12"]);
		// October: the seven accounts' invoices of 11,000 each; September's is outside the quarter.
		expect(report.months[0]?.byCurrency.USD).toMatchObject({ invoicesIssued: 7, invoicedAmount: 77_000 });
		expect(report.months.map((m) => m.byCurrency.USD?.paymentsReceived ?? 0)).toEqual([0, 16_000, 11_000]);
		// 46 days past the 1 December due date: the two disputed-then-released invoices and TWO-INVOICES' pair.
		expect(report.agingByCurrency.USD?.["31-60"]).toBe(11_000 + 11_000 + 16_500 + 11_000);
		expect(report.topOverdueAccounts[0]?.accountId).toBe("TWO-INVOICES");
		expect(await read(out.quarterlyReport.htmlKey)).toContain("<svg ");
	});
});
