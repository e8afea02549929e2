import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { functionCatalog } from "../../functions/catalog.js";
import {
	bundlingFor,
	einvoiceRuleCommands,
	einvoiceValidatorCommands,
	FONTKIT,
	PDF_LIB,
	pdfLibCommands,
	SAXON_JS,
	saxonJsCommands,
} from "../../infra/bundling.js";
import { repoRoot } from "../../infra/paths.js";
import { compiledRulePath, RULE_SETS, type RuleSetId, ruleSetKey } from "../../shared/einvoicing/rule-sets.js";
import { bundleAsFunction } from "../support/lambda-bundle.js";

/**
 * A deployed function that validates e-invoices runs the official rules as the embedded one
 * does (DESIGN.md section 13): its catalog entry says it validates them, and its bundle, built
 * as CDK builds it, carries SaxonJS and the current compiled rules and validates a Peppol,
 * an XRechnung and a Factur-X document away from the project's node_modules and rules.
 */

const VALIDATOR = join(repoRoot, "shared", "einvoicing", "validate.ts");

/** Whether a module's run-time imports, static or dynamic (not `import type`), reach `target` through the project's own files. */
function reaches(file: string, target: string, seen = new Set<string>()): boolean {
	if (file === target) return true;
	if (seen.has(file)) return false;
	seen.add(file);
	const source = readFileSync(file, "utf8");
	const specifiers = [
		...source.matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?from\s+"(\.{1,2}\/[^"]+)\.js"/gms),
		...source.matchAll(/\bimport\(\s*"(\.{1,2}\/[^"]+)\.js"\s*\)/g),
	].map((match) => match[1] as string);
	return specifiers.some((specifier) => reaches(resolve(dirname(file), `${specifier}.ts`), target, seen));
}

