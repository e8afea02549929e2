import { type BuildOptions, build } from "esbuild";
import type { FunctionSpec } from "../../functions/catalog.js";
import { bundlingFor, lambdaAliases, lambdaBundling } from "../../infra/bundling.js";
import { repoRoot } from "../../infra/paths.js";

type BundledSpec = Pick<FunctionSpec, "rendersPdfs" | "validatesEinvoices">;

/** The esbuild options CDK gives a function of `spec`'s kind (format, target, banner, minify, source map, externals, aliases); entries and output are the caller's. */
export function functionBuildOptions(spec: BundledSpec): BuildOptions {
	return {
		bundle: true,
		platform: "node",
		format: "esm",
		target: lambdaBundling.target,
		mainFields: lambdaBundling.mainFields,
		banner: { js: lambdaBundling.banner ?? "" },
		minify: lambdaBundling.minify,
		sourcemap: lambdaBundling.sourceMap,
		external: bundlingFor(spec).externalModules ?? [],
		alias: lambdaAliases,
		absWorkingDir: repoRoot,
		logLevel: "silent",
	};
}

/** `entry` bundled into `outfile` as CDK bundles a function of `spec`'s kind. */
export async function bundleAsFunction(entry: string, outfile: string, spec: BundledSpec): Promise<void> {
	await build({ ...functionBuildOptions(spec), entryPoints: [entry], outfile });
}
