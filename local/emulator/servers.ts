import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve as resolvePath } from "node:path";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.js";
import { type DynamoDbLocal, startDynamoDbLocal } from "./dynamodb-local.js";
import { freePort, waitFor } from "./ports.js";
import { enforceConditionalPuts, type S3rverApp } from "./s3-conditional-puts.js";
import { startSesMailLog } from "./ses-mail-log.js";
import { type LocalUserPool, startLocalUserPool } from "./user-pool.js";

export interface ServerEndpoints {
	readonly dynamodb: string;
	readonly s3: string;
	readonly ses: string;
	/** The local Cognito user pool API (cognito-local behind its front, user-pool.ts). */
	readonly userPool: string;
}

export interface LocalServers {
	readonly endpoints: ServerEndpoints;
	stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

interface S3rverInstance extends S3rverApp {
	run(): Promise<{ port: number }>;
	close(): Promise<void>;
}

/**
 * The API-compatible servers the embedded mode runs on: DynamoDB Local (java), s3rver,
 * aws-ses-v2-local (in-process) and cognito-local (node). With a dataDir, tables, objects and
 * user pools persist there and each message SES accepts is kept there as an .eml file as it is
 * accepted; without one, all is in memory or in temporary files.
 * One process at a time runs servers on a data dir (data-dir-lock.ts): a second start is
 * refused while the first lives, and DynamoDB Local never outlives the process that started it.
 */
export async function startLocalServers(options: { dataDir?: string } = {}): Promise<LocalServers> {
	const dataDir = options.dataDir === undefined ? undefined : resolvePath(options.dataDir);
	// Before anything is started or written: a refused start changes nothing.
	const lock = dataDir ? await lockDataDir(dataDir) : undefined;
	const children: { dynamo?: DynamoDbLocal; userPool?: LocalUserPool } = {};
	try {
		return await startServers(dataDir, lock, children);
	} catch (err) {
		await Promise.allSettled([children.dynamo?.stop(), children.userPool?.stop()]);
		lock?.release();
		throw err;
	}
}

async function startServers(
	dataDir: string | undefined,
	lock: DataDirLock | undefined,
	/** The child processes as they start, for the caller to stop if a later server fails to. */
	children: { dynamo?: DynamoDbLocal; userPool?: LocalUserPool },
): Promise<LocalServers> {
	const s3Dir = dataDir ? join(dataDir, "s3") : mkdtempSync(join(tmpdir(), "billing-s3-"));
	mkdirSync(s3Dir, { recursive: true });

	const dbPath = dataDir ? join(dataDir, "dynamodb") : undefined;
	// Both children settle before a failure is thrown, so the caller can stop the one that did start.
	const [dynamoStart, userPoolStart] = await Promise.allSettled([
		startDynamoDbLocal({ dbPath, onSpawn: dbPath && lock ? (pid) => lock.recordDynamoDbLocal(pid, dbPath) : undefined }),
		startLocalUserPool({ dataDir }),
	]);
	if (dynamoStart.status === "fulfilled") children.dynamo = dynamoStart.value;
	if (userPoolStart.status === "fulfilled") children.userPool = userPoolStart.value;
	if (dynamoStart.status === "rejected") throw dynamoStart.reason;
	if (userPoolStart.status === "rejected") throw userPoolStart.reason;
	const [dynamo, userPool] = [dynamoStart.value, userPoolStart.value];
	const [s3Port, sesPort, sesServerPort] = await Promise.all([freePort(), freePort(), freePort()]);

	const S3rver = require("s3rver") as new (options: Record<string, unknown>) => S3rverInstance;
	const s3rver = new S3rver({
		address: "127.0.0.1",
		port: s3Port,
		silent: true,
		directory: s3Dir,
		resetOnClose: !dataDir,
	});
	// A PUT with If-None-Match: * on a key that exists gets 412, as on S3 (s3rver itself overwrites it).
	enforceConditionalPuts(s3rver);
	await s3rver.run();

	const sesModule = require("aws-ses-v2-local") as { default?: (c: { host: string; port: number }) => Promise<Server> };
	const startSes = sesModule.default ?? (sesModule as unknown as (c: { host: string; port: number }) => Promise<Server>);
	const sesServer = await startSes({ host: "127.0.0.1", port: sesServerPort });
	// The mail log on disk as each message is accepted: a crash loses none of it (ses-mail-log.ts).
	const sesFront = await startSesMailLog({
		upstream: `http://127.0.0.1:${sesServerPort}`,
		port: sesPort,
		mailDir: dataDir ? join(dataDir, "mail") : undefined,
	});
	const sesEndpoint = `http://127.0.0.1:${sesPort}`;
	await waitFor("SES server", async () => (await fetch(`${sesEndpoint}/health-check`)).ok);

	return {
		endpoints: { dynamodb: dynamo.endpoint, s3: `http://127.0.0.1:${s3Port}`, ses: sesEndpoint, userPool: userPool.endpoint },
		async stop() {
			// Every server is stopped even when another one fails to stop cleanly.
			const results = await Promise.allSettled([
				...[sesFront, sesServer].map(
					(server) =>
						new Promise<void>((resolve) => {
							server.close(() => resolve());
							server.closeAllConnections?.();
						}),
				),
				s3rver.close().finally(() => {
					if (!dataDir) rmSync(s3Dir, { recursive: true, force: true });
				}),
				dynamo.stop(),
				userPool.stop(),
			]);
			lock?.release();
			const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
			if (failure) throw failure.reason;
		},
	};
}

interface StoredEmail {
	messageId: string;
	from: string;
	destination: { to: string[] };
	subject: string;
	attachments: { filename?: string; size: number }[];
	at: number;
}

export async function listSentMail(sesEndpoint: string, since = 0): Promise<StoredEmail[]> {
	const res = await fetch(`${sesEndpoint}/store?since=${since}`);
	const body = (await res.json()) as { emails: StoredEmail[] };
	return body.emails;
}
