import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { billingCycleFunctionIds, importJobFunctionIds } from "../../functions/catalog.js";
import { DEFAULT_DOCUMENT_RETENTION_YEARS } from "../../shared/platform/config.js";
import { tableKeySchema } from "../../shared/store/keys.js";
import { listRunFailures } from "../../shared/store/run-failures.js";
import { executionsConsole } from "./console.js";
import { deskFront } from "./desk-front.js";
import { documentFront, documentLinkEnvironment, localDocumentLinkKey } from "./document-links.js";
import { startHttpFront } from "./http-front.js";
import { invokeLocalFunction, LOCAL_REGION, localFunctionArn } from "./lambda-runtime.js";
import { feedSendEvents } from "./send-events.js";
import { type ServerEndpoints, startLocalServers } from "./servers.js";
import { startLocalStepFunctions } from "./stepfunctions/server.js";
import { type DeskUserPool, ensureDeskUserPool, userPoolEnvironment } from "./user-pool.js";

/** Documented local default; a deployed stack reads the real secret from Secrets Manager. */
export const LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_local_billing_demo_secret";
export const LOCAL_GOCARDLESS_WEBHOOK_SECRET = "gocardless_local_billing_demo_secret";
export const DEFAULT_HTTP_PORT = 4600;
/** The configuration set the embedded stack's sends name: its table's, so each stack's events are its own. */
export function configurationSetOf(tableName: string): string {
	return `${tableName}-events`;
}
export const BILLING_CYCLE = "billing-cycle";
export const IMPORT_JOB = "import-job";

const ASL_PATH = fileURLToPath(new URL("../../statemachines/billing-cycle.asl.json", import.meta.url));
const IMPORT_JOB_ASL_PATH = fileURLToPath(new URL("../../statemachines/import-job.asl.json", import.meta.url));

export interface StackEndpoints extends ServerEndpoints {
	readonly stepfunctions: string;
	readonly http?: string;
}

export interface EmbeddedStack {
	readonly endpoints: StackEndpoints;
	readonly stateMachineArn: string;
	readonly tableName: string;
	readonly bucketName: string;
	/** The desk's user pool of this stack (its table's name), on the local user pool server. */
	readonly userPool: DeskUserPool;
	readonly sfn: SFNClient;
	stop(): Promise<void>;
}

export interface EmbeddedStackOptions {
	readonly dataDir: string;
	/** Servers already running (tests start them once per run); otherwise they are started here. */
	readonly servers?: ServerEndpoints;
	/** Port for the webhook front and console; false for none. */
	readonly httpPort?: number | false;
	readonly tableName?: string;
	readonly bucketName?: string;
	/** The clock the front checks document links' expiry against (ms since the epoch); the real time by default. */
	readonly documentLinkClock?: () => number;
}

/**
 * Where embedded document links point when this process runs no HTTP front: the address
 * `billing serve` listens on by default, which serves them while it runs.
 */
export const DEFAULT_DOCUMENT_LINK_BASE_URL = `http://127.0.0.1:${DEFAULT_HTTP_PORT}`;

/**
 * The handlers reach the local servers only through standard SDK settings, exactly as they
 * reach AWS when deployed; this is the one place that knows the mode.
 */
