import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SFNClient } from "@aws-sdk/client-sfn";
import { type AwsClients, createClients } from "../../shared/platform/clients.js";
import { LOCAL_REGION } from "../emulator/lambda-runtime.js";
import { type EmbeddedStack, embeddedEnvironment, type StackEndpoints, startEmbeddedStack } from "../emulator/stack.js";

/** What a CLI command works with: the SDK clients, names, and the state machine to drive. */
export interface Session {
	readonly dataDir: string;
	readonly endpoints: StackEndpoints;
	readonly clients: AwsClients;
	readonly sfn: SFNClient;
	readonly stateMachineArn: string;
	readonly tableName: string;
	readonly bucketName: string;
	close(): Promise<void>;
}

interface ServeRecord {
	readonly pid: number;
	readonly endpoints: StackEndpoints;
	readonly stateMachineArn: string;
	readonly tableName: string;
	readonly bucketName: string;
}

export function resolveDataDir(dir: string | undefined): string {
	return resolve(dir ?? ".billing");
}

function serveRecordPath(dataDir: string): string {
	return join(dataDir, "serve.json");
}

export function writeServeRecord(dataDir: string, stack: EmbeddedStack): void {
	const record: ServeRecord = {
		pid: process.pid,
		endpoints: stack.endpoints,
		stateMachineArn: stack.stateMachineArn,
		tableName: stack.tableName,
		bucketName: stack.bucketName,
	};
	writeFileSync(serveRecordPath(dataDir), `${JSON.stringify(record, null, 2)}\n`);
}

export function removeServeRecord(dataDir: string): void {
	rmSync(serveRecordPath(dataDir), { force: true });
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** A `billing serve` running on this data dir, if there is one. */
export function runningServe(dataDir: string): ServeRecord | undefined {
	const path = serveRecordPath(dataDir);
	if (!existsSync(path)) return undefined;
	const record = JSON.parse(readFileSync(path, "utf8")) as ServeRecord;
	return isAlive(record.pid) && record.pid !== process.pid ? record : undefined;
}

/**
 * Uses the servers of a running `billing serve` on the same data dir; otherwise starts
 * the embedded stack for the command's duration.
 */
export async function openSession(dataDirOption: string | undefined, options: { httpPort?: number | false } = {}): Promise<Session> {
	const dataDir = resolveDataDir(dataDirOption);
	mkdirSync(dataDir, { recursive: true });
	const serve = runningServe(dataDir);
	if (serve) {
		Object.assign(process.env, embeddedEnvironment(serve.endpoints, serve));
		process.env.STATE_MACHINE_ARN = serve.stateMachineArn;
		process.env.AWS_ENDPOINT_URL_SFN = serve.endpoints.stepfunctions;
		const sfn = new SFNClient({ endpoint: serve.endpoints.stepfunctions, region: LOCAL_REGION });
		const clients = createClients();
		return {
			dataDir,
			endpoints: serve.endpoints,
			clients,
			sfn,
			stateMachineArn: serve.stateMachineArn,
			tableName: serve.tableName,
			bucketName: serve.bucketName,
			async close() {
				sfn.destroy();
			},
		};
	}
	progress("starting the embedded stack (DynamoDB Local, S3, SES, Step Functions)...");
	const stack = await startEmbeddedStack({ dataDir, httpPort: options.httpPort ?? false });
	return {
		dataDir,
		endpoints: stack.endpoints,
		clients: createClients(),
		sfn: stack.sfn,
		stateMachineArn: stack.stateMachineArn,
		tableName: stack.tableName,
		bucketName: stack.bucketName,
		close: () => stack.stop(),
	};
}

/** Progress goes to stderr so stdout stays clean for --json. */
export function progress(message: string): void {
	process.stderr.write(`${message}\n`);
}
