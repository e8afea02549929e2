import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

/**
 * The desk's build (DESIGN.md section 12): the React app of desk/src bundled by the project's
 * esbuild into one ES module and one stylesheet (Cloudscape's components bring their CSS),
 * fonts as files, and an index.html whose base is /desk/. One bundle, not a chunk per page:
 * Cloudscape's components are most of it and every page shares them, so splitting would
 * save little and load the page's CSS later. `npm run build:desk` writes it to desk/dist;
 * the embedded HTTP front builds it in memory (local/emulator/desk-front.ts).
 */

const DESK_DIR = dirname(fileURLToPath(import.meta.url));
/** Where the app is served: the HTML's base, and the URL prefix of its scripts, styles and fonts. */
const DESK_BASE = "/desk/";
/** The most JavaScript (gzipped) a first visit may download before the desk can draw. */
export const FIRST_LOAD_LIMIT_BYTES = 1024 * 1024;

export interface DeskFile {
	/** Relative to /desk/, e.g. `main-5XQ2LZ3B.js` or `index.html`. */
	readonly path: string;
	readonly contents: Uint8Array;
}

export interface DeskBuild {
	readonly files: readonly DeskFile[];
	/** The entry script index.html loads. */
	readonly entry: string;
	/** The JavaScript a first visit downloads: the entry and everything it imports statically. */
	readonly firstLoadBytes: number;
	readonly firstLoadGzipBytes: number;
}

function indexHtml(entry: string, stylesheet: string | undefined): string {
	const style = stylesheet ? `\n<link rel="stylesheet" href="${stylesheet}">` : "";
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="${DESK_BASE}">
<title>Billing desk</title>
<link rel="icon" href="data:,">${style}
<script type="module" src="${entry}"></script>
</head>
<body>
<div id="root"></div>
</body>
</html>
`;
}

/** The output files a page loads before anything runs: the entry and its static imports, transitively. */
function firstLoadScripts(metafile: esbuild.Metafile, entry: string): string[] {
	const seen = new Set<string>();
	const visit = (output: string) => {
		if (seen.has(output)) return;
		seen.add(output);
		for (const imported of metafile.outputs[output]?.imports ?? []) {
			if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
		}
	};
	visit(entry);
	return [...seen];
}

export async function buildDesk(options: { outdir?: string; minify?: boolean } = {}): Promise<DeskBuild> {
	const outdir = options.outdir ?? join(DESK_DIR, "dist");
	const result = await esbuild.build({
		absWorkingDir: DESK_DIR,
		entryPoints: { main: join(DESK_DIR, "src", "main.tsx") },
		bundle: true,
		format: "esm",
		target: ["es2022"],
		jsx: "automatic",
		minify: options.minify ?? true,
		write: false,
		metafile: true,
		outdir,
		publicPath: DESK_BASE,
		entryNames: "[name]-[hash]",
		assetNames: "assets/[name]-[hash]",
		loader: { ".woff2": "file", ".woff": "file", ".ttf": "file" },
		define: { "process.env.NODE_ENV": '"production"' },
		logLevel: "silent",
	});
	const entryOutput = Object.entries(result.metafile.outputs).find(([path, o]) => o.entryPoint && path.endsWith(".js"))?.[0];
	if (!entryOutput) throw new Error("desk build: esbuild produced no entry script");
	const cssBundle = result.metafile.outputs[entryOutput]?.cssBundle;
	const byMetaPath = new Map(result.outputFiles.map((f) => [relative(DESK_DIR, f.path), f]));
	const scripts = firstLoadScripts(result.metafile, entryOutput).map((p) => byMetaPath.get(p)?.contents ?? new Uint8Array());
	const firstLoadBytes = scripts.reduce((sum, s) => sum + s.length, 0);
	const firstLoadGzipBytes = scripts.reduce((sum, s) => sum + gzipSync(s, { level: 9 }).length, 0);
	if (firstLoadGzipBytes > FIRST_LOAD_LIMIT_BYTES) {
		throw new Error(
			`desk build: the first load is ${firstLoadGzipBytes} bytes of gzipped JavaScript, over the ${FIRST_LOAD_LIMIT_BYTES} limit`,
		);
	}
	const inOutdir = (metaPath: string) => relative(outdir, join(DESK_DIR, metaPath)).split("\\").join("/");
	const entry = inOutdir(entryOutput);
	const files: DeskFile[] = [
		...result.outputFiles.map((f) => ({ path: relative(outdir, f.path).split("\\").join("/"), contents: f.contents })),
		{ path: "index.html", contents: new TextEncoder().encode(indexHtml(entry, cssBundle ? inOutdir(cssBundle) : undefined)) },
	];
	if (options.outdir) {
		for (const file of files) {
			mkdirSync(dirname(join(outdir, file.path)), { recursive: true });
			writeFileSync(join(outdir, file.path), file.contents);
		}
	}
	return { files, entry, firstLoadBytes, firstLoadGzipBytes };
}

// `npm run build:desk`: writes desk/dist and reports the first load's size.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	const outdir = join(DESK_DIR, "dist");
	const built = await buildDesk({ outdir });
	const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
	process.stdout.write(
		`desk: ${built.files.length} files in ${relative(process.cwd(), outdir) || "."}; first load ${kb(built.firstLoadBytes)} of JavaScript, ${kb(built.firstLoadGzipBytes)} gzipped (limit ${kb(FIRST_LOAD_LIMIT_BYTES)})\n`,
	);
}
