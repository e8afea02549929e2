import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BillingError } from "../../shared/core/errors.js";
import type { Invoice } from "../../shared/core/model.js";
import { handleDeskRequest } from "../../shared/desk/api.js";
import { type Caller, userActor } from "../../shared/desk/roles.js";
import { deskRoutes } from "../../shared/desk/routes.js";
import { deskServices } from "../../shared/desk/services.js";
import { readEinvoiceFile } from "../../shared/einvoicing/read.js";
import { type EinvoiceProfile, validateEinvoice } from "../../shared/einvoicing/validate.js";
import { createClients } from "../../shared/platform/clients.js";
import type { WorklistItem } from "../../shared/reporting/worklist.js";
import { getDelivery } from "../../shared/store/deliveries.js";
import { getEinvoiceRecord } from "../../shared/store/einvoices.js";
import { keys } from "../../shared/store/keys.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { breakdownOf, figures } from "../support/einvoice-figures.js";
import { sentMail, startTestStack } from "../support/embedded.js";

/**
 * E-invoices as they leave (DESIGN.md section 13): accounts imported with their e-invoice
 * columns, billed by `billing run`; each e-invoice validated with the official rules, stored
 * beside its PDF and attached to its email (Factur-X: embedded in the PDF sent instead), its
 * figures those of `billing invoices show`;
 * a refused one not delivered, on the worklist, and sent once the account is corrected.
 */

const PERIOD = "2026-11";
const AS_OF = "2026-12-01";

let stack: Awaited<ReturnType<typeof startTestStack>>;
let billing: (...args: string[]) => Promise<CliResult>;
let clients: ReturnType<typeof createClients>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let scratch: string;
let run: { status: string; output: { invoicing: Record<string, unknown> } };
const invoiceOf: Record<string, Invoice> = {};

const PROFILE: Readonly<Record<string, EinvoiceProfile>> = { "EI-BE": "peppol", "EI-DE": "xrechnung", "EI-FR": "facturx" };

const mailTo = (accountId: string) =>
	sentMail((m) => m.destination.to.some((to) => to.includes(`${accountId.toLowerCase()}-${stack.tag}`)));

async function stored(key: string): Promise<{ body: Buffer; contentType: string | undefined } | undefined> {
	try {
		const out = await clients.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: key }));
		return {
			body: Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()),
			contentType: out.ContentType,
		};
	} catch (err) {
		if ((err as Error).name === "NoSuchKey") return undefined;
		throw err;
	}
}

/** The PDF the invoice email's download link serves, fetched as the customer clicks it. */
async function downloaded(text: string | undefined): Promise<{ status: number; contentType: string | null; body: Buffer }> {
	const link = /Download invoice \S+ \(PDF\): (\S+)/.exec(text ?? "")?.[1];
	expect(link, text).toBeDefined();
	const response = await fetch(link as string);
	return { status: response.status, contentType: response.headers.get("content-type"), body: Buffer.from(await response.arrayBuffer()) };
}

/** The invoice's delivery events (invoice.delivered, invoice.delivery_failed), oldest first, from its partition. */
async function deliveryEvents(number: string): Promise<string[]> {
	const out = await table.ddb.send(
		new QueryCommand({
			TableName: table.tableName,
			KeyConditionExpression: "pk = :pk AND begins_with(sk, :events)",
			ExpressionAttributeValues: { ":pk": keys.invoice(number).pk, ":events": keys.eventPrefix },
			ConsistentRead: true,
		}),
	);
	return (out.Items ?? []).map((e) => String(e.type)).filter((type) => type.startsWith("invoice.deliver"));
}

async function worklist(): Promise<WorklistItem[]> {
	const result = await billing("worklist", "--as-of", AS_OF, "--json");
	expect(result.code, result.stderr).toBe(0);
	return JSON.parse(result.stdout) as WorklistItem[];
}

async function shown(number: string): Promise<Invoice> {
	const result = await billing("invoices", "show", number, "--json");
	expect(result.code, result.stderr).toBe(0);
	return JSON.parse(result.stdout) as Invoice;
}

