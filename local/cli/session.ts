import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SFNClient } from "@aws-sdk/client-sfn";
import { BillingError } from "../../shared/core/errors.js";
import type { Caller } from "../../shared/desk/roles.js";
import { type AwsClients, createClients } from "../../shared/platform/clients.js";
import { documentLinkEnvironment, localDocumentLinkKey } from "../emulator/document-links.js";
import { DEFAULT_DOCUMENT_LINK_BASE_URL, embeddedEnvironment, userPoolEnvironment } from "../emulator/environment.js";
import { LOCAL_REGION } from "../emulator/lambda-runtime.js";
import type { EmbeddedStack, StackEndpoints } from "../emulator/stack.js";
import type { DeskUserPool } from "../emulator/user-pool.js";
import { progress } from "./progress.js";
import { STACK_ENV } from "./stack-env.js";

/** What a CLI command works with: the SDK clients, names, and the state machine to drive. */
export interface Session {
	readonly dataDir: string;
	readonly clients: AwsClients;
	readonly sfn: SFNClient;
	readonly stateMachineArn: string;
	readonly tableName: string;
	readonly bucketName: string;
	/** Whether this is a deployed stack: the audit trail then names the caller's AWS identity. */
	readonly deployed: boolean;
	close(): Promise<void>;
}

interface ServeRecord {
	readonly pid: number;
	readonly endpoints: StackEndpoints;
	readonly stateMachineArn: string;
	readonly tableName: string;
	readonly bucketName: string;
	readonly userPool: DeskUserPool;
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
		userPool: stack.userPool,
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
	return isAlive(record.pid) ? record : undefined;
}

/**
 * Uses the servers of a running `billing serve` on the same data dir; otherwise starts
 * the embedded stack for the command's duration.
 */
export async function openSession(dataDirOption: string | undefined, options: { httpPort?: number | false } = {}): Promise<Session> {
	const dataDir = resolveDataDir(dataDirOption);
	mkdirSync(dataDir, { recursive: true });
	const stackName = process.env[STACK_ENV];
	if (stackName) return openDeployedSession(stackName, dataDir);
	const serve = runningServe(dataDir);
	if (serve) {
		Object.assign(process.env, embeddedEnvironment(serve.endpoints, serve), userPoolEnvironment(serve.endpoints.userPool, serve.userPool));
		// Links in what this command emails point at the serve's front, signed with the data dir's key.
		Object.assign(
			process.env,
			documentLinkEnvironment(localDocumentLinkKey(dataDir), serve.endpoints.http ?? DEFAULT_DOCUMENT_LINK_BASE_URL),
		);
		process.env.STATE_MACHINE_ARN = serve.stateMachineArn;
		process.env.AWS_ENDPOINT_URL_SFN = serve.endpoints.stepfunctions;
		const sfn = new SFNClient({ endpoint: serve.endpoints.stepfunctions, region: LOCAL_REGION });
		const clients = createClients();
		return {
			dataDir,
			clients,
			sfn,
			stateMachineArn: serve.stateMachineArn,
			tableName: serve.tableName,
			bucketName: serve.bucketName,
			deployed: false,
			async close() {
				sfn.destroy();
			},
		};
	}
	progress("starting the embedded stack (DynamoDB Local, S3, SES, Step Functions, user pool)...");
	// Loaded only here: a command beside a running serve, or on a deployed stack, does without it.
	const { startEmbeddedStack } = await import("../emulator/stack.js");
	const stack = await startEmbeddedStack({ dataDir, httpPort: options.httpPort ?? false });
	return {
		dataDir,
		clients: createClients(),
		sfn: stack.sfn,
		stateMachineArn: stack.stateMachineArn,
		tableName: stack.tableName,
		bucketName: stack.bucketName,
		deployed: false,
		close: () => stack.stop(),
	};
}

