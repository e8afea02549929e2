import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountDetail } from "../../shared/desk/views/accounts.js";
import { createClients } from "../../shared/platform/clients.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { getAccount } from "../../shared/store/records.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

/**
 * An account's e-invoice fields (DESIGN.md section 13): the accounts file's einvoice, vat_id,
 * peppol_id and buyer_reference columns, checked at import; `billing accounts update` and
 * `show` with them; and files without the columns importing as they always did.
 */

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let scratch: string;
const ACTOR = "cli:dana";
const EINVOICE_FIELDS = ["einvoice", "vatId", "peppolId", "buyerReference"];

function file(name: string, lines: readonly string[]): string {
	const path = join(scratch, name);
	writeFileSync(path, lines.join("\n"));
	return path;
}

async function expectRefused(result: CliResult, lines: readonly RegExp[]) {
	expect(result.code).toBe(2);
	expect(result.stderr).toMatch(/import refused, nothing written/);
	for (const line of lines) expect(result.stderr).toMatch(line);
}

beforeAll(async () => {
	stack = await startTestStack("einvoice-accounts");
	billing = cliInProcess(stack);
	table = { ddb: createClients().ddb, tableName: stack.tableName };
	scratch = mkdtempSync(join(tmpdir(), "billing-einvoice-accounts-"));
}, 60_000);

afterAll(async () => {
	await stack?.stop();
});

