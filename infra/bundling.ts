import { posix } from "node:path";
import { type BundlingOptions, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import type { FunctionSpec } from "../functions/catalog.js";
import { FONT_FILES, FONT_LICENCE } from "../shared/documents/font-files.js";

/** Lets esbuild's ESM output load CommonJS dependencies that call require(). */
const REQUIRE_BANNER =
	'import { createRequire as __billingCreateRequire } from "node:module"; const require = __billingCreateRequire(import.meta.url);';

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

/** A function's bundling: the stack's, plus the font files when it renders PDFs. */
export function bundlingFor(spec: Pick<FunctionSpec, "rendersPdfs">): BundlingOptions {
	if (!spec.rendersPdfs) return lambdaBundling;
	return {
		...lambdaBundling,
		commandHooks: {
			beforeBundling: () => [],
			beforeInstall: () => [],
			afterBundling: fontFileCommands,
		},
	};
}
