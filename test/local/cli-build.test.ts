import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `billing` runs from its esbuild bundle (bin/cli-build.mjs) and never from a stale one: a
 * changed source is rebuilt before the command runs, whatever its mtime. On a copy of the
 * checkout, so this file's edits and builds touch neither the real sources nor the bundle the
 * other tests spawn.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** What the CLI is built from, and what it reads next to its sources when it runs. */
const COPIED = ["bin", "local", "shared", "functions", "desk", "statemachines", "package.json", "package-lock.json", "tsconfig.json"];
/** A build is about 1 s on an idle machine, several on a busy one; this file makes four. */
const SLOW = 180_000;

let copy: string;

function billing(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		execFile(process.execPath, [join(copy, "bin", "billing.mjs"), ...args], { cwd: copy }, (err, stdout, stderr) =>
			resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
		);
	});
}

/** The builds in the copy's dist/cli, each a directory. */
function builds(): string[] {
	return readdirSync(join(copy, "dist", "cli"), { withFileTypes: true })
		.filter((entry) => entry.isDirectory())
		.map((entry) => entry.name);
}

const PROGRAM = () => join(copy, "local", "cli", "program.ts");

/** The program's description, which `billing --help` prints, changed to `text`. */
function describeProgramAs(text: string): void {
	const source = readFileSync(PROGRAM(), "utf8");
	const changed = source.replace(/\.description\("[^"]*"\)/, `.description(${JSON.stringify(text)})`);
	expect(changed).not.toBe(source);
	writeFileSync(PROGRAM(), changed);
}

beforeAll(() => {
	copy = mkdtempSync(join(tmpdir(), "billing-cli-build-"));
	for (const entry of COPIED) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
	symlinkSync(realpathSync(join(ROOT, "node_modules")), join(copy, "node_modules"));
});

afterAll(() => {
	if (copy) rmSync(copy, { recursive: true, force: true });
});

describe("the CLI's bundle", () => {
	it(
		"is built at the first start, then used as it is until a source changes",
		async () => {
			const first = await billing("--help");
			expect(first.code, first.stderr).toBe(0);
			expect(first.stderr).toContain("building the CLI");
			expect(first.stdout).toContain("Usage: billing");

			const second = await billing("--help");
			expect(second.code, second.stderr).toBe(0);
			expect(second.stderr).toBe("");
			expect(second.stdout).toBe(first.stdout);
		},
		SLOW,
	);

	it(
		"is rebuilt before a command runs when a source it was built from changed",
		async () => {
			describeProgramAs("Edited after the build.");
			const edited = await billing("--help");
			expect(edited.code, edited.stderr).toBe(0);
			expect(edited.stderr).toContain("building the CLI");
			expect(edited.stdout).toContain("Edited after the build.");
		},
		SLOW,
	);

	it(
		"is rebuilt when a source is replaced by one with an older mtime (a copy or an unpacked archive that kept its times)",
		async () => {
			describeProgramAs("Copied in with an old mtime.");
			const longAgo = new Date("2001-01-01T00:00:00Z");
			utimesSync(PROGRAM(), longAgo, longAgo);
			const copied = await billing("--help");
			expect(copied.code, copied.stderr).toBe(0);
			expect(copied.stdout).toContain("Copied in with an old mtime.");
		},
		SLOW,
	);

	it(
		"is built once when several commands start on a stale one at the same time, and each runs the new sources",
		async () => {
			describeProgramAs("Started together.");
			const before = builds();
			const started = await Promise.all([billing("--help"), billing("--help"), billing("--help")]);
			for (const run of started) {
				expect(run.code, run.stderr).toBe(0);
				expect(run.stdout).toContain("Started together.");
			}
			expect(builds().filter((build) => !before.includes(build))).toHaveLength(1);
		},
		SLOW,
	);

	it("loads only commander and the commands' definitions before a command runs: no SDK, no embedded stack", () => {
		const current = JSON.parse(readFileSync(join(copy, "dist", "cli", "current.json"), "utf8")) as { build: string };
		const meta = JSON.parse(readFileSync(join(copy, "dist", "cli", current.build, "meta.json"), "utf8")) as {
			outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[]; inputs: Record<string, unknown> }>;
		};
		const entry = Object.keys(meta.outputs).find((path) => path.endsWith("/billing.mjs")) as string;
		const loaded = new Set<string>();
		const visit = (output: string) => {
			if (loaded.has(output)) return;
			loaded.add(output);
			for (const imported of meta.outputs[output]?.imports ?? []) {
				if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
			}
		};
		visit(entry);
		const inputs = [...loaded].flatMap((output) => Object.keys(meta.outputs[output]?.inputs ?? {}));
		const packages = new Set(inputs.filter((p) => p.includes("node_modules/")).map((p) => p.split("node_modules/").at(-1)?.split("/")[0]));
		expect([...packages].sort()).toEqual(["commander", "zod"]);
		expect(inputs.filter((p) => p.startsWith("local/emulator/"))).toEqual(["local/emulator/ports.ts"]);
	});
});
