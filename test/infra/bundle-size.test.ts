import { join } from "node:path";
import { FontNames as packageFontNames } from "@pdf-lib/standard-fonts";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { functionCatalog } from "../../functions/catalog.js";
import { bundlingFor } from "../../infra/bundling.js";
import { FontNames } from "../../infra/lambda-stubs/standard-fonts.js";
import { repoRoot } from "../../infra/paths.js";
import { functionBuildOptions } from "../support/lambda-bundle.js";

/**
 * A function starts faster the less code it loads (issue 24, item 5): every function's
 * index.mjs, built with the stack's esbuild options (minified; its source map beside it,
 * not counted), is at most 1 MB. What a bundle carries beside index.mjs (fontkit, the font
 * files, SaxonJS, the compiled e-invoice rules) is loaded on use and not counted here.
 */

const MAX_BUNDLE_BYTES = 1_048_576;

/**
 * The functions still over 1 MB, each with the size its index.mjs may not pass: issue 24,
 * item 5 is open for them (docs/scale.md, "Bundle sizes").
 */
const STILL_OVER: Readonly<Record<string, number>> = { DeskApi: 1_331_200 };

/** Every Lambda of the stack: the catalog's functions and the document links' key generator (deploy time). */
const functions = [
	...functionCatalog.map((spec) => ({ id: spec.id, entry: join(repoRoot, "functions", spec.dir, "handler.ts"), spec })),
	{
		id: "DocumentLinksKeyFunction",
		entry: join(repoRoot, "infra", "handlers", "document-link-key.ts"),
		spec: { rendersPdfs: false, validatesEinvoices: false },
	},
];

/**
 * The index.mjs size of each function's bundle. The functions bundled alike (the same
 * externals) are built together, as entries `<id>/index` of one esbuild build, which reads
 * each shared module once; an entry's output is what CDK writes for it alone. Nothing is written.
 */
async function bundleSizes(): Promise<Record<string, number>> {
	const outdir = join(repoRoot, "cdk.out", "bundle-size");
	const groups = new Map<string, { spec: (typeof functions)[number]["spec"]; members: typeof functions }>();
	for (const fn of functions) {
		const externals = JSON.stringify(bundlingFor(fn.spec).externalModules ?? []);
		const group = groups.get(externals) ?? { spec: fn.spec, members: [] };
		groups.set(externals, { ...group, members: [...group.members, fn] });
	}
	const built = await Promise.all(
		[...groups.values()].map(async ({ spec, members }) => {
			const result = await build({
				...functionBuildOptions(spec),
				entryPoints: Object.fromEntries(members.map(({ id, entry }) => [`${id}/index`, entry])),
				outdir,
				outExtension: { ".js": ".mjs" },
				write: false,
			});
			return members.map(({ id }) => {
				const bundle = result.outputFiles.find((file) => file.path === join(outdir, id, "index.mjs"));
				if (!bundle) throw new Error(`esbuild wrote no index.mjs for ${id}`);
				return [id, bundle.contents.byteLength] as const;
			});
		}),
	);
	return Object.fromEntries(built.flat());
}

describe("the functions' bundles", () => {
	it("are each at most 1 MB (index.mjs, minified), but for the ones still over, which may not grow", async () => {
		const sizes = await bundleSizes();
		expect(Object.keys(sizes)).toHaveLength(functionCatalog.length + 1);
		const over = Object.entries(sizes)
			.filter(([id, bytes]) => bytes > (STILL_OVER[id] ?? MAX_BUNDLE_BYTES))
			.map(([id, bytes]) => `${id}: ${bytes} bytes`);
		expect(
			over,
			'functions whose index.mjs is over 1 MB (a module importing { z } from "zod" puts all of zod back, 355 kB: import * as z from "zod")',
		).toEqual([]);
		// A function brought under 1 MB leaves STILL_OVER, so it cannot grow back.
		expect(Object.keys(STILL_OVER).filter((id) => (sizes[id] ?? 0) <= MAX_BUNDLE_BYTES)).toEqual([]);
	}, 120_000);

	it("leave out pdf-lib's standard fonts but name them as the package does", () => {
		expect(FontNames).toEqual({ ...packageFontNames });
	});
});
