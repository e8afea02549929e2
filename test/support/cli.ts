import { Readable } from "node:stream";
import { vi } from "vitest";
import { runCli } from "../../local/cli/program.js";
import { writeServeRecord } from "../../local/cli/session.js";
import type { EmbeddedStack } from "../../local/emulator/stack.js";
import { runBilling } from "./serve.js";

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
	return (...args) => runBilling(...args, "--data-dir", stack.dataDir);
}

/**
 * The same `billing` program run in this process (argument parsing, validation, session,
 * output and exit code as `bin/billing.mjs` runs them), without paying a process start per
 * command: for files that run dozens of commands. Output is captured, not printed; `stdin` is
 * what the command reads on its standard input (`users token --password-stdin`).
 */
export async function runCliCaptured(args: readonly string[], options: { stdin?: string } = {}): Promise<CliResult> {
	const out: string[] = [];
	const err: string[] = [];
	const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => out.push(String(chunk)) > 0);
	const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => err.push(String(chunk)) > 0);
	const realStdin = Object.getOwnPropertyDescriptor(process, "stdin");
	if (options.stdin !== undefined) {
		Object.defineProperty(process, "stdin", { value: Readable.from([Buffer.from(options.stdin)]), configurable: true });
	}
	try {
		const code = await runCli(["node", "billing", ...args]);
		return { code, stdout: out.join(""), stderr: err.join("") };
	} finally {
		stdout.mockRestore();
		stderr.mockRestore();
		if (options.stdin !== undefined && realStdin) Object.defineProperty(process, "stdin", realStdin);
		process.exitCode = undefined;
	}
}

/** `cliOn`, in this process: the test stack is recorded as a running `billing serve` on its data dir. */
export function cliInProcess(stack: EmbeddedStack & { dataDir: string }): (...args: string[]) => Promise<CliResult> {
	writeServeRecord(stack.dataDir, stack);
	return (...args) => runCliCaptured([...args, "--data-dir", stack.dataDir]);
}
