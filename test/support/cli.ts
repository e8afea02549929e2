import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { writeServeRecord } from "../../local/cli/session.js";
import type { EmbeddedStack } from "../../local/emulator/stack.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface CliResult {
	readonly code: number;
	readonly stdout: string;
	readonly stderr: string;
}

/**
 * The `billing` CLI as a user runs it, in its own process, against a test stack: the
 * stack is recorded as a running `billing serve` on the data dir, so every command uses
 * its servers instead of starting its own.
 */
export function cliOn(stack: EmbeddedStack & { dataDir: string }): (...args: string[]) => Promise<CliResult> {
	writeServeRecord(stack.dataDir, stack);
	return (...args) =>
		new Promise((resolve) => {
			execFile(
				process.execPath,
				["bin/billing.mjs", ...args, "--data-dir", stack.dataDir],
				{ cwd: ROOT, env: process.env, maxBuffer: 16 * 1024 * 1024 },
				(err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
			);
		});
}
