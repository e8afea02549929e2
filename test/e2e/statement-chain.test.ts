import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../../shared/core/model.js";
import type { Statement } from "../../shared/core/statement.js";
import { createClients } from "../../shared/platform/clients.js";
import { readObjectBytes } from "../../shared/platform/s3-objects.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { accountStatusChange, putAccount } from "../../shared/store/accounts.js";
import { getAccount, listInvoicesOfAccount, listLedgerEntries } from "../../shared/store/records.js";
import { getStatement } from "../../shared/store/statements.js";
import { transactWrite } from "../../shared/store/transact.js";
import { testAccount } from "../support/accounts.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { sentMail, startTestStack } from "../support/embedded.js";
import { pdfText } from "../support/pdf.js";

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
const ACCOUNT = "CHAIN-1";
const CLOSED = "CHAIN-CLOSED";

beforeAll(async () => {
	stack = await startTestStack("statement-chain");
	billing = cliInProcess(stack);
	table = { ddb: createClients().ddb, tableName: stack.tableName };
	await putAccount(table, testAccount(ACCOUNT, { plan: { code: "p", description: "Plan", unitAmount: 10_000, quantity: 1 } }));
	// In euros, so the USD report figures above are CHAIN-1's alone.
	await putAccount(
		table,
		testAccount(CLOSED, {
			currency: "EUR",
			email: `ap+${stack.tag}-closed@example.com`,
			plan: { code: "p", description: "Plan", unitAmount: 5_000, quantity: 1 },
		}),
	);
}, 60_000);

afterAll(async () => {
	await stack?.stop();
});

const reportJson = async (period: string, asOf: string) => {
	const out = await billing("report", "--period", period, "--as-of", asOf);
	expect(out.code).toBe(0);
	return JSON.parse(readFileSync(JSON.parse(out.stdout).files.json, "utf8"));
};

describe("a write-off back-dated before the last statement's cut-off", () => {
	it("is on the next statement with its effective date, and the chain's balances stay the account's", async () => {
		expect((await billing("run", "--period", "2026-09", "--as-of", "2026-10-01")).code).toBe(0);
		const september = (await getStatement(table, ACCOUNT, "2026-09")) as Statement;
		expect(september).toMatchObject({ openingBalance: 0, closingBalance: 10_000 });
		const [first] = await listInvoicesOfAccount(table, ACCOUNT);

		// Booked on 20 October, entered after September's statement was cut (the cut is now).
		const writeOff = await billing(
			"write-off",
			"--invoice",
			String(first?.number),
			"--reason",
			"customer insolvent",
			"--as-of",
			"2026-10-20",
		);
		expect(writeOff.code).toBe(0);
		const [entry] = (await listLedgerEntries(table, ACCOUNT)).filter((e) => e.type === "write_off");
		expect(entry).toMatchObject({ amount: -10_000, effectiveDate: "2026-10-20", invoiceNumber: first?.number });
		expect(String(entry?.recordedAt) > september.cutoff).toBe(true);

		expect((await billing("run", "--period", "2026-10", "--as-of", "2026-11-01")).code).toBe(0);
		const october = (await getStatement(table, ACCOUNT, "2026-10")) as Statement;
		expect(october.openingBalance).toBe(10_000);
		expect(october.activity.map((a) => [a.type, a.effectiveDate, a.amount])).toEqual([
			["write_off", "2026-10-20", -10_000],
			["invoice_issued", "2026-11-01", 10_000],
		]);
		expect(october.closingBalance).toBe(10_000);
		expect((await getAccount(table, ACCOUNT))?.balance).toBe(october.closingBalance);
		const pdf = await pdfText(await readObjectBytes(createClients().s3, stack.bucketName, october.pdfKey));
		expect(pdf).toContain("2026-10-20");
		expect(pdf).toContain("Write-off");
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	}, 120_000);

	it("counts in the report of the month it is effective in, and aging as of a past date shows what was owed then", async () => {
		const october = await reportJson("2026-10", "2026-10-10");
		expect(october.months[0].byCurrency.USD).toMatchObject({ writeOffs: 10_000 });
		// On 10 October the September invoice was still owed in full, and October's was not issued yet.
		expect(october.agingByCurrency.USD).toEqual({ current: 10_000, "1-30": 0, "31-60": 0, "61-90": 0, "over 90": 0 });
		const later = await reportJson("2026-10", "2026-12-15");
		// By then the first is written off and the second (due 1 December) is 14 days late.
		expect(later.agingByCurrency.USD).toEqual({ current: 0, "1-30": 10_000, "31-60": 0, "61-90": 0, "over 90": 0 });
	}, 60_000);
});

describe("a closed account that still owes", () => {
	it("gets no new invoice, but its statement, by email, while it owes", async () => {
		const before = (await getAccount(table, CLOSED)) as Account;
		expect(before.balance).toBe(10_000);
		await transactWrite(
			table,
			accountStatusChange(table.tableName, before, "closed", { actor: "test", at: new Date().toISOString(), reason: "customer left" }),
		);

		expect((await billing("run", "--period", "2026-11", "--as-of", "2026-12-01")).code).toBe(0);
		expect((await listInvoicesOfAccount(table, CLOSED)).map((i) => i.period).sort()).toEqual(["2026-09", "2026-10"]);
		const november = (await getStatement(table, CLOSED, "2026-11")) as Statement;
		expect(november).toMatchObject({ openingBalance: 10_000, activity: [], closingBalance: 10_000 });
		const mail = await sentMail((m) => m.destination.to.some((to) => to.includes(`${stack.tag}-closed@`)));
		expect(mail.flatMap((m) => m.attachments.map((a) => a.filename))).toContain(`statement-${CLOSED}-2026-11.pdf`);
		expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	}, 120_000);
});