const VIEWER: Caller = { role: "viewer", email: "vic@example.com", subject: "sub-vic", actor: userActor("vic@example.com", "sub-vic") };

/** The desk API's route as a signed-in viewer calls it. */
async function desk(path: string) {
	return handleDeskRequest(
		{
			services: deskServices(clients, stack),
			runs: stack,
			reportFailure: (err) => {
				throw err;
			},
			authenticate: async (authorization) => {
				if (authorization !== "Bearer viewer") throw new BillingError("sign in: no valid token", 401);
				return VIEWER;
			},
		},
		deskRoutes,
		{ method: "GET", path, query: new URLSearchParams(), authorization: "Bearer viewer" },
	);
}

beforeAll(async () => {
	// The HTTP front serves the emails' download links.
	stack = await startTestStack("einvoice-delivery", { http: true });
	billing = cliInProcess(stack);
	clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	scratch = mkdtempSync(join(tmpdir(), "billing-einvoice-delivery-"));
	const email = (id: string) => `${id.toLowerCase()}-${stack.tag}@buyer.example.com`;
	const accounts = join(scratch, "accounts.csv");
	writeFileSync(
		accounts,
		[
			"account_id,name,currency,email,address,tax_rate,payment_terms,einvoice,vat_id,peppol_id,buyer_reference,city,postal_code,country",
			`EI-BE,Brouwerij De Koe NV,EUR,${email("EI-BE")},Kerkstraat 12,21,net_30,peppol,BE0403170701,0208:0403170701,PO-4471,Gent,9000,BE`,
			// A German public buyer: reverse charge (AE) from the Belgian seller, both with VAT ids.
			`EI-DE,Stadtwerke Musterstadt,EUR,${email("EI-DE")},Am Markt 5,0,net_15,xrechnung,DE123456789,,04011000-1234512345-06,Musterstadt,12345,de`,
			`EI-FR,Atelier Lumière SARL,EUR,${email("EI-FR")},12 rue de la Paix,20,net_30,facturx,FR40303265045,,,Paris,75002,FR`,
			// XRechnung wants the buyer's city and post code (BR-DE-8, BR-DE-9): this one has neither.
			`EI-BROKEN,Kreiswerke Beispiel,EUR,${email("EI-BROKEN")},Hauptstraße 3,0,net_30,xrechnung,DE123456789,,04011000-1234512345-06,,,DE`,
			`PLAIN,Plain Customer Ltd,EUR,${email("PLAIN")},1 High St,21,net_30,,,,,,,`,
		].join("\n"),
	);
	const charges = join(scratch, "charges.csv");
	writeFileSync(
		charges,
		[
			"charge_id,account_id,date,description,quantity,unit_price,kind",
			...["EI-BE", "EI-DE", "EI-FR", "EI-BROKEN", "PLAIN"].flatMap((id, i) => [
				`${id}-1,${id},2026-11-0${i + 1},Platform plan,1,149.00,one_time`,
				`${id}-2,${id},2026-11-2${i},API calls,1250.5,0.02,usage`,
			]),
		].join("\n"),
	);
	const imported = await billing("import", accounts, charges, "--actor", "cli:dana");
	expect(imported.code, imported.stderr).toBe(0);
	const result = await billing("run", "--period", PERIOD, "--as-of", AS_OF);
	expect(result.code, result.stderr).toBe(0);
	run = JSON.parse(result.stdout) as typeof run;
	const listed = await billing("invoices", "list", "--period", PERIOD, "--json");
	for (const invoice of JSON.parse(listed.stdout) as Invoice[]) invoiceOf[invoice.accountId] = await shown(invoice.number);
}, 180_000);

afterAll(async () => {
	await stack?.stop();
});

