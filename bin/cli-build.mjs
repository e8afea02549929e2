#!/usr/bin/env node
// The `billing` CLI's build (docs/operating-a-month.md, "How the CLI starts"): local/cli/cli.ts and
// everything it imports, bundled by esbuild into ES modules under dist/cli/<build>/, one chunk
// per group of modules a command loads when it runs, so `billing --help` reads a few hundred
// KiB instead of compiling TypeScript. Plain JavaScript, because bin/billing.mjs imports it at
// every start and must not pay for a compiler; `node bin/cli-build.mjs` (npm's `prepare`, so
// `npm ci` runs it) builds it when it is missing or stale.
//
// Never stale: dist/cli/current.json names the build and the size and mtime of every file it was
// built from (esbuild's metafile lists them). bin/billing.mjs compares them at each start (a
// few ms) and rebuilds when any file differs or is gone: an edit, a checkout, an older file
// copied in with its mtime kept. Installed packages are tracked through npm's lockfiles, which
// every install rewrites, rather than one by one.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(ROOT, "dist", "cli");
const CURRENT = join(DIST, "current.json");
const LOCK = join(DIST, "build.lock");
const ENTRY = "billing.mjs";
/** Files a build depends on that are not modules it bundles: the build itself, its settings, the installed packages. */
const SETTINGS = ["bin/cli-build.mjs", "package.json", "package-lock.json", "node_modules/.package-lock.json", "tsconfig.json"];
/** A build another process may still load chunks from is kept; one this old with no live user goes. */
const KEEP_UNUSED_MS = 60_000;
const UNWRITABLE = ["EACCES", "EPERM", "EROFS"];

/** Lets the ES module output load CommonJS dependencies that call require() (as infra/bundling.ts does for the functions). */
const REQUIRE_BANNER =
	'import { createRequire as __billingCreateRequire } from "node:module"; const require = __billingCreateRequire(import.meta.url);';

const posix = (path) => path.split("\\").join("/");

/**
 * Every module of the project that finds a file next to itself (the state machines' ASL, the
 * watchdog, the desk's sources, packages through createRequire) keeps doing so from the bundle:
 * its `import.meta.url` becomes its own source file's URL, computed from the bundle's location
 * so a moved checkout still works. Packages' own `import.meta.url` is left as esbuild leaves it.
 */
function sourceImportMetaUrl(outdir) {
	return {
		name: "source-import-meta-url",
		setup(build) {
			build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
				if (args.path.includes("/node_modules/")) return undefined;
				const text = await readFile(args.path, "utf8");
				if (!text.includes("import.meta.url")) return undefined;
				const fromOutput = JSON.stringify(posix(relative(outdir, args.path)));
				return {
					contents: text.replaceAll("import.meta.url", `new URL(${fromOutput}, import.meta.url).href`),
					loader: args.path.endsWith(".ts") ? "ts" : "js",
					resolveDir: dirname(args.path),
				};
			});
		},
	};
}

function readCurrent() {
	try {
		return JSON.parse(readFileSync(CURRENT, "utf8"));
	} catch {
		return undefined;
	}
}

/** Whether the build is there and every file it was made from is as it was then. */
function isFresh(current) {
	if (!existsSync(join(DIST, current.build, ENTRY))) return false;
	for (const [path, [mtimeMs, size]] of Object.entries(current.inputs)) {
		const stat = statSync(join(ROOT, path), { throwIfNoEntry: false });
		if (!stat || stat.mtimeMs !== mtimeMs || stat.size !== size) return false;
	}
	return true;
}

/** The build bin/billing.mjs may run: its entry's URL, or undefined when there is none or it is stale. */
export function currentCliBuild() {
	const current = readCurrent();
	if (!current || !isFresh(current)) return undefined;
	return { build: current.build, entryUrl: pathToFileURL(join(DIST, current.build, ENTRY)).href };
}

/**
 * Records this process as a user of the build, so no other process's rebuild removes the chunks
 * it has yet to load while it runs (a `billing serve` loads a function's handler at its first
 * call); the record goes when the process exits, and a rebuild clears those of processes that
 * were killed. False when the build was removed meanwhile.
 */
function claimCliBuild(build) {
	const user = join(DIST, build, "users", String(process.pid));
	try {
		writeFileSync(user, "");
	} catch (err) {
		if (err.code === "ENOENT") return false;
		// A build this user may run but not write to (another user's checkout): run it unrecorded.
		if (UNWRITABLE.includes(err.code)) return true;
		throw err;
	}
	process.once("exit", () => rmSync(user, { force: true }));
	return true;
}

/**
 * The build `billing` runs, claimed for this process: the current one when it is fresh,
 * otherwise a new one (`onBuild` is told first). Undefined when none can be written here.
 */
export async function cliBuildToRun(onBuild) {
	for (;;) {
		let cli = currentCliBuild();
		if (!cli) {
			onBuild();
			try {
				cli = await buildCli();
			} catch (err) {
				if (UNWRITABLE.includes(err.code)) return undefined;
				throw err;
			}
		}
		if (claimCliBuild(cli.build)) return cli;
	}
}