describe("the accounts file's e-invoice columns", () => {
	it("imports a file without them exactly as before: no e-invoice field on the records, and again changes nothing", async () => {
		const old = file("accounts-old.csv", [
			"account_id,name,currency,email,tax_rate,payment_terms",
			"OLD-1,Harbor Freight Co,USD,ap@harbor.example.com,8.875,net_15",
			"OLD-2,Lakeside Data GmbH,EUR,billing@lakeside.example.de,19,net_30",
		]);
		const first = await billing("import", old, "--actor", ACTOR);
		expect(first.code).toBe(0);
		expect(first.stdout).toMatch(/2 rows; 2 created, 0 updated, 0 unchanged/);
		const harbor = await getAccount(table, "OLD-1");
		expect(harbor).toMatchObject({ name: "Harbor Freight Co", currency: "USD", taxRatePpm: 88_750, paymentTermsDays: 15 });
		for (const id of ["OLD-1", "OLD-2"]) {
			const account = await getAccount(table, id);
			for (const field of EINVOICE_FIELDS) expect(account, `${id}.${field}`).not.toHaveProperty(field);
			const [created] = await listAuditEntries(table, "account", id);
			for (const field of EINVOICE_FIELDS) expect(created?.after, `${id} audit ${field}`).not.toHaveProperty(field);
		}
		expect((await billing("import", old, "--actor", ACTOR)).stdout).toMatch(/2 rows; 0 created, 0 updated, 2 unchanged/);

		// Fields set by hand stay when the CRM's file, which has no such columns, comes again.
		expect(
			(await billing("accounts", "update", "OLD-2", "--einvoice", "xrechnung", "--buyer-reference", "991-01234-44", "--actor", ACTOR)).code,
		).toBe(0);
		expect((await billing("import", old, "--actor", ACTOR)).stdout).toMatch(/2 rows; 0 created, 0 updated, 2 unchanged/);
		expect(await getAccount(table, "OLD-2")).toMatchObject({ einvoice: "xrechnung", buyerReference: "991-01234-44" });
	});

	it("imports a good row of each kind, storing the ids as e-invoices carry them; an empty einvoice is none", async () => {
		const accounts = file("accounts-einvoice.csv", [
			"account_id,name,currency,email,einvoice,vat_id,peppol_id,buyer_reference",
			"EI-BE,Brussels Logistics NV,EUR,ap@brussels-logistics.example.be,peppol,BE 0403.170.701,0208:0403170701,PO-4471",
			"EI-DE,Stadtwerke Musterstadt,EUR,rechnung@stadtwerke.example.de,xrechnung,de123456789,,04011000-1234512345-06",
			"EI-FR,Atelier Lumière SARL,EUR,compta@atelier.example.fr,facturx,FR40303265045,,",
			"EI-NONE,Plain Customer Ltd,EUR,ap@plain.example.com,,,,",
			"EI-VAT,Reverse Charge GmbH,EUR,ap@reverse.example.at,none,ATU12345678,,",
		]);
		const imported = await billing("import", accounts, "--actor", ACTOR);
		expect(imported.stderr).not.toMatch(/refused|error/);
		expect(imported.code).toBe(0);
		expect(await getAccount(table, "EI-BE")).toMatchObject({
			einvoice: "peppol",
			vatId: "BE0403170701",
			peppolId: "0208:0403170701",
			buyerReference: "PO-4471",
		});
		const de = await getAccount(table, "EI-DE");
		expect(de).toMatchObject({ einvoice: "xrechnung", vatId: "DE123456789", buyerReference: "04011000-1234512345-06" });
		expect(de).not.toHaveProperty("peppolId");
		const fr = await getAccount(table, "EI-FR");
		expect(fr).toMatchObject({ einvoice: "facturx", vatId: "FR40303265045" });
		expect(fr).not.toHaveProperty("buyerReference");
		for (const field of EINVOICE_FIELDS) expect(await getAccount(table, "EI-NONE")).not.toHaveProperty(field);
		const vatOnly = await getAccount(table, "EI-VAT");
		expect(vatOnly).toMatchObject({ vatId: "ATU12345678" });
		expect(vatOnly).not.toHaveProperty("einvoice");
		const [created] = await listAuditEntries(table, "account", "EI-BE");
		expect(created).toMatchObject({ action: "created", after: { einvoice: "peppol", peppolId: "0208:0403170701" } });

		// The same file again changes nothing; an empty cell clears the field, with an audit entry.
		expect((await billing("import", accounts, "--actor", ACTOR)).stdout).toMatch(/5 rows; 0 created, 0 updated, 5 unchanged/);
		const cleared = file("accounts-cleared.csv", [
			"account_id,name,currency,email,vat_id",
			"EI-FR,Atelier Lumière SARL,EUR,compta@atelier.example.fr,",
		]);
		expect((await billing("import", cleared, "--actor", ACTOR)).stdout).toMatch(/1 rows?; 0 created, 1 updated, 0 unchanged/);
		expect(await getAccount(table, "EI-FR")).toMatchObject({ einvoice: "facturx" });
		expect(await getAccount(table, "EI-FR")).not.toHaveProperty("vatId");
		expect((await listAuditEntries(table, "account", "EI-FR")).at(-1)).toMatchObject({
			action: "updated",
			before: { vatId: "FR40303265045" },
		});
	});

	it("refuses every bad row with its line and a clear reason, and writes nothing", async () => {
		const before = await getAccount(table, "EI-BE");
		const bad = file("accounts-einvoice-bad.csv", [
			"account_id,name,currency,email,einvoice,vat_id,peppol_id,buyer_reference",
			"BAD-KIND,Unknown Kind Ltd,EUR,ap@kind.example.com,ubl,,,",
			"BAD-SCHEME,Unknown Scheme BV,EUR,ap@scheme.example.nl,peppol,,9999:123456,",
			"BAD-EMPTY,Empty Identifier BV,EUR,ap@empty.example.nl,peppol,,0088:,",
			"BAD-LEITWEG,Landkreis Ohne Leitweg,EUR,ap@landkreis.example.de,xrechnung,DE123456789,,",
			"BAD-PEPPOL,No Peppol Id NV,EUR,ap@nopeppol.example.be,peppol,BE0403170701,,",
			"BAD-VAT,Short Vat GmbH,EUR,ap@short.example.de,,DE12345,,",
			"BAD-GREEK,Hellas Trading AE,EUR,ap@hellas.example.gr,,GR123456789,,",
			"BAD-UK,London Imports Ltd,GBP,ap@london.example.co.uk,,GB123456789,,",
			"BAD-BE,Typo Enterprise NV,EUR,ap@typo.example.be,peppol,,0208:0403170702,",
			"EI-BE,Brussels Logistics NV,EUR,ap@brussels-logistics.example.be,xrechnung,BE0403170701,0208:0403170701,",
			"GOOD-ROW,Good Row Ltd,EUR,ap@good.example.com,facturx,,,",
		]);
		await expectRefused(await billing("import", bad, "--actor", ACTOR), [
			/line 2: einvoice: must be one of none, peppol, xrechnung, facturx, not "ubl"/,
			/line 3: peppol_id: scheme "9999" is not a Peppol participant identifier scheme \(an EAS code of Peppol BIS Billing 3\.0\.19/,
			/line 4: peppol_id: the identifier after 0088: is empty/,
			/line 5: buyer_reference: an xrechnung account needs its buyer reference \(BT-10, a German public buyer's Leitweg-ID/,
			/line 6: peppol_id: a peppol account needs its Peppol id \(scheme:identifier/,
			/line 7: vat_id: "DE12345" does not have the shape of DE's VAT ids: DE999999999/,
			/line 8: vat_id: Greek VAT ids start with EL, not GR: EL123456789/,
			/line 9: vat_id: GB is not the prefix of an EU member state's VAT id/,
			/line 10: peppol_id: 0403170702 is not a Belgian enterprise number/,
			/line 11: buyer_reference: an xrechnung account needs its buyer reference/,
		]);
		expect((await billing("import", bad, "--actor", ACTOR)).stderr).toMatch(/10 errors/);
		for (const id of [
			"BAD-KIND",
			"BAD-SCHEME",
			"BAD-EMPTY",
			"BAD-LEITWEG",
			"BAD-PEPPOL",
			"BAD-VAT",
			"BAD-GREEK",
			"BAD-UK",
			"BAD-BE",
			"GOOD-ROW",
		]) {
			expect(await getAccount(table, id), id).toBeUndefined();
		}
		expect(await getAccount(table, "EI-BE")).toEqual(before);
	});
});

describe("billing accounts update and show", () => {
	it("sets, checks and clears the e-invoice fields, each change with its audit entry's before and after", async () => {
		const id = "OLD-1";
		const refused = await billing("accounts", "update", id, "--einvoice", "xrechnung", "--vat-id", "DE123456789", "--actor", ACTOR);
		expect(refused.code).toBe(2);
		expect(refused.stderr).toMatch(/buyerReference: an xrechnung account needs its buyer reference/);
		const badVat = await billing("accounts", "update", id, "--vat-id", "DE12345", "--actor", ACTOR);
		expect(badVat.code).toBe(2);
		expect(badVat.stderr).toMatch(/vatId: "DE12345" does not have the shape of DE's VAT ids/);
		const badPeppol = await billing("accounts", "update", id, "--peppol-id", "9999:1", "--actor", ACTOR);
		expect(badPeppol.code).toBe(2);
		expect(badPeppol.stderr).toMatch(/peppolId: scheme "9999" is not a Peppol participant identifier scheme/);
		const badKind = await billing("accounts", "update", id, "--einvoice", "ubl", "--actor", ACTOR);
		expect(badKind.code).not.toBe(0);
		expect(badKind.stderr).toMatch(/--einvoice.*ubl.*invalid|Allowed choices are none, peppol, xrechnung, facturx/);
		for (const field of EINVOICE_FIELDS) expect(await getAccount(table, id)).not.toHaveProperty(field);
		const auditBefore = await listAuditEntries(table, "account", id);

		const set = await billing(
			"accounts",
			"update",
			id,
			"--einvoice",
			"xrechnung",
			"--vat-id",
			"de 123 456 789",
			"--buyer-reference",
			"04011000-1234512345-06",
			"--reason",
			"customer is a German public body",
			"--actor",
			ACTOR,
		);
		expect(set.code).toBe(0);
		expect(JSON.parse(set.stdout)).toMatchObject({ outcome: "updated", account: { einvoice: "xrechnung", vatId: "DE123456789" } });
		expect(await getAccount(table, id)).toMatchObject({
			einvoice: "xrechnung",
			vatId: "DE123456789",
			buyerReference: "04011000-1234512345-06",
			email: "ap@harbor.example.com",
		});
		const audit = await listAuditEntries(table, "account", id);
		expect(audit).toHaveLength(auditBefore.length + 1);
		expect(audit.at(-1)).toMatchObject({
			action: "details_changed",
			actor: ACTOR,
			reason: "customer is a German public body",
			before: { einvoice: null, vatId: null, buyerReference: null },
			after: { einvoice: "xrechnung", vatId: "DE123456789", buyerReference: "04011000-1234512345-06" },
		});

		// The same values again change nothing; clearing the buyer reference of an xrechnung account is refused.
		expect(JSON.parse((await billing("accounts", "update", id, "--vat-id", "DE123456789", "--actor", ACTOR)).stdout)).toMatchObject({
			outcome: "unchanged",
		});
		const unbuyable = await billing("accounts", "update", id, "--buyer-reference", "", "--actor", ACTOR);
		expect(unbuyable.code).toBe(2);
		expect(unbuyable.stderr).toMatch(/buyerReference: an xrechnung account needs/);

		// Peppol instead, then the VAT id cleared with ''.
		const peppol = await billing("accounts", "update", id, "--einvoice", "peppol", "--peppol-id", " 9930 : DE123456789 ", "--actor", ACTOR);
		expect(peppol.code).toBe(0);
		expect((await listAuditEntries(table, "account", id)).at(-1)).toMatchObject({
			before: { einvoice: "xrechnung", peppolId: null },
			after: { einvoice: "peppol", peppolId: "9930:DE123456789" },
		});
		expect((await billing("accounts", "update", id, "--vat-id", "", "--einvoice", "none", "--actor", ACTOR)).code).toBe(0);
		const cleared = await getAccount(table, id);
		expect(cleared).not.toHaveProperty("vatId");
		expect(cleared).not.toHaveProperty("einvoice");
		expect(cleared).toMatchObject({ peppolId: "9930:DE123456789", buyerReference: "04011000-1234512345-06" });
		expect((await listAuditEntries(table, "account", id)).at(-1)).toMatchObject({
			before: { vatId: "DE123456789", einvoice: "peppol" },
			after: { vatId: null, einvoice: null },
		});

		const shown = await billing("accounts", "show", id, "--json");
		expect(shown.code).toBe(0);
		expect(JSON.parse(shown.stdout)).toMatchObject({
			accountId: id,
			peppolId: "9930:DE123456789",
			buyerReference: "04011000-1234512345-06",
		});
		const shownBe = JSON.parse((await billing("accounts", "show", "EI-BE", "--json")).stdout);
		expect(shownBe).toMatchObject({ einvoice: "peppol", vatId: "BE0403170701", peppolId: "0208:0403170701", buyerReference: "PO-4471" });

		// The desk API's account view shows them too.
		expect((await accountDetail(table, "EI-BE", "viewer")).account).toMatchObject({
			einvoice: "peppol",
			vatId: "BE0403170701",
			peppolId: "0208:0403170701",
			buyerReference: "PO-4471",
		});
	});
});