describe("e-invoices delivered by the billing run", () => {
	it("stores each e-invoice beside its PDF as XML that the official rules accept with no fatal finding", async () => {
		for (const [accountId, profile] of Object.entries(PROFILE)) {
			const invoice = invoiceOf[accountId] as Invoice;
			const key = `invoices/${PERIOD}/${invoice.number}.xml`;
			expect(invoice.pdfKey).toBe(`invoices/${PERIOD}/${invoice.number}.pdf`);
			const object = await stored(key);
			expect(object, key).toBeDefined();
			expect(object?.contentType).toBe("application/xml");
			const result = validateEinvoice(object?.body.toString("utf8") ?? "", profile);
			expect(
				result.findings.filter((f) => f.severity === "fatal"),
				`${accountId} ${profile}`,
			).toEqual([]);
			const record = await getEinvoiceRecord(table, "invoice", invoice.number);
			expect(record).toMatchObject({ status: "stored", profile, xmlKey: key, accountId });
			// Its warnings are kept with it, as the rules gave them.
			expect(record?.findings).toEqual(
				result.findings.map(({ ruleId, severity, location, message }) => ({ ruleId, severity, location, message })),
			);
		}
		expect(await stored(`invoices/${PERIOD}/${invoiceOf.PLAIN?.number}.xml`)).toBeUndefined();
	});

	it("attaches the UBL to the invoice email beside the PDF; a Factur-X account gets the PDF with the CII embedded instead of the plain one", async () => {
		for (const accountId of ["EI-BE", "EI-DE"]) {
			const invoice = invoiceOf[accountId] as Invoice;
			const mail = await mailTo(accountId);
			expect(mail, accountId).toHaveLength(1);
			const attachments = mail[0]?.attachments ?? [];
			expect(attachments.map((a) => a.filename)).toEqual([
				`${invoice.number}.pdf`,
				`${invoice.number}.xml`,
				`statement-${accountId}-${PERIOD}.pdf`,
			]);
			expect(attachments[1]?.contentType).toBe("application/xml");
			const xml = await stored(`invoices/${PERIOD}/${invoice.number}.xml`);
			expect(Buffer.from(attachments[1]?.content ?? "", "base64").equals(xml?.body ?? Buffer.alloc(0))).toBe(true);
			expect(Buffer.from(attachments[0]?.content ?? "", "base64").equals((await stored(invoice.pdfKey))?.body ?? Buffer.alloc(0))).toBe(
				true,
			);
		}
		const fr = invoiceOf["EI-FR"] as Invoice;
		const [frMail] = await mailTo("EI-FR");
		expect(frMail?.attachments.map((a) => a.filename)).toEqual([`${fr.number}.pdf`, `statement-EI-FR-${PERIOD}.pdf`]);
		const facturx = Buffer.from(frMail?.attachments[0]?.content ?? "", "base64");
		expect(facturx.equals((await stored(`invoices/${PERIOD}/${fr.number}.facturx.pdf`))?.body ?? Buffer.alloc(0))).toBe(true);
		const embedded = await readEinvoiceFile(facturx, `${fr.number}.pdf`);
		expect(embedded).toMatchObject({ syntax: "cii", attachment: "factur-x.xml" });
		expect(embedded.xml).toBe((await stored(`invoices/${PERIOD}/${fr.number}.xml`))?.body.toString("utf8"));
		expect(frMail?.body.text).toMatch(/The PDF is a Factur-X invoice: its structured e-invoice \(factur-x.xml\) is embedded in it./);
		// The download link serves the same Factur-X PDF, not the plain one it replaced.
		const frDownload = await downloaded(frMail?.body.text);
		expect(frDownload).toMatchObject({ status: 200, contentType: "application/pdf" });
		expect(frDownload.body.equals(facturx)).toBe(true);
		expect(await readEinvoiceFile(frDownload.body, `${fr.number}.pdf`)).toMatchObject({ syntax: "cii", attachment: "factur-x.xml" });
		// A UBL account's link serves the plain PDF, its XML being a file of its own.
		const [beMail] = await mailTo("EI-BE");
		const beDownload = await downloaded(beMail?.body.text);
		expect(beDownload.status).toBe(200);
		expect(beDownload.body.equals((await stored((invoiceOf["EI-BE"] as Invoice).pdfKey))?.body ?? Buffer.alloc(0))).toBe(true);

		const plain = await mailTo("PLAIN");
		expect(plain.map((m) => m.attachments.map((a) => a.filename))).toEqual([
			[`${invoiceOf.PLAIN?.number}.pdf`, `statement-PLAIN-${PERIOD}.pdf`],
		]);
	});

	it("carries the totals, the VAT breakdown and the due date of billing invoices show, to the minor unit", async () => {
		const categories: string[] = [];
		for (const [accountId, profile] of Object.entries(PROFILE)) {
			const invoice = invoiceOf[accountId] as Invoice;
			const xml = (await stored(`invoices/${PERIOD}/${invoice.number}.xml`))?.body.toString("utf8") ?? "";
			const read = figures(xml, profile);
			expect(read, accountId).toMatchObject({
				taxExclusive: invoice.subtotal,
				tax: invoice.tax,
				taxInclusive: invoice.total,
				payable: invoice.total - (invoice.creditApplied ?? 0),
				dueDate: invoice.dueDate,
			});
			const expected = breakdownOf(invoice);
			expect(read.breakdown, accountId).toHaveLength(expected.size);
			for (const part of read.breakdown) {
				const ratePpm = Number(part.percent || "0") * 10_000;
				expect(expected.get(ratePpm), `${accountId} ${part.category} ${part.percent}`).toEqual({ taxable: part.taxable, tax: part.tax });
				categories.push(part.category);
			}
		}
		// Standard rated (Belgium, France) and the German buyer's intra-EU reverse charge.
		expect(categories.sort()).toEqual(["AE", "S", "S"]);
		expect(invoiceOf["EI-DE"]?.tax).toBe(0);
	});

	it("does not deliver an invoice whose e-invoice the rules refuse: no email, no XML, counted in the run's output", async () => {
		const broken = invoiceOf["EI-BROKEN"] as Invoice;
		// Its statement is a document of its own and goes alone, as for an account without a new invoice.
		const mail = await mailTo("EI-BROKEN");
		expect(mail.map((m) => m.attachments.map((a) => a.filename))).toEqual([[`statement-EI-BROKEN-${PERIOD}.pdf`]]);
		expect(await getDelivery(table, keys.delivery(broken.number, "email"))).toBeUndefined();
		expect(await stored(`invoices/${PERIOD}/${broken.number}.xml`)).toBeUndefined();
		expect(run.status).toBe("SUCCEEDED");
		expect(run.output.invoicing).toMatchObject({ einvoicesRefused: 1, failedAccountCount: 1 });
		const [failure] = run.output.invoicing.failedAccounts as { accountId: string; stage: string; reason: string }[];
		expect(failure).toMatchObject({ accountId: "EI-BROKEN", stage: "einvoice" });
		expect(failure?.reason).toMatch(
			new RegExp(`invoice ${broken.number} not delivered: its xrechnung e-invoice is refused by the rules: .*BR-DE-8`),
		);
		expect(failure?.reason).toMatch(/BR-DE-9/);
		expect(await getEinvoiceRecord(table, "invoice", broken.number)).toMatchObject({ status: "refused", profile: "xrechnung" });
	});

	it("puts the refused one on the worklist with its rule ids and the commands that resolve it; corrected and resent, it goes out with its e-invoice", async () => {
		const broken = invoiceOf["EI-BROKEN"] as Invoice;
		const items = (await worklist()).filter((i) => i.kind === "einvoice_refused");
		expect(items).toHaveLength(1);
		expect(items[0]).toMatchObject({ id: `einvoice:${broken.number}`, accountId: "EI-BROKEN" });
		expect(items[0]?.detail).toMatch(
			new RegExp(`invoice ${broken.number} not delivered: its xrechnung e-invoice is refused by the rules: BR-DE-\\d`),
		);
		expect(items[0]?.detail).toMatch(/BR-DE-8: .*BR-DE-9: /s);
		expect(items[0]?.resolve).toMatch(new RegExp(`billing accounts update EI-BROKEN .*then: billing invoices resend ${broken.number}`));
		// Not in the failed deliveries besides: nothing was tried.
		expect((await worklist()).filter((i) => i.accountId === "EI-BROKEN").map((i) => i.kind)).toEqual(["einvoice_refused"]);

		const shownRefused = await billing("invoices", "show", broken.number, "--einvoice");
		expect(shownRefused.code).toBe(2);
		expect(shownRefused.stderr).toMatch(
			new RegExp(`invoice ${broken.number} has no e-invoice: the rules refused its xrechnung e-invoice \\(BR-DE-8`),
		);

		const resentTooSoon = await billing("invoices", "resend", broken.number, "--reason", "customer asked");
		expect(resentTooSoon.code).toBe(2);
		expect(resentTooSoon.stderr).toMatch(/is not resent: its xrechnung e-invoice is refused by the rules: .*BR-DE-8/);
		// Refused by the run's delivery and again by the resend: its delivery failed once, with one event.
		expect(await deliveryEvents(broken.number)).toEqual(["invoice.delivery_failed"]);
		const invoiceMail = async () => (await mailTo("EI-BROKEN")).filter((m) => m.subject.includes(broken.number));
		expect(await invoiceMail()).toEqual([]);

		// A credit memo on it is issued, but its e-invoice is refused for the same reason: exit 2, also with --json.
		const memoCreated = await billing(
			"credit-memo",
			"create",
			"--invoice",
			broken.number,
			"--amount",
			"10.00",
			"--reason",
			"Goodwill",
			"--json",
		);
		expect(memoCreated.code, memoCreated.stderr).toBe(2);
		const memo = JSON.parse(memoCreated.stdout) as { number: string; einvoice: { status: string; findings: { ruleId: string }[] } };
		expect(memo.einvoice).toMatchObject({ status: "refused", profile: "xrechnung" });
		expect(memo.einvoice.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(["BR-DE-8", "BR-DE-9"]));

		const updated = await billing(
			"accounts",
			"update",
			"EI-BROKEN",
			"--city",
			"Beispielstadt",
			"--postal-code",
			"54321",
			"--actor",
			"cli:dana",
		);
		expect(updated.code, updated.stderr).toBe(0);
		const resent = await billing("invoices", "resend", broken.number, "--reason", "e-invoice corrected");
		expect(resent.code, resent.stderr).toBe(0);
		const memoEinvoice = await billing("credit-memo", "einvoice", memo.number, "--json");
		expect(memoEinvoice.code, memoEinvoice.stderr).toBe(0);
		expect(JSON.parse(memoEinvoice.stdout)).toMatchObject({ status: "stored", profile: "xrechnung" });
		const xml = await stored(`invoices/${PERIOD}/${broken.number}.xml`);
		expect(validateEinvoice(xml?.body.toString("utf8") ?? "", "xrechnung").valid).toBe(true);
		const mail = await invoiceMail();
		expect(mail).toHaveLength(1);
		expect(mail[0]?.attachments.map((a) => a.filename)).toEqual([
			`${broken.number}.pdf`,
			`${broken.number}.xml`,
			`statement-EI-BROKEN-${PERIOD}.pdf`,
		]);
		expect((await worklist()).filter((i) => i.kind === "einvoice_refused")).toEqual([]);
		expect(await deliveryEvents(broken.number)).toEqual(["invoice.delivery_failed", "invoice.delivered"]);
	});
});

