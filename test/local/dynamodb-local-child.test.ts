import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalServers } from "../../local/emulator/servers.js";
import { killAll, runBilling, startServe } from "../support/serve.js";

/**
 * DynamoDB Local is a java child of the process that starts the embedded servers. A crashed
 * `billing serve` (SIGKILL, OOM, a closed terminal) must not leave it running on the data
 * dir, and a second stack must never start a second DynamoDB Local on the same files.
 * Every `billing serve` here is a real process; processes are found by pid in /proc.
 */

/** A `billing serve` start is mostly java's: about 5 s on an idle machine, far more on a busy one. */
const SLOW = 120_000;
const dataDirs: string[] = [];

function freshDataDir(): string {
	const dir = mkdtempSync(join(tmpdir(), "billing-child-"));
	dataDirs.push(dir);
	return dir;
}

function commandLine(pid: number): string[] {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
	} catch {
		return [];
	}
}

/** The live java processes running DynamoDB Local on this data dir's files (a reaped or zombie process has no command line). */
function javaOn(dataDir: string): number[] {
	return readdirSync("/proc")
		.filter((d) => /^\d+$/.test(d))
		.map(Number)
		.filter((pid) => {
			const argv = commandLine(pid);
			return (
				/(^|\/)java$/.test(argv[0] ?? "") && argv.some((a) => a.endsWith("DynamoDBLocal.jar")) && argv.includes(join(dataDir, "dynamodb"))
			);
		});
}

function parentOf(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
	// Fields after the command name, which sits in parentheses and may hold spaces: state, ppid, ...
	return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

function kill(pid: number): void {
	try {
		process.kill(pid, "SIGKILL");
	} catch {
		// Gone already.
	}
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

async function answers(endpoint: string): Promise<boolean> {
	try {
		await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
		return true;
	} catch {
		return false;
	}
}

afterAll(async () => {
	// Whatever happened above, nothing started here outlives the file.
	await killAll();
	for (const dir of dataDirs) for (const pid of javaOn(dir)) kill(pid);
	await eventually("java gone", () => dataDirs.every((dir) => javaOn(dir).length === 0)).catch(() => undefined);
	for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

describe("DynamoDB Local does not outlive the process that started it", { timeout: SLOW }, () => {
	it("SIGKILL of billing serve takes its java child down within seconds", async () => {
		const dataDir = freshDataDir();
		const { child, endpoints } = await startServe(dataDir);
		const java = javaOn(dataDir);
		expect(java).toHaveLength(1);

		child.kill("SIGKILL");
		// The watchdog's SIGTERM, or its SIGKILL 5 s later.
		await eventually(
			"DynamoDB Local stopped after its parent was killed",
			() => javaOn(dataDir).length === 0 && !isAlive(java[0] as number),
			10_000,
		);
		expect(await answers(endpoints.dynamodb)).toBe(false);
	});

	it("a second stack on a data dir in use is refused, naming the pid and how to stop it, and changes nothing", async () => {
		const dataDir = freshDataDir();
		const { child, endpoints } = await startServe(dataDir);
		const pid = child.pid as number;
		const java = javaOn(dataDir);
		const serveRecord = readFileSync(join(dataDir, "serve.json"), "utf8");
		const files = readdirSync(dataDir).sort();

		const second = await runBilling("serve", "--data-dir", dataDir, "--port", "0");
		// Refused (exit 2), not crashed.
		expect(second.code).toBe(2);
		expect(second.stderr).toContain(`pid ${pid}`);
		expect(second.stderr).toContain(`kill ${pid}`);

		// Every command that would start its own servers on the data dir (demo, import, run
		// without serve, the benches) goes through startLocalServers.
		const own = await startLocalServers({ dataDir }).catch((err: Error) => err);
		if (!(own instanceof Error)) await own.stop();
		expect(own).toBeInstanceOf(Error);
		expect((own as Error).message).toContain(`pid ${pid}`);
		expect((own as Error).message).toContain(`kill ${pid}`);

		expect(javaOn(dataDir)).toEqual(java);
		expect(readFileSync(join(dataDir, "serve.json"), "utf8")).toBe(serveRecord);
		expect(readdirSync(dataDir).sort()).toEqual(files);
		expect(await answers(endpoints.dynamodb)).toBe(true);
		expect(await answers(endpoints.http)).toBe(true);

		child.kill("SIGTERM");
		expect(await new Promise((resolve) => child.once("exit", resolve))).toBe(0);
		expect(javaOn(dataDir)).toEqual([]);
		expect(existsSync(join(dataDir, "serve.json"))).toBe(false);
	});

	it("the next start stops a DynamoDB Local left on the data dir (its watchdog killed too) and starts on the same data", async () => {
		const dataDir = freshDataDir();
		const first = await startServe(dataDir);
		const [java] = javaOn(dataDir);
		// The process that would stop java when its parent dies is killed with it: java is orphaned.
		const guard = parentOf(java as number);
		kill(guard);
		if (guard !== first.child.pid) first.child.kill("SIGKILL");
		await eventually("billing serve killed", () => first.child.exitCode !== null || first.child.signalCode !== null);
		expect(javaOn(dataDir)).toEqual([java]);

		const next = await startServe(dataDir);
		await eventually("the DynamoDB Local left behind stopped", () => !isAlive(java as number));
		expect(javaOn(dataDir)).toHaveLength(1);
		const tables = await fetch(next.endpoints.dynamodb, {
			method: "POST",
			headers: {
				"content-type": "application/x-amz-json-1.0",
				"x-amz-target": "DynamoDB_20120810.ListTables",
				authorization: "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
			},
			body: "{}",
		});
		expect(((await tables.json()) as { TableNames: string[] }).TableNames).toContain("billing");

		next.child.kill("SIGTERM");
		expect(await new Promise((resolve) => next.child.once("exit", resolve))).toBe(0);
		expect(javaOn(dataDir)).toEqual([]);
	});
});
