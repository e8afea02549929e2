import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../../shared/core/model.js";
import { formatMoney } from "../../shared/core/money.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { createCreditMemo } from "../../shared/invoicing/credit-memos.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { voidInvoice } from "../../shared/invoicing/void.js";
import { recordPayment } from "../../shared/payments/recording.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { putCharge } from "../../shared/store/charges.js";
import { getAccount, getInvoice, listLedgerEntries } from "../../shared/store/records.js";
import { startTestStack } from "../support/embedded.js";
import { storedPdfText } from "../support/pdf.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: Parameters<typeof issueInvoiceForAccount>[0];
let clockTicks = 0;
const september = resolveBillingPeriod({ period: "2026-09", asOf: "2026-10-01" }, new Date("2026-10-01"));
const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));

function account(accountId: string): Account {
	return {
		accountId,
		name: `Customer ${accountId}`,
		email: `ap+${stack.tag}-${accountId.toLowerCase()}@example.com`,
		currency: "USD",
		status: "active",
		taxRatePpm: 100000,
		paymentTermsDays: 30,
		paymentTerms: "net_15",
		delivery: "email",
		addressLines: ["1 Main St", "Springfield"],
		plan: { code: "team", description: "Team plan", unitAmount: 10_000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
	};
}

async function pay(invoiceNumber: string, amount: number, id: string): Promise<void> {
	await recordPayment(
		deps,
		{
			provider: "test",
			paymentId: id,
			eventId: `evt-${id}`,
			invoiceNumber,
			amount,
			currency: "USD",
			receivedAt: "2026-10-10T00:00:00.000Z",
		},
		"payment.succeeded",
		"{}",
	);
}

beforeAll(async () => {
	stack = await startTestStack("credit-memos");
	const { ddb, s3 } = createClients();
	deps = {
		ddb,
		s3,
		tableName: stack.tableName,
		bucketName: stack.bucketName,
		seller: sellerConfig(),
		// A clock that moves a minute per reading, so ledger and audit entries keep their order.
		now: () => new Date(Date.parse("2026-10-05T09:00:00.000Z") + 60_000 * clockTicks++),
		actor: "cli:specialist",
	};
	await putAccount(deps, account("ACC-CM"));
	await putAccount(deps, account("ACC-VOID"));
});

afterAll(async () => {
	await stack?.stop();
});

describe("credit memos", () => {
	let invoiceNumber = "";

	it("on an unpaid invoice reduce the amount due, numbered CM-2026-000001, with a PDF and an audit trail", async () => {
		const issued = await issueInvoiceForAccount(deps, "ACC-CM", september);
		invoiceNumber = "invoiceNumber" in issued ? issued.invoiceNumber : "";
		expect(await getInvoice(deps, invoiceNumber)).toMatchObject({
			total: 11_000,
			amountDue: 11_000,
			dueDate: "2026-10-16",
			paymentTerms: "Net 15",
		});

		const memo = await createCreditMemo(deps, { invoiceNumber, amount: 3000, reason: "Outage on 2026-09-12" });
		expect(memo).toMatchObject({
			number: "CM-2026-000001",
			amount: 3000,
			appliedToInvoice: 3000,
			addedToAccountCredit: 0,
			issueDate: "2026-10-05",
		});
		expect(await getInvoice(deps, invoiceNumber)).toMatchObject({ status: "open", amountDue: 8000, credited: 3000, creditMemoTotal: 3000 });
		expect(await getAccount(deps, "ACC-CM")).toMatchObject({ balance: 8000, creditBalance: 0 });
		const ledger = await listLedgerEntries(deps, "ACC-CM");
		expect(ledger.map((e) => [e.type, e.amount, e.reference])).toEqual([
			["invoice_issued", 11_000, invoiceNumber],
			["credit_memo", -3000, "CM-2026-000001"],
		]);

		const text = await storedPdfText(deps.s3, stack.bucketName, memo.pdfKey);
		for (const expected of [
			"CREDIT MEMO",
			"CM-2026-000001",
			invoiceNumber,
			"2026-10-05",
			"Outage on 2026-09-12",
			"Customer ACC-CM",
			"USD 30.00",
		]) {
			expect(text).toContain(expected);
		}
		const audit = await listAuditEntries(deps, "invoice", invoiceNumber);
		expect(audit.map((a) => [a.action, a.actor, a.before, a.after])).toEqual([
			["finalized", "cli:specialist", null, { status: "open", total: 11_000, creditApplied: 0, amountDue: 11_000, dueDate: "2026-10-16" }],
			[
				"credited",
				"cli:specialist",
				{ status: "open", amountDue: 11_000, credited: 0 },
				{ status: "open", amountDue: 8000, credited: 3000 },
			],
		]);
	});

	it("refuses more than what remains creditable, a bad amount, an empty reason and an unknown invoice", async () => {
		await expect(createCreditMemo(deps, { invoiceNumber, amount: 8001, reason: "x" })).rejects.toThrow(/at most USD 80.00 more/);
		await expect(createCreditMemo(deps, { invoiceNumber, amount: 0, reason: "x" })).rejects.toThrow(/positive whole number/);
		await expect(createCreditMemo(deps, { invoiceNumber, amount: 12.5, reason: "x" })).rejects.toThrow(/positive whole number/);
		await expect(createCreditMemo(deps, { invoiceNumber, amount: 100, reason: " " })).rejects.toThrow(/reason/);
		await expect(createCreditMemo(deps, { invoiceNumber: "INV-NOPE", amount: 100, reason: "x" })).rejects.toThrow(/no invoice INV-NOPE/);
		expect(await getInvoice(deps, invoiceNumber)).toMatchObject({ amountDue: 8000, creditMemoTotal: 3000 });
	});

	it("on a paid invoice become account credit, which the next invoice consumes in the same transaction", async () => {
		await pay(invoiceNumber, 8000, "p1");
		expect(await getInvoice(deps, invoiceNumber)).toMatchObject({ status: "paid", amountDue: 0 });
		const memo = await createCreditMemo(deps, { invoiceNumber, amount: 2000, reason: "Goodwill" });
		expect(memo).toMatchObject({ number: "CM-2026-000002", appliedToInvoice: 0, addedToAccountCredit: 2000 });
		expect(await getAccount(deps, "ACC-CM")).toMatchObject({ balance: -2000, creditBalance: 2000 });
		expect(await storedPdfText(deps.s3, stack.bucketName, memo.pdfKey)).toContain("Account credit is deducted from your next invoice.");

		const next = await issueInvoiceForAccount(deps, "ACC-CM", october);
		const nextNumber = "invoiceNumber" in next ? next.invoiceNumber : "";
		const invoice = await getInvoice(deps, nextNumber);
		expect(invoice).toMatchObject({ total: 11_000, creditApplied: 2000, amountPaid: 0, amountDue: 9000, status: "open" });
		expect(await getAccount(deps, "ACC-CM")).toMatchObject({ balance: 9000, creditBalance: 0 });
		const text = await storedPdfText(deps.s3, stack.bucketName, invoice?.pdfKey ?? "");
		expect(text).toContain("Account credit applied");
		expect(text).toContain("-USD 20.00");
		expect(text).toContain("USD 90.00");
		const accountAudit = await listAuditEntries(deps, "account", "ACC-CM");
		expect(accountAudit.at(-1)).toMatchObject({
			action: "invoice_issued",
			before: { balance: -2000, creditBalance: 2000 },
			after: { balance: 9000, creditBalance: 0 },
		});
		expect((await verifyLedgerInvariants(deps)).violations).toEqual([]);
	});
});

describe("voiding an invoice", () => {
	it("keeps its number, records why, reverses what was due and refuses credit memos afterwards", async () => {
		const issued = await issueInvoiceForAccount(deps, "ACC-VOID", september);
		const number = "invoiceNumber" in issued ? issued.invoiceNumber : "";
		const result = await voidInvoice(deps, number, "Billed the wrong entity");
		expect(result.outcome).toBe("voided");
		expect(await getInvoice(deps, number)).toMatchObject({
			number,
			status: "void",
			amountDue: 0,
			total: 11_000,
			voidReason: "Billed the wrong entity",
		});
		expect(await getAccount(deps, "ACC-VOID")).toMatchObject({ balance: 0 });
		expect((await listLedgerEntries(deps, "ACC-VOID")).map((e) => [e.type, e.amount])).toEqual([
			["invoice_issued", 11_000],
			["invoice_voided", -11_000],
		]);
		const audit = await listAuditEntries(deps, "invoice", number);
		expect(audit.at(-1)).toMatchObject({
			action: "voided",
			actor: "cli:specialist",
			reason: "Billed the wrong entity",
			before: { status: "open", amountDue: 11_000 },
			after: { status: "void", amountDue: 0 },
		});
		expect((await voidInvoice(deps, number, "again")).outcome).toBe("already_void");
		await expect(createCreditMemo(deps, { invoiceNumber: number, amount: 100, reason: "x" })).rejects.toThrow(/is void/);
		expect((await verifyLedgerInvariants(deps)).violations).toEqual([]);
	});

	it("refuses an invoice with payments against it", async () => {
		// ACC-CM's September invoice: paid and credited above.
		const number = "INV-2026-000001";
		expect(await getInvoice(deps, number)).toMatchObject({ accountId: "ACC-CM", status: "paid" });
		await expect(voidInvoice(deps, number, "x")).rejects.toThrow(/payments or credit memos/);
		await expect(voidInvoice(deps, number, "")).rejects.toThrow(/needs a reason/);
	});
});

describe("issued invoices across currencies", () => {
	it("PDF total == record total == ledger entry, to the minor unit, whatever the pricing", async () => {
		let run = 0;
		await fc.assert(
			fc.asyncProperty(
				fc.constantFrom("USD", "JPY", "KWD"),
				fc.integer({ min: 0, max: 250_000 }),
				fc.integer({ min: 1, max: 1_000_000 }),
				fc.integer({ min: 1, max: 28 }),
				fc.integer({ min: 1, max: 5000 }),
				fc.option(fc.integer({ min: 1, max: 9000 }), { nil: undefined }),
				async (currency, rate, unitAmount, startDay, usage, percentOff) => {
					const accountId = `ACC-PROP-${++run}`;
					await putAccount(deps, {
						...account(accountId),
						currency,
						taxRatePpm: rate,
						plan: undefined,
						subscriptions: [
							{ code: "p", description: "Plan", unitAmount, quantity: 2, startDate: `2026-10-${String(startDay).padStart(2, "0")}` },
						],
						...(percentOff
							? {
									discounts: [
										{ kind: "percent" as const, code: "P", description: "Offer", basisPoints: percentOff, firstPeriod: "2026-10" },
									],
								}
							: {}),
					});
					await putCharge(deps, {
						accountId,
						period: "2026-10",
						chargeId: "usage",
						description: "Usage",
						quantity: usage,
						unitAmount: 0,
						tiers: [{ upTo: 1000, unitAmount: 7 }, { unitAmount: 3 }],
					});
					const outcome = await issueInvoiceForAccount(deps, accountId, october);
					if (!("invoiceNumber" in outcome)) throw new Error(`nothing billed for ${accountId}`);
					const invoice = await getInvoice(deps, outcome.invoiceNumber);
					if (!invoice) throw new Error("invoice missing");
					expect(invoice.total).toBe(invoice.lines.reduce((a, l) => a + l.amount + l.tax, 0));
					const ledger = await listLedgerEntries(deps, accountId);
					expect(ledger.map((e) => e.amount)).toEqual([invoice.total]);
					expect((await getAccount(deps, accountId))?.balance).toBe(invoice.total);
					// pdf.js reads each totals row as its value, then its label.
					expect(await storedPdfText(deps.s3, stack.bucketName, invoice.pdfKey)).toContain(
						`${formatMoney({ amount: invoice.total, currency })} Total`,
					);
				},
			),
			{ numRuns: 6 },
		);
		expect((await verifyLedgerInvariants(deps)).violations).toEqual([]);
	});
});
