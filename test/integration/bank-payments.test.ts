import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { importBankStatement, importBankStatementCsv, recordManualPayment } from "../../shared/payments/providers/bank.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { putAccount } from "../../shared/store/accounts.js";
import { getAccount, getInvoice, listLedgerEntries, listPayments } from "../../shared/store/records.js";
import { startTestStack } from "../support/embedded.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
const numbers: Record<string, string> = {};

beforeAll(async () => {
	stack = await startTestStack("bank", { http: false });
	const clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
	for (const [id, currency, unitAmount] of [
		["B1", "EUR", 12050],
		["B2", "EUR", 9900],
		["B3", "USD", 5000],
		["C1", "EUR", 12050],
		["C2", "EUR", 9900],
		["C3", "EUR", 4500],
		["C4", "JPY", 12000],
	] as const) {
		await putAccount(table, {
			accountId: `ACC-${id}`,
			name: `Bank ${id} GmbH`,
			email: `ap+${stack.tag}@example.com`,
			currency,
			status: "active",
			taxRatePpm: 0,
			paymentTermsDays: 30,
			delivery: "email",
			addressLines: [],
			plan: { code: "p", description: "Plan", unitAmount, quantity: 1 },
			balance: 0,
			creditBalance: 0,
			createdAt: new Date().toISOString(),
		});
		const issued = await issueInvoiceForAccount(deps, `ACC-${id}`, october);
		if (issued.outcome === "nothing_to_bill") throw new Error("expected an invoice");
		numbers[id] = issued.invoiceNumber;
	}
}, 60_000);

afterAll(async () => {
	expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	await stack?.stop();
});

