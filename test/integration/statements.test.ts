import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agingBucket } from "../../shared/core/aging.js";
import type { Account } from "../../shared/core/model.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { createCreditMemo } from "../../shared/invoicing/credit-memos.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { issueStatement, issueStatements } from "../../shared/invoicing/statements.js";
import { recordPayment } from "../../shared/payments/recording.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { balanceChange, putAccount } from "../../shared/store/accounts.js";
import { ledgerEntryPut } from "../../shared/store/ledger.js";
import { getAccount } from "../../shared/store/records.js";
import { conditionFailedAt, transactWrite } from "../../shared/store/transact.js";
import { startTestStack } from "../support/embedded.js";
import { storedPdfText } from "../support/pdf.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: Parameters<typeof issueInvoiceForAccount>[0];
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
		paymentTermsDays: 15,
		delivery: "email",
		addressLines: ["1 Main St"],
		plan: { code: "team", description: "Team plan", unitAmount: 10_000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
	};
}

beforeAll(async () => {
	stack = await startTestStack("statements");
	const { ddb, s3 } = createClients();
	deps = { ddb, s3, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
	await putAccount(deps, account("ACC-ST1"));
	await putAccount(deps, { ...account("ACC-QUIET"), plan: undefined });
});

afterAll(async () => {
	await stack?.stop();
});

describe("monthly statements", () => {
	it("age open amounts by days past due", () => {
		expect(agingBucket("2026-10-16", "2026-10-16")).toBe("current");
		expect(agingBucket("2026-10-16", "2026-10-17")).toBe("1-30");
		expect(agingBucket("2026-10-16", "2026-11-15")).toBe("1-30");
		expect(agingBucket("2026-10-16", "2026-11-16")).toBe("31-60");
		expect(agingBucket("2026-09-01", "2026-12-01")).toBe("over 90");
	});

	it("show opening balance, invoices, payments, credits, closing balance and aging; they chain month to month", async () => {
		const issued = await issueInvoiceForAccount(deps, "ACC-ST1", september);
		const number = "invoiceNumber" in issued ? issued.invoiceNumber : "";
		await recordPayment(
			deps,
			{
				provider: "test",
				paymentId: "p1",
				eventId: "e1",
				invoiceNumber: number,
				amount: 5000,
				currency: "USD",
				receivedAt: new Date().toISOString(),
			},
			"payment.succeeded",
			"{}",
		);
		await createCreditMemo(deps, { invoiceNumber: number, amount: 1000, reason: "Outage" });

		const first = await issueStatement(deps, "ACC-ST1", "2026-09", "2026-10-31");
		expect(first).toMatchObject({ openingBalance: 0, closingBalance: 5000, aging: { current: 0, "1-30": 5000, "31-60": 0 } });
		expect(first?.activity.map((a) => [a.type, a.reference, a.amount])).toEqual([
			["invoice_issued", number, 11_000],
			["payment_applied", `test:p1 -> ${number}`, -5000],
			["credit_memo", "CM-2026-000001", -1000],
		]);
		expect((await getAccount(deps, "ACC-ST1"))?.balance).toBe(5000);
		const text = await storedPdfText(deps.s3, stack.bucketName, first?.pdfKey ?? "");
		for (const expected of [
			"STATEMENT",
			"Customer ACC-ST1",
			"Opening balance",
			"USD 0.00",
			"Invoice",
			number,
			"USD 110.00",
			"Payment",
			"-USD 50.00",
			"Credit memo",
			"-USD 10.00",
			"Closing balance",
			"USD 50.00",
			"1-30",
		]) {
			expect(text).toContain(expected);
		}
		expect(await issueStatement(deps, "ACC-ST1", "2026-09", "2026-10-31")).toEqual(first);

		const next = await issueInvoiceForAccount(deps, "ACC-ST1", october);
		const nextNumber = "invoiceNumber" in next ? next.invoiceNumber : "";
		const second = await issueStatement(deps, "ACC-ST1", "2026-10", "2026-11-30");
		expect(second).toMatchObject({ openingBalance: 5000, closingBalance: 16_000, aging: { "1-30": 11_000, "31-60": 5000 } });
		expect(second?.activity.map((a) => a.reference)).toEqual([nextNumber]);
		expect((await verifyLedgerInvariants(deps)).violations).toEqual([]);
	});

	it("skip accounts with neither activity nor an open balance", async () => {
		const statements = await issueStatements(deps, "2026-10", "2026-11-30");
		expect(statements.map((s) => s.accountId)).toEqual(["ACC-ST1"]);
	});

	it("refuse a ledger entry stamped before a statement's cut-off; stamped again, it lands on the next one", async () => {
		await putAccount(deps, { ...account("ACC-RACE"), plan: undefined });
		const stampedBefore = new Date().toISOString();
		const pay = (recordedAt: string) =>
			transactWrite(deps, [
				ledgerEntryPut(deps.tableName, {
					accountId: "ACC-RACE",
					type: "account_credit",
					amount: -500,
					currency: "USD",
					reference: "race",
					effectiveDate: recordedAt.slice(0, 10),
					recordedAt,
				}),
				balanceChange(deps.tableName, { accountId: "ACC-RACE", balanceDelta: -500, creditDelta: 500, recordedAt }),
			]);
		await pay(new Date().toISOString());
		const cut = await issueStatement(deps, "ACC-RACE", "2026-11", "2026-11-30");
		expect(cut?.closingBalance).toBe(-500);
		// Stamped before the cut, committed after it: it would be on no statement, so it is refused.
		const refused = await pay(stampedBefore).catch((err: unknown) => err);
		expect(conditionFailedAt(refused, 1)).toBe(true);
		expect(await getAccount(deps, "ACC-RACE")).toMatchObject({ balance: -500, creditBalance: 500 });
		await pay(new Date().toISOString());
		const next = await issueStatement(deps, "ACC-RACE", "2026-12", "2026-12-31");
		expect(next).toMatchObject({ openingBalance: -500, closingBalance: -1000 });
		expect(next?.activity.map((a) => a.amount)).toEqual([-500]);
	});
});
