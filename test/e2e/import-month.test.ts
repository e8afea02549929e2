import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClients } from "../../shared/platform/clients.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { listPlans, listSubscriptionsOfAccount } from "../../shared/store/catalog.js";
import { listChargePagesOfAccount } from "../../shared/store/charges.js";
import { getAccount, listAccounts, listInvoicesOfPeriod } from "../../shared/store/records.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

/**
 * A new billing team's month: three hand-written files (accounts, plans with their
 * subscriptions, charges) in test/fixtures/import, imported with `billing import`, billed by
 * `billing run`, give the totals a spreadsheet gives, to the minor unit.
 */

const FIXTURES = fileURLToPath(new URL("../fixtures/import", import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);
const FILES = ["accounts.csv", "plans.csv", "subscriptions.csv", "charges.csv"].map(fixture);

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let scratch: string;

/** A file written for one test, under the name given (its kind comes from the name). */
function file(name: string, text: string | Buffer): string {
	const path = join(scratch, name);
	writeFileSync(path, text);
	return path;
}

async function chargesOf(accountId: string) {
	return (await listChargePagesOfAccount(table, accountId)).flatMap((page) => page.charges);
}

/** Everything an import writes, to check that a refused or repeated one wrote nothing. */
async function snapshot() {
	const accounts = await listAccounts(table);
	return {
		accounts,
		plans: await listPlans(table),
		subscriptions: await Promise.all(accounts.map((a) => listSubscriptionsOfAccount(table, a.accountId))),
		charges: await Promise.all(accounts.map((a) => listChargePagesOfAccount(table, a.accountId))),
		audit: await Promise.all(accounts.map((a) => listAuditEntries(table, "account", a.accountId))),
	};
}

async function expectRefused(result: CliResult, lines: readonly (string | RegExp)[]) {
	expect(result.code).toBe(2);
	expect(result.stderr).toMatch(/import refused, nothing written/);
	for (const line of lines) expect(result.stderr).toMatch(line);
}

beforeAll(async () => {
	stack = await startTestStack("import");
	billing = cliInProcess(stack);
	table = { ddb: createClients().ddb, tableName: stack.tableName };
	scratch = mkdtempSync(join(tmpdir(), "billing-import-"));
}, 60_000);

afterAll(async () => {
	await stack?.stop();
});

describe("a billing team's own files", () => {
	it("imports accounts, plans, subscriptions and charges, each record with its audit entry naming the file", async () => {
		const imported = await billing("import", ...FILES, "--actor", "cli:dana");
		expect(imported.stderr).toMatch(/checking charges\.csv: 4 rows \(done\)/);
		expect(imported.code).toBe(0);
		expect(imported.stdout).toMatch(/accounts\.csv \(accounts\): 3 rows; 3 created, 0 updated, 0 unchanged/);
		expect(imported.stdout).toMatch(/charges\.csv \(charges\): 4 rows; 4 created, 0 updated, 0 unchanged/);

		const nyc = await getAccount(table, "NYC-001");
		expect(nyc).toMatchObject({
			name: "Hudson Analytics, LLC",
			currency: "USD",
			taxRatePpm: 88_750,
			paymentTerms: "net_30",
			paymentTermsDays: 30,
			addressLines: ["200 Hudson St", "New York NY 10013", "United States"],
			externalRef: "CRM-1001",
			balance: 0,
			creditBalance: 0,
			status: "active",
		});
		expect(await getAccount(table, "KWT-001")).toMatchObject({
			delivery: "postal",
			addressLines: ["Block 3, Street 14", "Kuwait City", "Kuwait"],
		});
		expect((await listPlans(table)).map((p) => [p.planCode, p.currency, p.unitAmount])).toEqual([
			["pro-jpy", "JPY", 3300],
			["pro-kwd", "KWD", 9125],
			["pro-usd", "USD", 2999],
		]);
		expect(await listSubscriptionsOfAccount(table, "KWT-001")).toEqual([
			{ subscriptionId: "SUB-3", accountId: "KWT-001", planCode: "pro-kwd", quantity: 1, startDate: "2026-06-01", endDate: "2026-11-20" },
		]);
		const charges = await chargesOf("NYC-001");
		expect(charges.find((c) => c.chargeId === "CH-1")).toMatchObject({
			period: "2026-11",
			date: "2026-11-30",
			quantity: "2.5",
			unitAmount: 1999,
		});
		expect((await chargesOf("KWT-001"))[0]).toMatchObject({ quantity: "0.75", unitAmount: 4250 });

		const audit = await listAuditEntries(table, "account", "NYC-001");
		expect(audit).toHaveLength(1);
		expect(audit[0]).toMatchObject({ action: "created", actor: "cli:dana", reason: "import accounts.csv", before: null });
		expect((await listAuditEntries(table, "plan", "pro-usd"))[0]).toMatchObject({ action: "created", reason: "import plans.csv" });
	});

	it("imports the same files again without changing anything", async () => {
		const before = await snapshot();
		const again = await billing("import", ...FILES);
		expect(again.code).toBe(0);
		for (const kind of ["accounts", "plans", "subscriptions"]) {
			expect(again.stdout).toMatch(new RegExp(`\\(${kind}\\): 3 rows; 0 created, 0 updated, 3 unchanged`));
		}
		expect(again.stdout).toMatch(/\(charges\): 4 rows; 0 created, 0 updated, 4 unchanged/);
		expect(await snapshot()).toEqual(before);
	});

	it("bills the month to exactly the spreadsheet's totals", async () => {
		const run = await billing("run", "--period", "2026-11", "--as-of", "2026-12-01");
		expect(run.code).toBe(0);
		const invoices = new Map((await listInvoicesOfPeriod(table, "2026-11")).map((i) => [i.accountId, i]));
		// USD at 8.875%, per line, half-up: 3 × 29.99 = 89.97 (tax 7.98); 2.5 × 19.99 = 49.975 → 49.98
		// (tax 4.44); 150.00 (tax 13.31). 289.95 + 25.73 = 315.68.
		const nyc = invoices.get("NYC-001");
		expect(nyc?.lines.map((l) => [l.quantity, l.amount, l.tax])).toEqual([
			[3, 8997, 798],
			["2.5", 4998, 444],
			[1, 15_000, 1331],
		]);
		expect(nyc).toMatchObject({ currency: "USD", subtotal: 28_995, tax: 2573, total: 31_568, paymentTerms: "Net 30" });
		// JPY at 10%: 2 × 3,300 from the 16th, 15 of 30 days = 3,300 (tax 330); 1,234.5 × 3 = 3,703.5 → 3,704 (tax 370).
		const tyo = invoices.get("TYO-001");
		expect(tyo?.lines.map((l) => [l.quantity, l.amount, l.tax])).toEqual([
			[2, 3300, 330],
			["1234.5", 3704, 370],
		]);
		expect(tyo).toMatchObject({ currency: "JPY", subtotal: 7004, tax: 700, total: 7704 });
		// KWD, no tax: 9.125 to the 20th, 20 of 30 days = 6.08333 → 6.083; 0.75 × 4.250 = 3.1875 → 3.188.
		const kwt = invoices.get("KWT-001");
		expect(kwt?.lines.map((l) => [l.quantity, l.amount, l.tax])).toEqual([
			[1, 6083, 0],
			["0.75", 3188, 0],
		]);
		expect(kwt).toMatchObject({ currency: "KWD", total: 9271, paymentTerms: "Due on receipt" });
		expect(kwt?.lines[0]?.description).toBe("Pro plan, per seat (2026-11-01 to 2026-11-20, 20 of 30 days)");
	});

	it("updates a changed account with an audit entry of what changed, naming the file", async () => {
		const fixed = readFileSync(fixture("accounts.csv"), "utf8").replace("ap@hudson.example.com", "billing@hudson.example.com");
		const result = await billing("import", file("accounts-fix.csv", fixed), "--actor", "cli:sam");
		expect(result.code).toBe(0);
		expect(result.stdout).toMatch(/3 rows; 0 created, 1 updated, 2 unchanged/);
		const account = await getAccount(table, "NYC-001");
		expect(account).toMatchObject({ email: "billing@hudson.example.com", balance: 31_568 });
		const audit = await listAuditEntries(table, "account", "NYC-001");
		expect(audit.at(-1)).toMatchObject({
			action: "updated",
			actor: "cli:sam",
			reason: "import accounts-fix.csv",
			before: { email: "ap@hudson.example.com" },
			after: { email: "billing@hudson.example.com" },
		});
	});

	it("refuses a charge in a month already invoiced, and changing a charge that was billed, writing nothing", async () => {
		const before = await snapshot();
		const late = file(
			"charges-late.csv",
			[
				"charge_id,account_id,date,description,quantity,unit_price",
				"CH-9,TYO-001,2026-11-29,Late usage,1,100",
				"CH-3,TYO-001,2026-11-03,API calls (thousands),1300,3",
				"CH-10,TYO-001,2026-12-02,December usage,1,100",
			].join("\n"),
		);
		await expectRefused(await billing("import", late), [
			/line 2: date: TYO-001 was invoiced for 2026-11 already; bill it in an open month or issue a one-off invoice/,
			/line 3: date: TYO-001 was invoiced for 2026-11 already/,
		]);
		expect((await billing("import", late)).stderr).toMatch(/2 errors/);
		expect(await snapshot()).toEqual(before);
	});
	it("closes an account from the file: its next invoice bills the plan to its closing day, then none", async () => {
		const closing = readFileSync(fixture("accounts.csv"), "utf8")
			.replace("ap@hudson.example.com", "billing@hudson.example.com")
			.replace(
				"account_id,name,currency,email,delivery,address,tax_rate,payment_terms,external_ref",
				"account_id,name,currency,email,delivery,address,tax_rate,payment_terms,external_ref,status,closed_on",
			)
			.replace(/CRM-1002$/m, "CRM-1002,closed,2026-12-10")
			.replace(/CRM-1001$/m, "CRM-1001,,")
			.replace(/CRM-1003$/m, "CRM-1003,,");
		const result = await billing("import", file("accounts-closing.csv", closing));
		expect(result.code).toBe(0);
		expect(await getAccount(table, "TYO-001")).toMatchObject({ status: "closed", closedOn: "2026-12-10" });
		expect((await listAuditEntries(table, "account", "TYO-001")).at(-1)).toMatchObject({
			action: "updated",
			after: { status: "closed", closedOn: "2026-12-10" },
		});
		expect((await billing("run", "--period", "2026-12", "--as-of", "2027-01-01")).code).toBe(0);
		const december = (await listInvoicesOfPeriod(table, "2026-12")).find((i) => i.accountId === "TYO-001");
		// 2 × 3,300 for 10 of 31 days = 2,129.03 → 2,129, tax 10% = 212.9 → 213.
		expect(december?.lines.map((l) => [l.description, l.amount, l.tax])).toEqual([
			["Pro plan, per seat (2026-12-01 to 2026-12-10, 10 of 31 days)", 2129, 213],
		]);
		expect((await billing("run", "--period", "2027-01", "--as-of", "2027-02-01")).code).toBe(0);
		expect((await listInvoicesOfPeriod(table, "2027-01")).filter((i) => i.accountId === "TYO-001")).toEqual([]);
	});
});

describe("files as people save them", () => {
	it("reads a BOM, CRLF line ends, quoted fields with commas and line breaks and a trailing empty line", async () => {
		const text = [
			"\uFEFFaccount_id,name,currency,delivery,address,tax_rate",
			'CRLF-1,"Comma, Quote ""Q"" Ltd",USD,postal,"1 Long Road|Suite 2",7.25',
			'CRLF-2,"Line',
			'Break GmbH",EUR,postal,"Hauptstr. 1|10115 Berlin",19',
			"",
			"",
		].join("\r\n");
		const result = await billing("import", file("accounts-crlf.csv", text));
		expect(result.code).toBe(0);
		expect(await getAccount(table, "CRLF-1")).toMatchObject({
			name: 'Comma, Quote "Q" Ltd',
			taxRatePpm: 72_500,
			addressLines: ["1 Long Road", "Suite 2"],
		});
		expect(await getAccount(table, "CRLF-2")).toMatchObject({ name: "Line\r\nBreak GmbH", currency: "EUR", taxRatePpm: 190_000 });
	});

	it("reads JSON Lines with numbers as numbers or strings, never through a float", async () => {
		const jsonl = [
			'{"charge_id":"J-1","account_id":"CRLF-1","date":"2026-12-05","description":"Usage","quantity":0.1,"unit_price":0.07}',
			'{"charge_id":"J-2","account_id":"CRLF-1","date":"2026-12-06","description":"Usage, more","quantity":"3","unit_price":"1.10","kind":"one_time"}',
		].join("\n");
		const result = await billing("import", file("charges-api.jsonl", jsonl));
		expect(result.code).toBe(0);
		const charges = await chargesOf("CRLF-1");
		expect(charges.map((c) => [c.chargeId, c.quantity, c.unitAmount, c.kind])).toEqual([
			["J-1", "0.1", 7, "usage"],
			["J-2", 3, 110, "one_time"],
		]);
	});

	it("refuses a file with bad rows, naming every line and field, and writes nothing", async () => {
		const before = await snapshot();
		const accounts = file(
			"accounts-bad.csv",
			[
				"account_id,name,currency,email,tax_rate,status,closed_on",
				"BAD-1,Good Row Ltd,USD,ap@good.example.com,8.875,,",
				"BAD-2,,USD,ap@x.example.com,,,",
				"BAD-3,Tax Ltd,USD,ap@y.example.com,8.87501,,",
				"BAD-1,Twice Ltd,USD,ap@z.example.com,,,",
				"BAD-4,Closed Ltd,USD,ap@w.example.com,,closed,2026-02-30",
				"BAD-5,Money Ltd,XXX,ap@v.example.com,,,",
			].join("\n"),
		);
		const plans = file(
			"plans-bad.csv",
			["plan_code,description,currency,unit_price", "p-jpy,Plan,JPY,10.5", "p-usd,Plan,USD,1.005", "p-neg,Plan,USD,-3"].join("\n"),
		);
		const subscriptions = file(
			"subscriptions-bad.csv",
			[
				"subscription_id,account_id,plan_code,quantity,start_date",
				"S-1,BAD-1,pro-jpy,1,2026-12-01",
				"S-2,NOBODY,pro-usd,1,2026-12-01",
				"S-3,BAD-1,pro-usd,two,2026-12-01",
			].join("\n"),
		);
		const charges = file(
			"charges-bad.csv",
			[
				"charge_id,account_id,date,description,quantity,unit_price",
				"C-1,BAD-1,2026-12-01,Usage,-1,1.00",
				"C-2,BAD-1,2026-12-01,Usage,1.0000001,1.00",
				"C-3,BAD-1,2026-12-01,Usage,1,abc",
				"C-4,TYO-001,2026-12-01,Usage,1,1.5",
			].join("\n"),
		);
		const result = await billing("import", accounts, plans, subscriptions, charges);
		await expectRefused(result, [
			/accounts-bad\.csv: line 3: name: is required/,
			/accounts-bad\.csv: line 4: tax_rate: "8\.87501" is not a percent: digits with at most 4 decimals/,
			/accounts-bad\.csv: line 5: account_id: BAD-1 appears twice \(also on line 2\)/,
			/accounts-bad\.csv: line 6: closed_on: "2026-02-30" is not a date that exists/,
			/accounts-bad\.csv: line 7: currency: must be one of/,
			/plans-bad\.csv: line 2: unit_price: "10\.5" has more decimals than JPY has \(0\)/,
			/plans-bad\.csv: line 3: unit_price: "1\.005" has more decimals than USD has \(2\)/,
			/plans-bad\.csv: line 4: unit_price: "-3" is not a price/,
			/subscriptions-bad\.csv: line 2: plan_code: plan pro-jpy is in JPY, account BAD-1 in USD/,
			/subscriptions-bad\.csv: line 3: account_id: no account NOBODY, stored or in this import/,
			/subscriptions-bad\.csv: line 4: quantity: "two" is not a whole number above 0/,
			/charges-bad\.csv: line 2: quantity: "-1" is not a quantity/,
			/charges-bad\.csv: line 3: quantity: "1\.0000001" has more than 6 decimals/,
			/charges-bad\.csv: line 4: unit_price: "abc" is not a price/,
			/charges-bad\.csv: line 5: unit_price: "1\.5" has more decimals than JPY, the account's currency, has \(0\)/,
		]);
		expect(result.stderr).toMatch(/15 errors/);
		expect(await snapshot()).toEqual(before);
	});

	it("refuses an unknown column, a missing required column and a file that is not UTF-8", async () => {
		await expectRefused(await billing("import", file("accounts-col.csv", "account_id,name,currency,colour\nU-1,U Ltd,USD,red\n")), [
			/line 1: colour: unknown column; the columns are account_id, name, currency/,
		]);
		await expectRefused(await billing("import", file("plans-col.csv", "plan_code,description,currency\np,Plan,USD\n")), [
			/line 1: unit_price: required column missing/,
		]);
		const latin1 = Buffer.concat([Buffer.from("account_id,name,currency\nL-1,M"), Buffer.from([0xfc]), Buffer.from("ller GmbH,EUR\n")]);
		await expectRefused(await billing("import", file("accounts-latin1.csv", latin1)), [
			/line 2: \(file\): is not UTF-8 text; save it as UTF-8/,
		]);
		await expectRefused(await billing("import", file("charges-x.jsonl", '{"charge_id":"X","colour":"red"}\n')), [
			/line 1: colour: unknown field/,
		]);
		expect(await getAccount(table, "U-1")).toBeUndefined();
		expect(await getAccount(table, "L-1")).toBeUndefined();
	});

	it("checks without writing on --dry-run, and tells the kind from the name or --kind", async () => {
		const before = await snapshot();
		const path = file("new-customers.csv", "account_id,name,currency,email\nDRY-1,Dry Ltd,GBP,ap@dry.example.com\n");
		const unnamed = await billing("import", path);
		expect(unnamed.code).toBe(2);
		expect(unnamed.stderr).toMatch(
			/cannot tell what it holds from its name; start the name with accounts, plans, subscriptions, charges or give --kind/,
		);
		const dry = await billing("import", path, "--kind", "accounts", "--dry-run");
		expect(dry.code).toBe(0);
		expect(dry.stdout).toMatch(/dry run, nothing written[\s\S]*1 rows; 1 created, 0 updated, 0 unchanged/);
		expect(await snapshot()).toEqual(before);
	});
});