export function embeddedEnvironment(endpoints: ServerEndpoints, names: { tableName: string; bucketName: string }): Record<string, string> {
	return {
		AWS_REGION: LOCAL_REGION,
		AWS_DEFAULT_REGION: LOCAL_REGION,
		AWS_ACCESS_KEY_ID: "S3RVER",
		AWS_SECRET_ACCESS_KEY: "S3RVER",
		AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
		AWS_ENDPOINT_URL_S3: endpoints.s3,
		AWS_ENDPOINT_URL_SES: endpoints.ses,
		AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoints.userPool,
		AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
		AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
		TABLE_NAME: names.tableName,
		BUCKET_NAME: names.bucketName,
		SENDER_EMAIL: process.env.SENDER_EMAIL ?? "billing@example.com",
		...demoSeller(),
		// Sent with each email as deployed; the stack feeds the sends through it to EmailEvents (send-events.ts).
		SES_CONFIGURATION_SET: configurationSetOf(names.tableName),
		// The local SES log is written before a send is answered, and fed within a second: no need to wait long.
		EMAIL_SEND_EVENT_WAIT_SECONDS: process.env.EMAIL_SEND_EVENT_WAIT_SECONDS ?? "5",
		STRIPE_WEBHOOK_SECRET: process.env.STRIPE_WEBHOOK_SECRET ?? LOCAL_STRIPE_WEBHOOK_SECRET,
		GOCARDLESS_WEBHOOK_SECRET: process.env.GOCARDLESS_WEBHOOK_SECRET ?? LOCAL_GOCARDLESS_WEBHOOK_SECRET,
		// Sent with each document as deployed, so the puts are the same; s3rver has no Object Lock and ignores it (docs/embedded-mode.md).
		DOCUMENT_RETENTION_YEARS: process.env.DOCUMENT_RETENTION_YEARS ?? String(DEFAULT_DOCUMENT_RETENTION_YEARS),
		POWERTOOLS_SERVICE_NAME: "billing",
		POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "WARN",
		// The run's metrics are EMF lines on stdout for CloudWatch; here stdout is the CLI's own output.
		POWERTOOLS_METRICS_DISABLED: "true",
	};
}

/**
 * The embedded stack's seller: a Belgian company, so the demo's e-invoices (DESIGN.md
 * section 13) name a plausible seller, and its PDFs the same one. Each value can be set in
 * the environment instead.
 */
function demoSeller(): Record<string, string> {
	const seller: Record<string, string> = {
		SELLER_NAME: "Example Billing BV",
		SELLER_ADDRESS: "Avenue Louise 54|1050 Brussels|Belgium",
		PAYMENT_INSTRUCTIONS: "Pay by bank transfer to IBAN BE68 5390 0754 7034 (BIC GKCCBEBB), quoting the invoice number.",
		SELLER_VAT_ID: "BE0123456749",
		SELLER_REGISTRATION_ID: "0123456749",
		SELLER_STREET: "Avenue Louise 54",
		SELLER_CITY: "Brussels",
		SELLER_POSTAL_CODE: "1050",
		SELLER_COUNTRY_CODE: "BE",
		SELLER_IBAN: "BE68539007547034",
		SELLER_BIC: "GKCCBEBB",
		SELLER_PHONE: "+32 2 555 01 00",
		SELLER_PEPPOL_ID: "0208:0123456749",
	};
	return Object.fromEntries(Object.entries(seller).map(([name, value]) => [name, process.env[name] ?? value]));
}

export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
	const ddb = new DynamoDBClient({ endpoint, region: LOCAL_REGION });
	const attributes = [
		tableKeySchema.partitionKey,
		tableKeySchema.sortKey,
		...tableKeySchema.globalSecondaryIndexes.flatMap((i) => [i.partitionKey, i.sortKey]),
	];
	try {
		await ddb.send(
			new CreateTableCommand({
				TableName: tableName,
				BillingMode: "PAY_PER_REQUEST",
				AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: "S" })),
				KeySchema: [
					{ AttributeName: tableKeySchema.partitionKey, KeyType: "HASH" },
					{ AttributeName: tableKeySchema.sortKey, KeyType: "RANGE" },
				],
				GlobalSecondaryIndexes: tableKeySchema.globalSecondaryIndexes.map((i) => ({
					IndexName: i.indexName,
					KeySchema: [
						{ AttributeName: i.partitionKey, KeyType: "HASH" },
						{ AttributeName: i.sortKey, KeyType: "RANGE" },
					],
					Projection: { ProjectionType: "ALL" },
				})),
			}),
		);
	} catch (err) {
		if (!(err instanceof ResourceInUseException)) throw err;
	}
	await ddb.send(new DescribeTableCommand({ TableName: tableName }));
	ddb.destroy();
}

export async function ensureBucket(s3: S3Client, bucketName: string): Promise<void> {
	try {
		await s3.send(new CreateBucketCommand({ Bucket: bucketName }));
	} catch (err) {
		const name = (err as { name?: string }).name;
		if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw err;
	}
}

