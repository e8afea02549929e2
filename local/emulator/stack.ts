import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
	CreateTableCommand,
	DescribeTableCommand,
	DynamoDBClient,
	ResourceInUseException,
	UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { billingCycleFunctionIds, importJobFunctionIds } from "../../functions/catalog.js";
import { tableKeySchema } from "../../shared/store/keys.js";
import { listRunFailures } from "../../shared/store/run-failures.js";
import { executionsConsole } from "./console.js";
import { deskFront } from "./desk-front.js";
import { documentFront, documentLinkEnvironment, localDocumentLinkKey } from "./document-links.js";
import { configurationSetOf, DEFAULT_DOCUMENT_LINK_BASE_URL, embeddedEnvironment, userPoolEnvironment } from "./environment.js";
import { type EventPublishing, noPublishing, startEventPublishing } from "./event-publishing.js";
import { startHttpFront } from "./http-front.js";
import { invokeLocalFunction, LOCAL_REGION, localFunctionArn } from "./lambda-runtime.js";
import { DEFAULT_HTTP_PORT } from "./ports.js";
import { feedSendEvents } from "./send-events.js";
import { type ServerEndpoints, startLocalServers } from "./servers.js";
import { startLocalStepFunctions } from "./stepfunctions/server.js";
import { type DeskUserPool, ensureDeskUserPool } from "./user-pool.js";

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
	/** The publisher of billing events and their webhook deliveries. */
	readonly events: EventPublishing;
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
	/** The clock of webhook deliveries' schedule (retries, the 3-day window); the real time by default. */
	readonly eventClock?: () => Date;
	/** False: no publisher of events (a test that does not test them, or one that runs its own). */
	readonly publishEvents?: boolean;
	/** Whether the table has its stream; by default, when events are published. */
	readonly tableStream?: boolean;
	/** The clock the front checks document links' expiry against (ms since the epoch); the real time by default. */
	readonly documentLinkClock?: () => number;
}

/**
 * The Distributed Maps' batch sizes and concurrency embedded (the definition's
 * `${...BatchSize}` and `${...MaxConcurrency}`): what runs fastest on a 2-core machine,
 * not the deployed defaults (infra/config.ts), which are sized for AWS's quotas.
 */
export const EMBEDDED_BATCHING: Readonly<Record<string, string>> = {
	InvoiceAccountsBatchSize: "25",
	InvoiceAccountsMaxConcurrency: "8",
	ReviewAccountsBatchSize: "50",
	ReviewAccountsMaxConcurrency: "8",
};

/** The table's stream: each new item's image, which the publisher reads events from (as deployed, infra/). */
const TABLE_STREAM = { StreamEnabled: true, StreamViewType: "NEW_IMAGE" } as const;

/**
 * Creates the table unless it exists. `stream`: with the stream the events' publisher reads
 * (every stack that publishes); a stack that leaves publishing out (most tests) goes without
 * it, since DynamoDB Local keeps a stream record of every write.
 */
export async function ensureTable(endpoint: string, tableName: string, options: { readonly stream: boolean }): Promise<void> {
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
				...(options.stream ? { StreamSpecification: TABLE_STREAM } : {}),
			}),
		);
	} catch (err) {
		if (!(err instanceof ResourceInUseException)) throw err;
	}
	const described = await ddb.send(new DescribeTableCommand({ TableName: tableName }));
	// A data dir from before events were published: its table gets the stream, and its events from then on are published.
	if (options.stream && !described.Table?.StreamSpecification?.StreamEnabled) {
		await ddb.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: TABLE_STREAM }));
	}
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
		ensureTable(servers.dynamodb, tableName, { stream: options.tableStream ?? options.publishEvents !== false }),
		ensureBucket(s3, bucketName),
		ensureDeskUserPool(servers.userPool, tableName),
	]);
	Object.assign(process.env, userPoolEnvironment(servers.userPool, userPool));

	const substitutions: Record<string, string> = { BillingBucketName: bucketName, ...EMBEDDED_BATCHING };
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
	const events =
		options.publishEvents === false
			? noPublishing
			: await startEventPublishing({
					endpoint: servers.dynamodb,
					tableName,
					publish: (event) => invokeLocalFunction(localFunctionArn("PublishBillingEvents"), event),
					...(options.eventClock ? { now: options.eventClock } : {}),
					onError: (err) => process.stderr.write(`billing events: ${err.message}; reading again from the last checkpoint\n`),
				});
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
		events,
		async stop() {
			await events.stop();
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