describe("the functions that validate e-invoices", () => {
	it.each(functionCatalog.map((spec) => [spec.id, spec] as const))(
		"%s validates e-invoices exactly when its catalog entry says so, and its bundling carries SaxonJS and the rules then",
		(_id, spec) => {
			const validates = reaches(join(repoRoot, "functions", spec.dir, "handler.ts"), VALIDATOR);
			expect(spec.validatesEinvoices).toBe(validates);
			const bundling = bundlingFor(spec);
			const commands = bundling.commandHooks?.afterBundling("/in", "/out") ?? [];
			const validator = einvoiceValidatorCommands("/in", "/out");
			expect(commands.filter((command) => validator.includes(command))).toEqual(validates ? validator : []);
			// A function that renders PDFs keeps fontkit out of its bundle too (pdf-fonts.test.ts).
			expect(bundling.externalModules ?? []).toEqual([...(spec.rendersPdfs ? [FONTKIT] : []), ...(validates ? [SAXON_JS, PDF_LIB] : [])]);
		},
	);

	it("are the invoice delivery and the desk's API (credit memos, resends)", () => {
		expect(functionCatalog.filter((spec) => spec.validatesEinvoices).map((spec) => spec.id)).toEqual(["DeliverInvoices", "DeskApi"]);
	});

	it("copy each current compiled rule set to einvoice-rules/<set>.sef.json beside the bundle, and SaxonJS into its node_modules", () => {
		const ids = Object.keys(RULE_SETS) as RuleSetId[];
		expect(einvoiceRuleCommands("/in", "/out")).toEqual([
			'mkdir -p "/out/einvoice-rules"',
			...ids.map((id) => {
				const file = compiledRulePath(id, ruleSetKey(id)).split("/").pop();
				return `cp "/in/einvoice-rules/compiled/${file}" "/out/einvoice-rules/${id}.sef.json"`;
			}),
		]);
		const saxon = saxonJsCommands("/in", "/out");
		expect(saxon[0]).toBe('mkdir -p "/out/node_modules/saxon-js"');
		expect(saxon[1]).toMatch(
			/^"\/in\/node_modules\/\.bin\/esbuild" "\/in\/node_modules\/saxon-js\/SaxonJS2N\.js" --bundle --platform=node --format=cjs .*--outfile="\/out\/node_modules\/saxon-js\/SaxonJS2N\.js"$/,
		);
		expect(saxon[2]).toBe(
			'cp "/in/node_modules/saxon-js/package.json" "/in/node_modules/saxon-js/LICENSE.txt" "/out/node_modules/saxon-js/"',
		);
	});

	describe("a bundle built with the functions' esbuild options", () => {
		const dir = mkdtempSync(join(tmpdir(), "einvoice-bundle-"));
		afterAll(() => rmSync(dir, { recursive: true, force: true }));
		const entry = join(dir, "entry.ts");
		const bundle = join(dir, "out", "index.mjs");
		const run = () => spawnSync(process.execPath, [bundle], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
		const sh = (commands: string[]) => {
			for (const command of commands) execFileSync("sh", ["-c", command], { cwd: repoRoot });
		};

		it("validates a Peppol, an XRechnung and a Factur-X document once the hooks have copied SaxonJS and the rules, and cannot without them", async () => {
			const fixtures = join(repoRoot, "test/unit/einvoicing/fixtures.ts");
			writeFileSync(
				entry,
				[
					`import { einvoiceFromInvoice } from ${JSON.stringify(join(repoRoot, "shared/einvoicing/model.ts"))};`,
					`import { validateEinvoice } from ${JSON.stringify(join(repoRoot, "shared/einvoicing/validate.ts"))};`,
					`import { writeEinvoice } from ${JSON.stringify(join(repoRoot, "shared/einvoicing/write.ts"))};`,
					`import { BELGIAN_BUYER, FRENCH_BUYER, GERMAN_BUYER, parties, storedInvoice } from ${JSON.stringify(fixtures)};`,
					"const invoice = storedInvoice({ number: 'INV-2026-000001', currency: 'EUR', ratePpm: 190000 });",
					"const results = [['peppol', BELGIAN_BUYER], ['xrechnung', GERMAN_BUYER], ['facturx', FRENCH_BUYER]].map(([profile, buyer]) =>",
					"  validateEinvoice(writeEinvoice(einvoiceFromInvoice(invoice, parties(buyer)), profile), profile));",
					"process.stdout.write(JSON.stringify(results.map((r) => ({ profile: r.profile, valid: r.valid, fatal: r.findings.filter((f) => f.severity === 'fatal') }))));",
				].join("\n"),
			);
			await bundleAsFunction(entry, bundle, { rendersPdfs: false, validatesEinvoices: true });
			const out = dirname(bundle);

			const withoutSaxon = run();
			expect(withoutSaxon.status).not.toBe(0);
			expect(withoutSaxon.stderr).toContain("Cannot find module 'saxon-js'");

			sh(saxonJsCommands(repoRoot, out));
			const withoutRules = run();
			expect(withoutRules.status).not.toBe(0);
			expect(withoutRules.stderr).toContain("the compiled e-invoice rules cen-ubl (CEN EN 16931 UBL 1.3.16) are neither beside the bundle");

			sh(einvoiceRuleCommands(repoRoot, out));
			const validated = run();
			expect(validated.stderr).toBe("");
			expect(validated.status).toBe(0);
			expect(JSON.parse(validated.stdout)).toEqual([
				{ profile: "peppol", valid: true, fatal: [] },
				{ profile: "xrechnung", valid: true, fatal: [] },
				{ profile: "facturx", valid: true, fatal: [] },
			]);
		}, 60_000);

		it("makes a Factur-X PDF with the pdf-lib the hooks carry, and cannot without it", async () => {
			const fixtures = join(repoRoot, "test/unit/einvoicing/fixtures.ts");
			const facturxBundle = join(dir, "facturx", "index.mjs");
			writeFileSync(
				entry,
				[
					`import { facturxPdf } from ${JSON.stringify(join(repoRoot, "shared/einvoicing/facturx.ts"))};`,
					`import { einvoiceFromInvoice } from ${JSON.stringify(join(repoRoot, "shared/einvoicing/model.ts"))};`,
					`import { readEinvoiceFile } from ${JSON.stringify(join(repoRoot, "shared/einvoicing/read.ts"))};`,
					`import { writeEinvoice } from ${JSON.stringify(join(repoRoot, "shared/einvoicing/write.ts"))};`,
					`import { FRENCH_BUYER, parties, storedInvoice } from ${JSON.stringify(fixtures)};`,
					"const cii = writeEinvoice(einvoiceFromInvoice(storedInvoice({ number: 'INV-2026-000001', currency: 'EUR', ratePpm: 200000 }), parties(FRENCH_BUYER)), 'facturx');",
					"const { PDFDocument } = await import('pdf-lib');",
					"const blank = await PDFDocument.create();",
					"blank.addPage();",
					"const pdf = await facturxPdf(await blank.save(), cii, { number: 'INV-2026-000001', issueDate: '2026-01-31', sellerName: 'Seller' });",
					"const read = await readEinvoiceFile(pdf, 'INV-2026-000001.pdf');",
					"process.stdout.write(JSON.stringify({ attachment: read.attachment, syntax: read.syntax, same: read.xml === cii }));",
				].join("\n"),
			);
			await bundleAsFunction(entry, facturxBundle, { rendersPdfs: false, validatesEinvoices: true });
			const runFacturx = () =>
				spawnSync(process.execPath, [facturxBundle], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });

			const withoutPdfLib = runFacturx();
			expect(withoutPdfLib.status).not.toBe(0);
			expect(withoutPdfLib.stderr).toContain("Cannot find package 'pdf-lib'");

			sh(pdfLibCommands(repoRoot, dirname(facturxBundle)));
			const made = runFacturx();
			expect(made.stderr).toBe("");
			expect(made.status).toBe(0);
			expect(JSON.parse(made.stdout)).toEqual({ attachment: "factur-x.xml", syntax: "cii", same: true });
		}, 60_000);
	});
});
