import { type ChildProcess, execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * `billing serve` and `billing` commands as real processes on a data dir, for the tests that
 * kill the stack (SIGKILL) and start it again. Every process started here is killed by
 * `killAll`, also when a test fails.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const started: ChildProcess[] = [];

export interface ServeEndpoints {
	readonly http: string;
	readonly dynamodb: string;
	readonly s3: string;
	readonly ses: string;
	readonly stepfunctions: string;
	readonly userPool: string;
}

/** `billing serve` on the data dir, once it has printed its endpoints (its first line). */
export async function startServe(dataDir: string): Promise<{ child: ChildProcess; endpoints: ServeEndpoints }> {
	const child = spawnBilling(["serve", "--data-dir", dataDir, "--port", "0"], ["ignore", "pipe", "pipe"]);
	let stdout = "";
	let stderr = "";
	child.stderr?.on("data", (d: Buffer) => {
		stderr += d.toString();
	});
	const endpoints = await new Promise<ServeEndpoints>((resolve, reject) => {
		child.stdout?.on("data", (d: Buffer) => {
			stdout += d.toString();
			const line = stdout.split("\n")[0];
			if (stdout.includes("\n") && line) resolve(JSON.parse(line) as ServeEndpoints);
		});
		child.once("exit", (code) => reject(new Error(`billing serve exited ${code} before it was up: ${stderr}`)));
	});
	return { child, endpoints };
}

/** A `billing` command started and left running (killed by the test, or by killAll). */
export function spawnBilling(
	args: readonly string[],
	stdio: "ignore" | ["ignore", "pipe", "pipe"] = "ignore",
	env?: NodeJS.ProcessEnv,
): ChildProcess {
	const child = spawn(process.execPath, ["bin/billing.mjs", ...args], { cwd: ROOT, stdio, ...(env ? { env } : {}) });
	started.push(child);
	return child;
}

/** A `billing` command run to its end: its exit code and output. */
export function runBilling(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	return new Promise((resolve) => {
		execFile(process.execPath, ["bin/billing.mjs", ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
			resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
		);
	});
}

export function hasExited(child: ChildProcess): boolean {
	return child.exitCode !== null || child.signalCode !== null;
}

/** SIGKILL, and its exit seen. */
export async function killHard(child: ChildProcess): Promise<void> {
	if (hasExited(child)) return;
	const exited = new Promise((r) => child.once("exit", r));
	child.kill("SIGKILL");
	await exited;
}

export async function killAll(): Promise<void> {
	await Promise.all(started.map(killHard));
}
