import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { putAccount } from "../../shared/store/accounts.js";
import { getAccount, getInvoice } from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let invoiceNumber: string;
let typedInvoice: string;

beforeAll(async () => {
	stack = await startTestStack("memo-cli");
	billing = cliInProcess(stack);
	const clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	await putAccount(table, testAccount("ACC-WO", { plan: { code: "p", description: "Plan", unitAmount: 10000, quantity: 1 } }));
	const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
	const issued = await issueInvoiceForAccount(
		{ ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() },
		"ACC-WO",
		period,
	);
	invoiceNumber = "invoiceNumber" in issued ? issued.invoiceNumber : "";
	await putAccount(table, testAccount("ACC-MU", { plan: { code: "p", description: "Plan", unitAmount: 10000, quantity: 1 } }));
	const typed = await issueInvoiceForAccount(
		{ ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() },
		"ACC-MU",
		period,
	);
	typedInvoice = "invoiceNumber" in typed ? typed.invoiceNumber : "";
}, 60_000);

afterAll(async () => {
	await stack?.stop();
});

describe("billing credit-memo create on a written-off invoice", () => {
	it("is refused and changes nothing: a written-off amount never becomes spendable credit", async () => {
		const writeOff = await billing("write-off", "--invoice", invoiceNumber, "--reason", "customer insolvent");
		expect(writeOff.code).toBe(0);
		expect(await getInvoice(table, invoiceNumber)).toMatchObject({ status: "uncollectible", amountDue: 0, amountWrittenOff: 10000 });

		const memo = await billing("credit-memo", "create", "--invoice", invoiceNumber, "--amount", "100.00", "--reason", "goodwill");
		expect(memo.code).toBe(2);
		expect(memo.stderr).toMatch(/is written off/);
		expect(await getAccount(table, "ACC-WO")).toMatchObject({ balance: 0, creditBalance: 0 });
		expect(await getInvoice(table, invoiceNumber)).toMatchObject({ status: "uncollectible", amountDue: 0, amountWrittenOff: 10000 });
		expect(JSON.parse((await billing("credit-memo", "list", "--json")).stdout)).toEqual([]);
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	}, 60_000);
});

describe("billing credit-memo create --amount, typed in the invoice currency's major units", () => {
	it("credits 12.50 as USD 12.50 (1250 minor units in the JSON); more decimals than USD has is refused, changing nothing", async () => {
		const refused = await billing("credit-memo", "create", "--invoice", typedInvoice, "--amount", "12.505", "--reason", "goodwill");
		expect(refused.code).toBe(2);
		expect(refused.stderr).toMatch(/"12\.505" has more decimals than USD has \(2\)/);
		expect(await getInvoice(table, typedInvoice)).toMatchObject({ amountDue: 10000 });
		expect(JSON.parse((await billing("credit-memo", "list", "--json")).stdout)).toEqual([]);

		const memo = await billing("credit-memo", "create", "--invoice", typedInvoice, "--amount", "12.50", "--reason", "goodwill", "--json");
		expect(memo.code, memo.stderr).toBe(0);
		expect(JSON.parse(memo.stdout)).toMatchObject({ amount: 1250, currency: "USD", appliedToInvoice: 1250 });
		expect(await getInvoice(table, typedInvoice)).toMatchObject({ amountDue: 8750, credited: 1250 });
		expect(await getAccount(table, "ACC-MU")).toMatchObject({ balance: 8750 });
	}, 60_000);
});
