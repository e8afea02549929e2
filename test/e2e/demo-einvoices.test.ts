import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DemoSummary } from "../../local/demo/demo.js";
import { type DemoEinvoice, formatShowcase } from "../../local/demo/showcase.js";
import type { CreditMemo, Invoice } from "../../shared/core/model.js";
import { readEinvoiceFile } from "../../shared/einvoicing/read.js";
import { validateEinvoice } from "../../shared/einvoicing/validate.js";
import { runCliCaptured } from "../support/cli.js";
import { breakdownOf, figures } from "../support/einvoice-figures.js";
import { hasExited, killAll, runBilling, startServe } from "../support/serve.js";

/**
 * `billing demo` as a person runs it (issue 22, item 6): its Belgian Peppol, German
 * XRechnung and French Factur-X customers' e-invoices, the Belgian tax-exempt non-profit's
 * (VAT exempt, E) and the Peppol credit note, read from the files the demo copies out,
 * accepted by the vendored rules, their figures those of `billing invoices show` on the
 * demo's data dir afterwards.
 */

const PERIOD = "2026-11";

let dataDir: string;
let summary: DemoSummary;
let serve: ChildProcess | undefined;

async function billing(...args: string[]) {
	const result = await runCliCaptured([...args, "--data-dir", dataDir]);
	expect(result.code, result.stderr).toBe(0);
	return result.stdout;
}

const einvoices = (): readonly DemoEinvoice[] => summary.pricing?.einvoices ?? [];

/** The XML a receiver gets: the UBL file, or the CII embedded in the Factur-X PDF. */
async function xmlOf(e: DemoEinvoice): Promise<string> {
	const file = await readEinvoiceFile(readFileSync(e.file ?? ""), e.file ?? "");
	expect(file.syntax, e.number).toBe(e.profile === "facturx" ? "cii" : "ubl");
	if (e.profile === "facturx") expect(file.attachment).toBe("factur-x.xml");
	return file.xml;
}

beforeAll(async () => {
	dataDir = mkdtempSync(join(tmpdir(), "billing-demo-einvoices-"));
	const demo = await runBilling("demo", "--data-dir", dataDir, "--accounts", "4", "--period", PERIOD, "--json");
	expect(demo.code, demo.stderr).toBe(0);
	summary = JSON.parse(demo.stdout) as DemoSummary;
	// The demo stops its stack when it is done; a person then starts one on the same data dir.
	serve = (await startServe(dataDir)).child;
}, 240_000);

