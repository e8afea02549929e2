import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { functionCatalog } from "../../functions/catalog.js";
import {
	bundlingFor,
	einvoiceValidatorCommands,
	FONTKIT,
	fontFileCommands,
	fontkitCommands,
	pdfRendererCommands,
} from "../../infra/bundling.js";
import { repoRoot } from "../../infra/paths.js";
import { bundleAsFunction } from "../support/lambda-bundle.js";
import { pdfFonts } from "../support/pdf.js";

/**
 * A deployed function that renders PDFs finds the font files they embed: its catalog entry
 * says it renders them, and its bundle, built as CDK builds it, carries them and renders an
 * invoice away from the project's node_modules.
 */

const RENDERER = join(repoRoot, "shared", "documents", "pdf-layout.ts");

/** Whether a module's run-time imports (not `import type`) reach `target`, through the project's own files. */
function reaches(file: string, target: string, seen = new Set<string>()): boolean {
	if (file === target) return true;
	if (seen.has(file)) return false;
	seen.add(file);
	const source = readFileSync(file, "utf8");
	for (const [, specifier] of source.matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?from\s+"(\.{1,2}\/[^"]+)\.js"/gms)) {
		if (reaches(resolve(dirname(file), `${specifier}.ts`), target, seen)) return true;
	}
	return false;
}

describe("the font files of the functions that render PDFs", () => {
	it.each(functionCatalog.map((spec) => [spec.id, spec] as const))(
		"%s renders PDFs exactly when its catalog entry says so",
		(_id, spec) => {
			const renders = reaches(join(repoRoot, "functions", spec.dir, "handler.ts"), RENDERER);
			expect(spec.rendersPdfs).toBe(renders);
			const hooks = bundlingFor(spec).commandHooks;
			// The font files first; a function that validates e-invoices carries its validator's files too (einvoice-bundle.test.ts).
			const expected = [
				...(renders ? pdfRendererCommands("/in", "/out") : []),
				...(spec.validatesEinvoices ? einvoiceValidatorCommands("/in", "/out") : []),
			];
			if (expected.length > 0) expect(hooks?.afterBundling("/in", "/out")).toEqual(expected);
			else expect(hooks).toBeUndefined();
			expect(bundlingFor(spec).externalModules?.includes(FONTKIT) ?? false).toBe(renders);
		},
	);

	it("lists the invoice renderers among them: GenerateInvoices and DeskApi", () => {
		expect(functionCatalog.filter((spec) => spec.rendersPdfs).map((spec) => spec.id)).toEqual(["GenerateInvoices", "DeskApi"]);
	});

	describe("a bundle built with the functions' esbuild options", () => {
		const dir = mkdtempSync(join(tmpdir(), "pdf-fonts-bundle-"));
		afterAll(() => rmSync(dir, { recursive: true, force: true }));
		const entry = join(dir, "entry.ts");
		const bundle = join(dir, "out", "index.mjs");
		const run = () => spawnSync(process.execPath, [bundle], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });

		it("renders an invoice with its fonts embedded once the hooks have copied fontkit and the font files, and cannot without them", async () => {
			writeFileSync(
				entry,
				[
					`import { renderInvoicePdf } from ${JSON.stringify(join(repoRoot, "shared/documents/invoice-pdf.ts"))};`,
					`import { storedInvoice } from ${JSON.stringify(join(repoRoot, "test/unit/einvoicing/fixtures.ts"))};`,
					"const seller = { name: 'Seller', addressLines: [], email: 's@example.com', paymentInstructions: 'Pay.', invoiceSeriesPrefix: 'INV', defaultPaymentTermsDays: 30, sendEventWaitSeconds: 900 };",
					"const pdf = await renderInvoicePdf(storedInvoice({ number: 'INV-2026-000001', currency: 'EUR', ratePpm: 0 }), seller);",
					"process.stdout.write(Buffer.from(pdf).toString('base64'));",
				].join("\n"),
			);
			await bundleAsFunction(entry, bundle, { rendersPdfs: true, validatesEinvoices: false });

			const withoutFontkit = run();
			expect(withoutFontkit.status).not.toBe(0);
			expect(withoutFontkit.stderr).toContain("Cannot find package '@pdf-lib/fontkit'");

			for (const command of fontkitCommands(repoRoot, dirname(bundle))) execFileSync("sh", ["-c", command]);
			const without = run();
			expect(without.status).not.toBe(0);
			expect(without.stderr).toContain("Cannot find module '@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf'");

			for (const command of fontFileCommands(repoRoot, dirname(bundle))) execFileSync("sh", ["-c", command]);
			expect(readFileSync(join(dirname(bundle), "node_modules/@expo-google-fonts/arimo/LICENSE_FONT"), "utf8")).toContain(
				"SIL Open Font License, Version 1.1",
			);
			const rendered = run();
			expect(rendered.stderr).toBe("");
			expect(rendered.status).toBe(0);
			const fonts = await pdfFonts(Buffer.from(rendered.stdout, "base64"));
			expect(fonts.map((font) => [font.baseFont, font.fontFile])).toEqual([
				["ARIBLD+Arimo-Bold", "FontFile2"],
				["ARIREG+Arimo-Regular", "FontFile2"],
			]);
		});
	});
});