export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
	const tableName = options.tableName ?? "billing";
	const bucketName = options.bucketName ?? "billing-documents";
	const ownServers = options.servers ? undefined : await startLocalServers({ dataDir: options.dataDir });
	const servers = options.servers ?? (ownServers as NonNullable<typeof ownServers>).endpoints;
	Object.assign(process.env, embeddedEnvironment(servers, { tableName, bucketName }));

	const s3 = new S3Client({ forcePathStyle: true });
	const [, , userPool] = await Promise.all([
		ensureTable(servers.dynamodb, tableName),
		ensureBucket(s3, bucketName),
		ensureDeskUserPool(servers.userPool, tableName),
	]);
	Object.assign(process.env, userPoolEnvironment(servers.userPool, userPool));

	const substitutions: Record<string, string> = { BillingBucketName: bucketName };
	for (const id of billingCycleFunctionIds) substitutions[`${id}FunctionArn`] = localFunctionArn(id);
	const importJobSubstitutions = Object.fromEntries(importJobFunctionIds.map((id) => [`${id}FunctionArn`, localFunctionArn(id)]));
	const stepFunctions = await startLocalStepFunctions({
		dataDir: options.dataDir,
		stateMachines: [
			{ name: BILLING_CYCLE, definition: JSON.parse(readFileSync(ASL_PATH, "utf8")), substitutions },
			{ name: IMPORT_JOB, definition: JSON.parse(readFileSync(IMPORT_JOB_ASL_PATH, "utf8")), substitutions: importJobSubstitutions },
		],
		invoke: invokeLocalFunction,
		readJson: async (bucket, key) => {
			const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
			return JSON.parse(await (out.Body?.transformToString() ?? "null")) as unknown;
		},
		writeJson: async (bucket, key, body) => {
			await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(body), ContentType: "application/json" }));
		},
	});
	const stateMachineArn = stepFunctions.stateMachineArns[BILLING_CYCLE] as string;
	process.env.STATE_MACHINE_ARN = stateMachineArn;
	// ImportFile starts the import job for a charge file over IMPORT_ONE_SHOT_BYTES, as deployed.
	process.env.IMPORT_JOB_STATE_MACHINE_ARN = stepFunctions.stateMachineArns[IMPORT_JOB] as string;
	process.env.AWS_ENDPOINT_URL_SFN = stepFunctions.url;

	const sfn = new SFNClient({ endpoint: stepFunctions.url, region: LOCAL_REGION });
	// The console lists every failure recorded for a run's period, not only the 50 its output names.
	const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: servers.dynamodb, region: LOCAL_REGION }));
	// The document links' signing key: generated once per data dir, its private half handed to the handlers as configuration.
	const linkKey = localDocumentLinkKey(options.dataDir);
	const http =
		options.httpPort === false
			? undefined
			: await startHttpFront({
					port: options.httpPort ?? DEFAULT_HTTP_PORT,
					console: executionsConsole(sfn, stateMachineArn, { runFailures: (period) => listRunFailures({ ddb, tableName }, period) }),
					documents: documentFront({ s3, bucketName, key: linkKey, now: options.documentLinkClock }),
					desk: deskFront({
						apiBase: "/desk/api",
						userPool: { endpoint: servers.userPool, region: LOCAL_REGION, clientId: userPool.clientId },
					}),
				});
	Object.assign(process.env, documentLinkEnvironment(linkKey, http?.url ?? DEFAULT_DOCUMENT_LINK_BASE_URL));
	const sendEvents = await feedSendEvents({
		ses: servers.ses,
		configurationSet: configurationSetOf(tableName),
		handle: (event) => invokeLocalFunction(localFunctionArn("EmailEvents"), event),
	});
	return {
		endpoints: { ...servers, stepfunctions: stepFunctions.url, ...(http ? { http: http.url } : {}) },
		stateMachineArn,
		tableName,
		bucketName,
		userPool,
		sfn,
		async stop() {
			await sendEvents.stop();
			await http?.close();
			await stepFunctions.close();
			sfn.destroy();
			s3.destroy();
			ddb.destroy();
			await ownServers?.stop();
		},
	};
}