function isAlive(pid) {
	try {
		process.kill(pid, 0);
		return true;
	} catch (err) {
		return err.code === "EPERM";
	}
}

function lockOwner() {
	try {
		return Number(readFileSync(join(LOCK, "pid"), "utf8"));
	} catch {
		return 0;
	}
}

/** One build at a time: concurrent `billing` starts (a test run spawns many) wait for the one building. */
async function withBuildLock(work) {
	mkdirSync(DIST, { recursive: true });
	for (;;) {
		try {
			mkdirSync(LOCK);
			break;
		} catch (err) {
			if (err.code !== "EEXIST") throw err;
			const owner = lockOwner();
			const since = statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0;
			// A lock whose builder died (or never wrote its pid, 10 s on) is taken over.
			if ((owner && !isAlive(owner)) || (!owner && Date.now() - since > 10_000)) rmSync(LOCK, { recursive: true, force: true });
			else await new Promise((resolve) => setTimeout(resolve, 50));
		}
	}
	writeFileSync(join(LOCK, "pid"), String(process.pid));
	try {
		return await work();
	} finally {
		rmSync(LOCK, { recursive: true, force: true });
	}
}

/** Removes the builds no live process uses (but a new one, which another builder may be about to use), and records of ended users. */
function removeUnusedBuilds(keep) {
	for (const entry of readdirSync(DIST, { withFileTypes: true })) {
		if (!entry.isDirectory() || entry.name === "build.lock") continue;
		const dir = join(DIST, entry.name);
		const users = join(dir, "users");
		const live = (existsSync(users) ? readdirSync(users) : []).filter((pid) => {
			if (isAlive(Number(pid))) return true;
			rmSync(join(users, pid), { force: true });
			return false;
		});
		if (entry.name !== keep && live.length === 0 && Date.now() - statSync(dir).mtimeMs >= KEEP_UNUSED_MS)
			rmSync(dir, { recursive: true, force: true });
	}
}

/** Builds the CLI into a new dist/cli/<build>/ and makes it current; answers it as currentCliBuild does. */
export async function buildCli() {
	return withBuildLock(async () => {
		// Another process may have built it while this one waited.
		const fresh = currentCliBuild();
		if (fresh) return fresh;
		const esbuild = await import("esbuild");
		const startedAt = Date.now();
		const build = `${startedAt.toString(36)}-${process.pid}`;
		const outdir = join(DIST, build);
		const result = await esbuild.build({
			absWorkingDir: ROOT,
			entryPoints: { billing: join(ROOT, "local", "cli", "cli.ts") },
			bundle: true,
			splitting: true,
			platform: "node",
			format: "esm",
			target: "node20",
			outdir,
			outExtension: { ".js": ".mjs" },
			// Flat: every output sits at the same depth, which the rewritten import.meta.url relies on.
			chunkNames: "[name]-[hash]",
			mainFields: ["module", "main"],
			banner: { js: REQUIRE_BANNER },
			// The desk's build (desk/build.ts) runs esbuild itself, a native binary. SaxonJS assigns
			// undeclared variables, which a strict-mode ES module bundle refuses: it loads from node_modules.
			external: ["esbuild", "saxon-js"],
			plugins: [sourceImportMetaUrl(outdir)],
			metafile: true,
			logLevel: "silent",
		});
		mkdirSync(join(outdir, "users"), { recursive: true });
		writeFileSync(join(outdir, "meta.json"), JSON.stringify(result.metafile));
		const inputs = {};
		for (const path of [...Object.keys(result.metafile.inputs).filter((p) => !p.includes("node_modules/")), ...SETTINGS]) {
			const stat = statSync(join(ROOT, path), { throwIfNoEntry: false });
			// A file changed while esbuild read it may be in the bundle as it was: recorded so it counts as changed.
			if (stat) inputs[posix(path)] = [stat.mtimeMs >= startedAt ? 0 : stat.mtimeMs, stat.size];
		}
		const tmp = `${CURRENT}.${process.pid}.tmp`;
		writeFileSync(tmp, `${JSON.stringify({ build, builtAt: new Date(startedAt).toISOString(), inputs })}\n`);
		renameSync(tmp, CURRENT);
		removeUnusedBuilds(build);
		return { build, entryUrl: pathToFileURL(join(outdir, ENTRY)).href };
	});
}

// `node bin/cli-build.mjs` (npm's prepare, `npm run build:cli`): builds unless the current build is fresh.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	const fresh = currentCliBuild();
	const started = Date.now();
	const built = fresh ?? (await buildCli());
	const where = posix(relative(process.cwd(), join(DIST, built.build))) || ".";
	process.stdout.write(fresh ? `cli: ${where} is up to date\n` : `cli: built ${where} in ${Date.now() - started} ms\n`);
}
