import { build } from "esbuild";
import type { FunctionSpec } from "../../functions/catalog.js";
import { bundlingFor, lambdaAliases, lambdaBundling } from "../../infra/bundling.js";
import { repoRoot } from "../../infra/paths.js";

/** `entry` bundled into `outfile` with the esbuild options CDK gives a function of `spec`'s kind (format, target, banner, externals, aliases). */
export async function bundleAsFunction(
	entry: string,
	outfile: string,
	spec: Pick<FunctionSpec, "rendersPdfs" | "validatesEinvoices">,
): Promise<void> {
	await build({
		entryPoints: [entry],
		outfile,
		bundle: true,
		platform: "node",
		format: "esm",
		target: lambdaBundling.target,
		mainFields: lambdaBundling.mainFields,
		banner: { js: lambdaBundling.banner ?? "" },
		minify: lambdaBundling.minify,
		external: bundlingFor(spec).externalModules ?? [],
		alias: lambdaAliases,
		absWorkingDir: repoRoot,
		logLevel: "silent",
	});
}