describe("credit memos of e-invoice accounts", () => {
	it("issues each with its e-invoice beside its PDF (a UBL CreditNote; Factur-X embedded), accepted by the rules, its total the memo's", async () => {
		for (const [accountId, profile] of [
			["EI-BE", "peppol"],
			["EI-FR", "facturx"],
		] as const) {
			const invoice = invoiceOf[accountId] as Invoice;
			const created = await billing(
				"credit-memo",
				"create",
				"--invoice",
				invoice.number,
				"--amount",
				"50.00",
				"--reason",
				"Service outage",
				"--json",
			);
			expect(created.code, created.stderr).toBe(0);
			const memo = JSON.parse(created.stdout) as { number: string; pdfKey: string; einvoice: Record<string, unknown> };
			const key = memo.pdfKey.replace(/\.pdf$/, ".xml");
			expect(memo.einvoice).toMatchObject({ status: "stored", profile, key });
			const xml = (await stored(key))?.body.toString("utf8") ?? "";
			expect(xml).toContain(profile === "facturx" ? "<rsm:CrossIndustryInvoice" : "<CreditNote");
			const result = validateEinvoice(xml, profile);
			expect(
				result.findings.filter((f) => f.severity === "fatal"),
				accountId,
			).toEqual([]);
			// The memo's amount with VAT, as payable and as total.
			expect(xml).toMatch(profile === "facturx" ? /<ram:GrandTotalAmount>50.00</ : /<cbc:PayableAmount currencyID="EUR">50.00</);
			if (profile === "facturx") {
				const pdf = (await stored(memo.pdfKey.replace(/\.pdf$/, ".facturx.pdf")))?.body ?? Buffer.alloc(0);
				expect((await readEinvoiceFile(pdf, "memo.pdf")).xml).toBe(xml);
			}
		}
	});
});

