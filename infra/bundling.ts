import { type BundlingOptions, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";

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