afterAll(async () => {
	if (serve && !hasExited(serve)) {
		const exited = new Promise((resolve) => serve?.once("exit", resolve));
		serve.kill("SIGTERM");
		await exited;
	}
	await killAll();
	rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe("the demo's billing events", () => {
	it("are all numbered for receivers by the time the demo says so, and listed by billing events list", async () => {
		expect(summary.events.written).toBeGreaterThan(50);
		expect(summary.events.numbered).toBe(summary.events.written);
		const listed = JSON.parse(await billing("events", "list", "--since", "2026-01-01", "--json", "--limit", "100000")) as {
			type: string;
			sequence?: number;
		}[];
		expect(listed.length).toBeGreaterThanOrEqual(summary.events.written);
		expect(listed.filter((e) => e.type === "invoice.issued").length).toBeGreaterThan(0);
		expect(listed.every((e) => Number.isInteger(e.sequence) && (e.sequence ?? 0) >= 1)).toBe(true);
	});
});

describe("the demo's e-invoices", () => {
	it("lists one per format, the exempt one and the Peppol credit note in its summary, each stored and copied out", () => {
		expect(einvoices().map((e) => [e.accountId, e.document, e.profile, e.status])).toEqual([
			["SHOW-PEPPOL", "invoice", "peppol", "stored"],
			["SHOW-PEPPOL", "credit_memo", "peppol", "stored"],
			["SHOW-XRECHNUNG", "invoice", "xrechnung", "stored"],
			["SHOW-FACTURX", "invoice", "facturx", "stored"],
			["SHOW-NONPROFIT", "invoice", "peppol", "stored"],
		]);
		const lines = formatShowcase(summary.pricing ?? { invoices: [] });
		for (const e of einvoices()) {
			expect(e.key).toMatch(e.profile === "facturx" ? /\.facturx\.pdf$/ : /\.xml$/);
			expect(lines).toContain(
				`    ${e.accountId.padEnd(14)} ${e.number}  ${e.profile.padEnd(9)} s3://.../${e.key}, ${e.findings} warnings (${e.file})`,
			);
		}
	});

	it("are each accepted by the vendored rules with no fatal finding, and are what billing invoices show --einvoice prints", async () => {
		for (const e of einvoices()) {
			const xml = await xmlOf(e);
			const result = validateEinvoice(xml, e.profile);
			expect(
				result.findings.filter((f) => f.severity === "fatal"),
				`${e.number} ${e.profile}`,
			).toEqual([]);
			expect(result.findings.length, e.number).toBe(e.findings);
			if (e.document === "invoice") expect(await billing("invoices", "show", e.number, "--einvoice")).toBe(xml);
		}
		const xrechnung = einvoices().find((e) => e.profile === "xrechnung") as DemoEinvoice;
		expect(await xmlOf(xrechnung)).toContain("<cbc:BuyerReference>04011000-1234512345-06</cbc:BuyerReference>");
	});

	it("carry the totals, VAT breakdown and due date of billing invoices show, to the minor unit", async () => {
		const categories: Record<string, string[]> = {};
		const reasons: Record<string, (string | undefined)[]> = {};
		const taxNotes: Record<string, string | undefined> = {};
		for (const e of einvoices().filter((d) => d.document === "invoice")) {
			const invoice = JSON.parse(await billing("invoices", "show", e.number, "--json")) as Invoice;
			const read = figures(await xmlOf(e), e.profile);
			expect(read, e.accountId).toMatchObject({
				taxExclusive: invoice.subtotal,
				tax: invoice.tax,
				taxInclusive: invoice.total,
				payable: invoice.total - (invoice.creditApplied ?? 0),
				dueDate: invoice.dueDate,
			});
			const expected = breakdownOf(invoice);
			expect(read.breakdown, e.accountId).toHaveLength(expected.size);
			for (const part of read.breakdown) {
				const ratePpm = Number(part.percent || "0") * 10_000;
				expect(expected.get(ratePpm), `${e.accountId} ${part.category}`).toEqual({ taxable: part.taxable, tax: part.tax });
			}
			categories[e.accountId] = read.breakdown.map((p) => p.category);
			reasons[e.accountId] = read.breakdown.map((p) => p.reason);
			taxNotes[e.accountId] = invoice.taxNote;
		}
		// Standard rated in Belgium and France; the German buyer's intra-EU reverse charge; the Belgian non-profit exempt.
		expect(categories).toEqual({ "SHOW-PEPPOL": ["S"], "SHOW-XRECHNUNG": ["AE"], "SHOW-FACTURX": ["S"], "SHOW-NONPROFIT": ["E"] });
		expect(new Set(Object.values(categories).flat())).toEqual(new Set(["S", "AE", "E"]));
		// An exempt or reverse-charge category says why no VAT is charged (BT-120): the exempt one with the invoice's tax note.
		expect(taxNotes["SHOW-NONPROFIT"]).toBe("Tax exempt customer: no tax charged.");
		expect(reasons).toEqual({
			"SHOW-PEPPOL": [undefined],
			"SHOW-XRECHNUNG": ["Reverse charge"],
			"SHOW-FACTURX": [undefined],
			"SHOW-NONPROFIT": [taxNotes["SHOW-NONPROFIT"]],
		});
	});

	it("credit the Peppol invoice with a UBL CreditNote whose totals are the memo's and which refers to it", async () => {
		const note = einvoices().find((e) => e.document === "credit_memo") as DemoEinvoice;
		const memo = (JSON.parse(await billing("credit-memo", "list", "--json")) as CreditMemo[]).find((m) => m.number === note.number);
		expect(memo?.accountId).toBe("SHOW-PEPPOL");
		const xml = await xmlOf(note);
		expect(xml).toContain("<CreditNote");
		expect(xml).toMatch(new RegExp(`<cac:BillingReference>\\s*<cac:InvoiceDocumentReference>\\s*<cbc:ID>${memo?.invoiceNumber}</cbc:ID>`));
		const read = figures(xml, "peppol");
		expect(read).toMatchObject({ taxInclusive: memo?.amount, payable: memo?.amount });
		expect(read.taxExclusive + read.tax).toBe(memo?.amount);
	});
});