describe("the stored e-invoice, for a person", () => {
	it("billing invoices show N --einvoice prints it, --out writes it; an invoice of an account without one is a clear refusal", async () => {
		const invoice = invoiceOf["EI-DE"] as Invoice;
		const xml = (await stored(`invoices/${PERIOD}/${invoice.number}.xml`))?.body;
		const printed = await billing("invoices", "show", invoice.number, "--einvoice");
		expect(printed.code, printed.stderr).toBe(0);
		expect(printed.stdout).toBe(xml?.toString("utf8"));
		const out = join(scratch, "einvoice.xml");
		const written = await billing("invoices", "show", invoice.number, "--einvoice", "--out", out);
		expect(written.code, written.stderr).toBe(0);
		expect(written.stdout).toMatch(`the xrechnung e-invoice of ${invoice.number}`);
		expect(readFileSync(out).equals(xml ?? Buffer.alloc(0))).toBe(true);

		const plain = await billing("invoices", "show", invoiceOf.PLAIN?.number as string, "--einvoice");
		expect(plain.code).toBe(2);
		expect(plain.stderr).toMatch(`invoice ${invoiceOf.PLAIN?.number} has no e-invoice: its account needs none`);
	});

	it("the desk API's GET invoices/{number}/einvoice answers a viewer the XML with its content type, 404 when there is none", async () => {
		const invoice = invoiceOf["EI-BE"] as Invoice;
		const response = await desk(`/invoices/${invoice.number}/einvoice`);
		expect(response.status).toBe(200);
		expect(response.headers?.["content-type"]).toBe("application/xml; charset=utf-8");
		expect(response.headers?.["content-disposition"]).toBe(`attachment; filename="${invoice.number}.xml"`);
		expect(response.body).toBe((await stored(`invoices/${PERIOD}/${invoice.number}.xml`))?.body.toString("utf8"));
		const none = await desk(`/invoices/${invoiceOf.PLAIN?.number}/einvoice`);
		expect(none.status).toBe(404);
		expect(JSON.parse(none.body)).toMatchObject({ error: expect.stringMatching(/has no e-invoice: its account needs none/) });
	});

	it("imports the buyer's city, post code and country, refusing a country code no country has", async () => {
		expect(invoiceOf["EI-DE"]?.accountId).toBe("EI-DE");
		const account = await billing("accounts", "show", "EI-DE", "--json");
		expect(JSON.parse(account.stdout)).toMatchObject({ city: "Musterstadt", postalCode: "12345", country: "DE" });
		const bad = join(scratch, "accounts-bad.csv");
		writeFileSync(bad, ["account_id,name,currency,email,country", `BAD-1,Bad Country Ltd,EUR,bad@example.com,XX`].join("\n"));
		const refused = await billing("import", bad);
		expect(refused.code).toBe(2);
		expect(refused.stderr).toMatch(/line 2: country: XX is not an ISO 3166-1 country code/);
	});
});