describe("bank statement import and manual payments", () => {
	it("records each credit matched by its reference, skips debits, reports bad rows, and imports nothing twice", async () => {
		const csv = [
			"Date,Amount,Currency,Reference,Id,Account",
			`2026-11-05,"120.50",EUR,Payment ${numbers.B1} thank you,TX-1,`,
			"2026-11-06,99.00,EUR,Invoice payment,TX-2,ACC-B2",
			"2026-11-06,-15.00,EUR,Bank fee,TX-3,",
			"2026-11-07,42.00,EUR,unknown sender,TX-4,",
			"2026-11-07,1.005,EUR,too precise,TX-5,",
			"",
		].join("\n");
		const rows = await importBankStatementCsv(table, csv);
		expect(rows.map((r) => [r.line, r.outcome.result])).toEqual([
			[2, "applied"],
			[3, "applied"],
			[4, "skipped_debit"],
			[5, "unapplied"],
			[6, "rejected"],
		]);
		expect(await getInvoice(table, numbers.B1 as string)).toMatchObject({ status: "paid", amountDue: 0 });
		expect(await getInvoice(table, numbers.B2 as string)).toMatchObject({ status: "paid", amountDue: 0 });
		const unmatched = (await listPayments(table)).find((p) => p.paymentId === "bank-TX-4");
		expect(unmatched).toMatchObject({ provider: "bank", amount: 4200, currency: "EUR", unappliedAmount: 4200 });
		expect(unmatched?.unappliedReason).toMatch(/neither an invoice/);

		const again = await importBankStatementCsv(table, csv);
		expect(again.filter((r) => r.outcome.result === "duplicate_event")).toHaveLength(3);
		expect(await listPayments(table)).toHaveLength(3);
	});

	it("records a cheque against the customer's open invoice of that amount, once", async () => {
		const cheque = { accountId: "ACC-B3", amount: "50.00", currency: "usd", reference: "cheque 004211" };
		expect(await recordManualPayment(table, cheque)).toMatchObject({ result: "applied", invoiceNumbers: [numbers.B3] });
		expect(await recordManualPayment(table, cheque)).toMatchObject({ result: "duplicate_event" });
		expect(await getAccount(table, "ACC-B3")).toMatchObject({ balance: 0 });
		await expect(recordManualPayment(table, { ...cheque, reference: "cheque 2", amount: "0" })).rejects.toThrow(/positive/);
		await expect(recordManualPayment(table, { ...cheque, reference: "cheque 3", currency: "XXX" })).rejects.toThrow(/currency/);
	});

	it("imports a camt.053 statement: credits matched by reference, batch entries split, debits skipped, nothing twice", async () => {
		const fixture = readFileSync(new URL("../fixtures/camt053-statement.xml", import.meta.url), "utf8");
		const xml = fixture.replace(/\{\{(C\d)\}\}/g, (_, key: string) => numbers[key] ?? key);
		const before = await listPayments(table);

		await expect(importBankStatement(table, xml.replace("</Document>", ""))).rejects.toThrow(/not well-formed XML/);
		expect(await listPayments(table)).toEqual(before);

		const rows = await importBankStatement(table, xml);
		expect(rows.map((r) => [r.entry, r.outcome.result])).toEqual([
			["Stmt 1 Ntry 1", "applied"],
			["Stmt 1 Ntry 2", "unapplied"],
			["Stmt 1 Ntry 3", "skipped_charge"],
			["Stmt 1 Ntry 4 TxDtls 1", "applied"],
			["Stmt 1 Ntry 4 TxDtls 2", "applied"],
			["Stmt 2 Ntry 1", "applied"],
		]);
		for (const [id, amount] of [
			["C1", 12050],
			["C2", 9900],
			["C3", 4500],
			["C4", 12000],
		] as const) {
			expect(await getInvoice(table, numbers[id] as string)).toMatchObject({ status: "paid", amountDue: 0 });
			expect(await getAccount(table, `ACC-${id}`)).toMatchObject({ balance: 0 });
			expect((await listLedgerEntries(table, `ACC-${id}`)).map((e) => [e.type, e.amount])).toContainEqual(["payment_applied", -amount]);
		}
		const received = (await listPayments(table)).filter((p) => !before.some((b) => b.paymentId === p.paymentId));
		expect(
			received.map((p) => [p.paymentId, p.provider, p.amount, p.currency, p.status]).sort((a, b) => Number(a[2]) - Number(b[2])),
		).toEqual([
			[expect.stringMatching(/^bank-[0-9a-f]{24}$/), "bank", 4200, "EUR", "unapplied"],
			["bank-2026110700009999-2", "bank", 4500, "EUR", "applied"],
			["bank-2026110700009999-1", "bank", 9900, "EUR", "applied"],
			["bank-JP-20261107-000042", "bank", 12000, "JPY", "applied"],
			["bank-2026110500001234", "bank", 12050, "EUR", "applied"],
		]);
		expect(received.find((p) => p.amount === 4200)?.unappliedReason).toMatch(/neither an invoice/);

		const again = await importBankStatement(table, xml);
		expect(again.map((r) => r.outcome.result)).toEqual([
			"duplicate_event",
			"duplicate_event",
			"skipped_charge",
			"duplicate_event",
			"duplicate_event",
			"duplicate_event",
		]);
		expect(await listPayments(table)).toHaveLength(before.length + received.length);

		// An entry that cannot be read is skipped with its reason; the rest of the file is still read.
		const unreadable = await importBankStatement(table, xml.replace('<Amt Ccy="JPY">12000</Amt>', '<Amt Ccy="JPY">12000.5</Amt>'));
		expect(unreadable.map((r) => [r.entry, r.outcome.result])).toEqual([
			["Stmt 1 Ntry 1", "duplicate_event"],
			["Stmt 1 Ntry 2", "duplicate_event"],
			["Stmt 1 Ntry 3", "skipped_charge"],
			["Stmt 1 Ntry 4 TxDtls 1", "duplicate_event"],
			["Stmt 1 Ntry 4 TxDtls 2", "duplicate_event"],
			["Stmt 2 Ntry 1", "rejected"],
		]);
		expect(unreadable.at(-1)?.outcome).toEqual({
			result: "rejected",
			reason: "Stmt 2 Ntry 1: amount 12000.5 has more than 0 decimals for JPY",
		});
		expect(await listPayments(table)).toHaveLength(before.length + received.length);
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	});
});
