import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AFRelationship, PDFDocument } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeCii } from "../../shared/einvoicing/cii.js";
import { einvoiceFromInvoice } from "../../shared/einvoicing/model.js";
import { writeUbl } from "../../shared/einvoicing/ubl.js";
import { runCliCaptured } from "../support/cli.js";
import { FRENCH_BUYER, GERMAN_BUYER, parties, storedInvoice } from "../unit/einvoicing/fixtures.js";

/** `billing einvoice validate FILE`: what a person sees for a file they were sent or made. */
describe("billing einvoice validate", () => {
	const dir = mkdtempSync(join(tmpdir(), "einvoice-cli-"));
	const file = (name: string, content: string | Uint8Array) => {
		const path = join(dir, name);
		writeFileSync(path, content);
		return path;
	};
	const invoice = storedInvoice({ number: "INV-2026-000201", currency: "EUR", ratePpm: 190_000 });
	const { buyerReference: _, ...withoutReference } = GERMAN_BUYER;
	let valid: string;
	let broken: string;
	let facturx: string;

	beforeAll(async () => {
		valid = file("valid.xml", writeUbl(einvoiceFromInvoice(invoice, parties(GERMAN_BUYER)), "xrechnung"));
		broken = file("no-leitweg-id.xml", writeUbl(einvoiceFromInvoice(invoice, parties(withoutReference)), "xrechnung"));
		const pdf = await PDFDocument.create();
		pdf.addPage();
		await pdf.attach(Buffer.from(writeCii(einvoiceFromInvoice(invoice, parties(FRENCH_BUYER)))), "factur-x.xml", {
			mimeType: "text/xml",
			afRelationship: AFRelationship.Alternative,
		});
		facturx = file("facturx.pdf", await pdf.save());
	});
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	it("passes a valid XRechnung invoice: exit 0, no findings, the profile taken from its customization id", async () => {
		const result = await runCliCaptured(["einvoice", "validate", valid]);
		expect(result.code).toBe(0);
		expect(result.stdout).toContain(`${valid}: valid, 0 fatal, 0 warnings (xrechnung: CEN EN 16931 UBL 1.3.16, KoSIT XRechnung 3.0.2 UBL`);
	});

	it("refuses an XRechnung invoice without a buyer reference: exit 1, the rule, its location and message listed", async () => {
		const result = await runCliCaptured(["einvoice", "validate", broken]);
		expect(result.code).toBe(1);
		const row = result.stdout.split("\n").find((line) => line.includes("BR-DE-15"));
		expect(row).toMatch(
			/^fatal\s+BR-DE-15\s+\/Invoice\[1\]\s+\[BR-DE-15\] Das Element "Buyer reference" \(BT-10\) muss übermittelt werden\./,
		);
		expect(result.stdout).toContain("refused, 1 fatal");

		const json = await runCliCaptured(["einvoice", "validate", broken, "--json"]);
		expect(json.code).toBe(1);
		expect(JSON.parse(json.stdout)).toMatchObject({
			syntax: "ubl",
			profile: "xrechnung",
			valid: false,
			fatal: 1,
			findings: [{ ruleId: "BR-DE-15", severity: "fatal", location: "/Invoice[1]", ruleSet: "xrechnung-ubl" }],
		});
	});

	it("validates the CII attached to a Factur-X PDF against the EN 16931 CII rules", async () => {
		const result = await runCliCaptured(["einvoice", "validate", facturx, "--json"]);
		expect(result.code).toBe(0);
		expect(JSON.parse(result.stdout)).toMatchObject({
			attachment: "factur-x.xml",
			syntax: "cii",
			profile: "facturx",
			valid: true,
			fatal: 0,
		});
	});

	it("refuses a file that is no e-invoice, a PDF without one and rules for the other syntax with exit 2", async () => {
		const text = await runCliCaptured(["einvoice", "validate", file("notes.xml", "<notes><note>hello</note></notes>")]);
		expect(text.code).toBe(2);
		expect(text.stderr).toContain("is neither a UBL Invoice or CreditNote, nor a CII CrossIndustryInvoice");

		const plain = await PDFDocument.create();
		plain.addPage();
		const pdf = await runCliCaptured(["einvoice", "validate", file("plain.pdf", await plain.save())]);
		expect(pdf.code).toBe(2);
		expect(pdf.stderr).toContain(
			"is a PDF without an e-invoice: no factur-x.xml or zugferd-invoice.xml or xrechnung.xml attached (it has no attachments)",
		);

		const wrong = await runCliCaptured(["einvoice", "validate", valid, "--profile", "facturx"]);
		expect(wrong.code).toBe(2);
		expect(wrong.stderr).toContain("is UBL; the facturx rules are for CII");

		const missing = await runCliCaptured(["einvoice", "validate", join(dir, "nowhere.xml")]);
		expect(missing.code).toBe(2);
		expect(missing.stderr).toContain("cannot read");
	});
});
