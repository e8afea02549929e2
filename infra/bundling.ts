import { existsSync } from "node:fs";
import { posix, relative } from "node:path";
import { type BundlingOptions, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import type { FunctionSpec } from "../functions/catalog.js";
import { FONT_FILES, FONT_LICENCE } from "../shared/documents/font-files.js";
import {
	BUNDLED_RULES_DIR,
	COMPILE_COMMAND,
	compiledRulePath,
	RULE_SETS,
	RULES_DIR,
	type RuleSetId,
	ruleSetKey,
} from "../shared/einvoicing/rule-sets.js";

/** Lets esbuild's ESM output load CommonJS dependencies that call require(). */
const REQUIRE_BANNER =
	'import { createRequire as __billingCreateRequire } from "node:module"; const require = __billingCreateRequire(import.meta.url);';

/**
 * Packages pdf-lib imports for what no function does, each replaced in the bundles by a module
 * that fails loudly if it is ever reached (infra/lambda-stubs/): the 14 standard fonts' metrics
 * (the documents embed Arimo) and the PNG decoder (no document embeds an image). Paths are
 * relative to the project root, where esbuild runs.
 */
export const lambdaAliases: Readonly<Record<string, string>> = {
	"@pdf-lib/standard-fonts": "./infra/lambda-stubs/standard-fonts.ts",
	"@pdf-lib/upng": "./infra/lambda-stubs/upng.ts",
};

/** How every Lambda of the stack is bundled: ESM for Node.js 22, minified with source maps. */
export const lambdaBundling: BundlingOptions = {
	format: OutputFormat.ESM,
	target: "node22",
	mainFields: ["module", "main"],
	banner: REQUIRE_BANNER,
	minify: true,
	sourceMap: true,
	// Ship the SDK versions the project pins and tests, not the runtime's.
	bundleAwsSDK: true,
	esbuildArgs: Object.fromEntries(Object.entries(lambdaAliases).map(([from, to]) => [`--alias:${from}`, to])),
};

/**
 * The shell commands that copy the font files the PDFs embed, and their licence, from the
 * project's node_modules to the bundle's: the renderers resolve them as package files from
 * the bundle (shared/documents/pdf-layout.ts), which finds them there as in the repository.
 */
export function fontFileCommands(inputDir: string, outputDir: string): string[] {
	return [FONT_FILES.regular, FONT_FILES.bold, FONT_LICENCE].map((file) => {
		const to = posix.join(outputDir, "node_modules", file);
		return `mkdir -p "${posix.dirname(to)}" && cp "${posix.join(inputDir, "node_modules", file)}" "${to}"`;
	});
}

/**
 * fontkit stays out of the function's bundle and is carried beside it: its one file is most of
 * a PDF renderer's bundle (about 0.9 MB minified), and the renderers import it on the first
 * document only (shared/documents/pdf-layout.ts), so a function starts without parsing it.
 */
export const FONTKIT = "@pdf-lib/fontkit";

/**
 * The shell commands that put fontkit into the bundle's node_modules: the file its package.json
 * names as `main` (one CommonJS file with its dependencies inside), minified, and the package.json.
 */
export function fontkitCommands(inputDir: string, outputDir: string): string[] {
	const from = posix.join(inputDir, "node_modules", FONTKIT);
	const to = posix.join(outputDir, "node_modules", FONTKIT);
	return [
		`mkdir -p "${to}/dist"`,
		`"${posix.join(inputDir, "node_modules", ".bin", "esbuild")}" "${from}/dist/fontkit.umd.js" --bundle --platform=node --format=cjs --target=${lambdaBundling.target} --minify --log-level=warning --outfile="${to}/dist/fontkit.umd.js"`,
		`cp "${from}/package.json" "${to}/"`,
	];
}

/** What a function that renders PDFs carries besides its bundle: fontkit and the font files. */
export function pdfRendererCommands(inputDir: string, outputDir: string): string[] {
	return [...fontkitCommands(inputDir, outputDir), ...fontFileCommands(inputDir, outputDir)];
}

/**
 * pdf-lib stays out of the bundle of a function that validates e-invoices and is carried beside
 * it: such a function makes a Factur-X PDF only for the accounts that take one, and imports
 * pdf-lib then (shared/einvoicing/facturx.ts). The desk's API, which also renders PDFs, loads
 * it at start through the renderers, as it did inside the bundle.
 */
export const PDF_LIB = "pdf-lib";

/**
 * The shell commands that put pdf-lib into the bundle's node_modules: the CommonJS file its
 * package.json names as `main`, built from its ES modules with its dependencies and the
 * bundles' aliases (lambdaAliases), minified, and its package.json and licence.
 */
export function pdfLibCommands(inputDir: string, outputDir: string): string[] {
	const from = posix.join(inputDir, "node_modules", PDF_LIB);
	const to = posix.join(outputDir, "node_modules", PDF_LIB);
	const aliases = Object.entries(lambdaAliases).map(([name, path]) => `--alias:${name}="${posix.join(inputDir, path)}"`);
	return [
		`mkdir -p "${to}/cjs"`,
		`"${posix.join(inputDir, "node_modules", ".bin", "esbuild")}" "${from}/es/index.js" --bundle --platform=node --format=cjs --target=${lambdaBundling.target} --minify --log-level=warning ${aliases.join(" ")} --outfile="${to}/cjs/index.js"`,
		`cp "${from}/package.json" "${from}/LICENSE.md" "${to}/"`,
	];
}

/**
 * SaxonJS stays out of the function's bundle: it assigns undeclared variables, which the
 * bundle's strict mode (an ES module) refuses with "abstractNode is not defined". The
 * validator requires it at run time (shared/einvoicing/validate.ts).
 */
export const SAXON_JS = "saxon-js";

/**
 * The shell commands that put SaxonJS into the bundle's node_modules: its CommonJS file, with
 * the axios it requires bundled in by the project's esbuild as CommonJS (sloppy mode, as
 * SaxonJS needs), and its package.json and licence. One file instead of a dependency tree,
 * built offline.
 */
export function saxonJsCommands(inputDir: string, outputDir: string): string[] {
	const from = posix.join(inputDir, "node_modules", SAXON_JS);
	const to = posix.join(outputDir, "node_modules", SAXON_JS);
	return [
		`mkdir -p "${to}"`,
		`"${posix.join(inputDir, "node_modules", ".bin", "esbuild")}" "${from}/SaxonJS2N.js" --bundle --platform=node --format=cjs --target=${lambdaBundling.target} --minify --log-level=warning --outfile="${to}/SaxonJS2N.js"`,
		`cp "${from}/package.json" "${from}/LICENSE.txt" "${to}/"`,
	];
}

/**
 * The shell commands that copy every compiled rule set, as it is current for the vendored
 * rules, to where the validator finds it in a bundle (`einvoice-rules/<set>.sef.json` beside
 * index.mjs, shared/einvoicing/rule-sets.ts). A set missing or stale here stops the bundling
 * with the command that compiles it: a function never ships rules older than the vendored ones.
 */
export function einvoiceRuleCommands(inputDir: string, outputDir: string): string[] {
	const to = posix.join(outputDir, BUNDLED_RULES_DIR);
	const copies = (Object.keys(RULE_SETS) as RuleSetId[]).map((id) => {
		const compiled = compiledRulePath(id, ruleSetKey(id));
		if (!existsSync(compiled)) {
			throw new Error(
				`the compiled e-invoice rules ${id} (${RULE_SETS[id].title}) are missing or older than the vendored ones; run \`${COMPILE_COMMAND}\` before bundling`,
			);
		}
		const from = posix.join(inputDir, "einvoice-rules", ...relative(RULES_DIR, compiled).split(/[\\/]/));
		return `cp "${from}" "${posix.join(to, `${id}.sef.json`)}"`;
	});
	return [`mkdir -p "${to}"`, ...copies];
}

/** What a function that validates e-invoices carries besides its bundle: SaxonJS, the compiled rules, and pdf-lib for Factur-X. */
export function einvoiceValidatorCommands(inputDir: string, outputDir: string): string[] {
	return [...saxonJsCommands(inputDir, outputDir), ...einvoiceRuleCommands(inputDir, outputDir), ...pdfLibCommands(inputDir, outputDir)];
}

/** A function's bundling: the stack's, plus fontkit and the font files when it renders PDFs and the validator's files when it validates e-invoices. */
export function bundlingFor(spec: Pick<FunctionSpec, "rendersPdfs" | "validatesEinvoices">): BundlingOptions {
	if (!spec.rendersPdfs && !spec.validatesEinvoices) return lambdaBundling;
	const externalModules = [...(spec.rendersPdfs ? [FONTKIT] : []), ...(spec.validatesEinvoices ? [SAXON_JS, PDF_LIB] : [])];
	return {
		...lambdaBundling,
		externalModules,
		commandHooks: {
			beforeBundling: () => [],
			beforeInstall: () => [],
			afterBundling: (inputDir, outputDir) => [
				...(spec.rendersPdfs ? pdfRendererCommands(inputDir, outputDir) : []),
				...(spec.validatesEinvoices ? einvoiceValidatorCommands(inputDir, outputDir) : []),
			],
		},
	};
}