/** The stack outputs the CLI needs (infra/billing-stack.ts). */
const OUTPUTS = ["TableName", "BucketName", "StateMachineArn"] as const;
/** The outputs naming the document links' address and key, and the variables documentLinkConfig reads them from. */
const DOCUMENT_LINK_OUTPUTS = [
	["DocumentLinkBaseUrl", "DOCUMENT_LINK_BASE_URL"],
	["DocumentLinkKeyPairId", "DOCUMENT_LINK_KEY_PAIR_ID"],
	["DocumentLinkPrivateKeySecretArn", "DOCUMENT_LINK_PRIVATE_KEY_SECRET_ARN"],
] as const;
/** What the desk's user-pool code reads (shared/desk/identity.ts, users.ts); the stack's outputs name the pool. */
const USER_POOL_VARIABLES = [
	"DESK_USER_POOL_ID",
	"DESK_USER_POOL_CLIENT_ID",
	"DESK_USER_POOL_ISSUER",
	"DESK_USER_POOL_PERMANENT_PASSWORDS",
];

/**
 * A deployed stack: its table, bucket and state machine from its CloudFormation outputs,
 * every client from the default credential chain, region and endpoint settings.
 */
async function openDeployedSession(stackName: string, dataDir: string): Promise<Session> {
	const [{ CloudFormationClient, DescribeStacksCommand }, { cognitoIssuer }] = await Promise.all([
		import("@aws-sdk/client-cloudformation"),
		import("../../shared/desk/identity.js"),
	]);
	const cloudFormation = new CloudFormationClient({});
	let outputs: Record<string, string | undefined>;
	let region: string;
	try {
		region = await cloudFormation.config.region();
		const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
		outputs = Object.fromEntries((described.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
	} catch (err) {
		if ((err as { name?: string }).name === "ValidationError")
			throw new BillingError(`stack ${stackName} does not exist in this account and region`, 404, { cause: err });
		throw err;
	} finally {
		cloudFormation.destroy();
	}
	const missing = OUTPUTS.filter((key) => !outputs[key]);
	if (missing.length > 0) throw new BillingError(`stack ${stackName} has no output ${missing.join(", ")}: is it a billing stack?`, 400);
	// The documents the CLI issues (credit memos, one-off and re-issued invoices, statements) are
	// locked for as long as the stack's functions lock theirs; a stack from before has no such output.
	if (outputs.DocumentRetentionYears) process.env.DOCUMENT_RETENTION_YEARS = outputs.DocumentRetentionYears;
	// The CLI's sends (resend, one-off invoices) go through the stack's configuration set, as the functions' do.
	if (outputs.SesConfigurationSetName) process.env.SES_CONFIGURATION_SET = outputs.SesConfigurationSetName;
	// An invoice the CLI emails links its PDF through the stack's distribution, signed with the stack's key
	// (the operator's credentials need secretsmanager:GetSecretValue on that secret).
	for (const [output, variable] of DOCUMENT_LINK_OUTPUTS) {
		if (outputs[output]) process.env[variable] = outputs[output];
	}
	// The desk's users (billing users ...): Cognito emails a new one a temporary password. A stack
	// without a desk has no pool, and no pool of another stack or the embedded one is used instead.
	for (const variable of USER_POOL_VARIABLES) delete process.env[variable];
	if (outputs.DeskUserPoolId && outputs.DeskUserPoolClientId) {
		process.env.DESK_USER_POOL_ID = outputs.DeskUserPoolId;
		process.env.DESK_USER_POOL_CLIENT_ID = outputs.DeskUserPoolClientId;
		process.env.DESK_USER_POOL_ISSUER = cognitoIssuer(region, outputs.DeskUserPoolId);
	}
	progress(`working on stack ${stackName}`);
	const sfn = new SFNClient({});
	return {
		dataDir,
		clients: createClients(),
		sfn,
		stateMachineArn: outputs.StateMachineArn as string,
		tableName: outputs.TableName as string,
		bucketName: outputs.BucketName as string,
		deployed: true,
		async close() {
			sfn.destroy();
		},
	};
}

/**
 * Who the CLI acts as at the desk: the operator at this machine's keyboard holds every role
 * (the data dir is theirs). Embedded, the audit trail names `--actor`; on a deployed stack,
 * the caller's AWS identity (STS GetCallerIdentity), which IAM already vouches for, never
 * free text.
 */
export async function cliCaller(session: Session, actorOption: string): Promise<Caller> {
	if (!session.deployed) return { role: "admin", actor: actorOption };
	const { GetCallerIdentityCommand, STSClient } = await import("@aws-sdk/client-sts");
	const sts = new STSClient({});
	try {
		const identity = await sts.send(new GetCallerIdentityCommand({}));
		return { role: "admin", actor: `aws:${identity.Arn}` };
	} finally {
		sts.destroy();
	}
}
