import { join } from "node:path";
import { Duration } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { type BucketObjects, type FunctionSpec, holdsDocuments, type TableAccess } from "../../functions/catalog.js";
import { bundlingFor } from "../bundling.js";
import { type BillingConfig, sellerEInvoiceEnvironment } from "../config.js";
import { acknowledge, type NagAcknowledgement, wildcardResource } from "../nag.js";
import { repoRoot } from "../paths.js";
import type { DeskUsers } from "./desk-users.js";
import type { DocumentLinks } from "./document-links.js";
import type { SenderIdentity } from "./sender-identity.js";

/**
 * The functions that email from inside a Distributed Map, paced to their share of the SES
 * sending rate, and the map setting that says how many of them run at once.
 */
const PACED_SENDERS: Readonly<Record<string, "invoiceMaxConcurrency" | "reviewMaxConcurrency">> = {
	DeliverInvoices: "invoiceMaxConcurrency",
};

/** What every billing function may be bound to; the spec decides what each one gets. */
export interface BillingFunctionEnvironment {
	readonly config: BillingConfig;
	readonly table: dynamodb.ITable;
	readonly bucket: s3.IBucket;
	readonly sender: SenderIdentity;
	readonly stripeWebhookSecret: secretsmanager.ISecret;
	readonly gocardlessWebhookSecret: secretsmanager.ISecret;
	/** The document links' distribution and signing key. */
	readonly documentLinks: DocumentLinks;
	/** ARN of the billing-cycle state machine (built from its fixed name, so no dependency cycle). */
	readonly billingCycleStateMachineArn: string;
	/** The import job's state machine, which ImportFile starts for a large charge file. */
	readonly importJobStateMachineArn: string;
	/** The billing cycle's executions (`…:execution:<name>:*`), which the desk's runs page reads. */
	readonly billingCycleExecutionsArn: string;
	/** The desk's user pool: its tokens verified, its users managed. */
	readonly deskUsers: DeskUsers;
}

export interface BillingFunctionProps {
	readonly spec: FunctionSpec;
	readonly environment: BillingFunctionEnvironment;
}

/**
 * The one way a Lambda of this product is built: Node.js 22 on ARM64, X-Ray tracing,
 * a one-month log group, ESM bundling of `functions/<dir>/handler.ts`, and the grants
 * and environment variables its catalog entry asks for, bound here and nowhere else.
 */
export class BillingFunction extends Construct {
	readonly spec: FunctionSpec;
	readonly function: NodejsFunction;
	readonly role: iam.Role;
	readonly logGroup: logs.LogGroup;

	constructor(scope: Construct, id: string, props: BillingFunctionProps) {
		super(scope, id);
		const { spec, environment: env } = props;
		this.spec = spec;

		this.logGroup = new logs.LogGroup(this, "LogGroup", { retention: logs.RetentionDays.ONE_MONTH });
		// An explicit role instead of AWSLambdaBasicExecutionRole: log writes go to this
		// function's own log group only.
		this.role = new iam.Role(this, "Role", {
			assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
			description: `Execution role of the ${spec.id} billing function`,
		});
		this.logGroup.grantWrite(this.role);

		const { config } = env;
		const environment: Record<string, string> = {
			...(spec.table === "none" ? {} : { TABLE_NAME: env.table.tableName }),
			BUCKET_NAME: env.bucket.bucketName,
			SENDER_EMAIL: env.sender.email,
			SELLER_NAME: config.sellerName,
			SELLER_ADDRESS: config.sellerAddress,
			PAYMENT_INSTRUCTIONS: config.paymentInstructions,
			INVOICE_SERIES_PREFIX: config.invoiceSeriesPrefix,
			DUNNING_STAGES: config.dunningStages,
			DEFAULT_PAYMENT_TERMS_DAYS: String(config.paymentTermsDays),
			COLLECTIONS_EMAIL: config.collectionsEmail,
			CHART_OF_ACCOUNTS: config.chartOfAccounts,
			...sellerEInvoiceEnvironment(config),
			POWERTOOLS_SERVICE_NAME: "billing",
			NODE_OPTIONS: "--enable-source-maps",
		};
		if (spec.readsStripeSecret) {
			// The webhook function verifies every provider's signature, so it reads each provider's secret.
			environment.STRIPE_WEBHOOK_SECRET_ARN = env.stripeWebhookSecret.secretArn;
			environment.GOCARDLESS_WEBHOOK_SECRET_ARN = env.gocardlessWebhookSecret.secretArn;
			environment.WEBHOOK_EVENT_RETENTION_DAYS = String(config.webhookEventRetentionDays);
		}
		if (spec.startsBillingCycle || spec.readsBillingRuns) environment.STATE_MACHINE_ARN = env.billingCycleStateMachineArn;
		if (spec.managesDeskUsers) {
			environment.DESK_USER_POOL_ID = env.deskUsers.userPool.userPoolId;
			environment.DESK_USER_POOL_CLIENT_ID = env.deskUsers.client.userPoolClientId;
			environment.DESK_USER_POOL_ISSUER = env.deskUsers.issuerUrl;
		}
		if (spec.startsImportJob) environment.IMPORT_JOB_STATE_MACHINE_ARN = env.importJobStateMachineArn;
		// Named on each send, so SES publishes the email's events (bounces, complaints) to EmailEvents.
		if (spec.sendsEmail) environment.SES_CONFIGURATION_SET = env.sender.configurationSet.configurationSetName;
		const sharesRateWith = PACED_SENDERS[spec.id];
		if (sharesRateWith) {
			// Each of the map's concurrent batches sends at most SES_MAX_SEND_RATE / SES_CONCURRENT_SENDERS a second.
			environment.SES_MAX_SEND_RATE = String(config.sesMaxSendRate);
			environment.SES_CONCURRENT_SENDERS = String(config[sharesRateWith]);
		}
		if (spec.signsDocumentLinks) {
			// The key by its ARN only: the function reads it from Secrets Manager (shared/platform/config.ts, documentLinkConfig).
			environment.DOCUMENT_LINK_BASE_URL = env.documentLinks.baseUrl;
			environment.DOCUMENT_LINK_KEY_PAIR_ID = env.documentLinks.publicKey.publicKeyId;
			environment.DOCUMENT_LINK_PRIVATE_KEY_SECRET_ARN = env.documentLinks.privateKeySecret.secretArn;
		}
		const writesDocuments = spec.bucket !== "none" && (spec.bucket.write ?? []).some(holdsDocuments);
		// The Object Lock retention its invoice and statement PDFs are put with.
		if (writesDocuments) environment.DOCUMENT_RETENTION_YEARS = String(config.documentRetentionYears);

		this.function = new NodejsFunction(this, "Function", {
			entry: join(repoRoot, "functions", spec.dir, "handler.ts"),
			handler: "handler",
			description: spec.description,
			runtime: lambda.Runtime.NODEJS_22_X,
			architecture: lambda.Architecture.ARM_64,
			tracing: lambda.Tracing.ACTIVE,
			memorySize: spec.memoryMb,
			timeout: Duration.seconds(spec.timeoutSeconds),
			role: this.role,
			logGroup: this.logGroup,
			environment,
			projectRoot: repoRoot,
			depsLockFilePath: join(repoRoot, "package-lock.json"),
			bundling: bundlingFor(spec),
		});

		const acknowledgements: NagAcknowledgement[] = [
			{
				id: "AwsSolutions-IAM5[Resource::*]",
				reason:
					"X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.",
			},
			{
				id: "AwsSolutions-L1",
				reason:
					"Node.js 22.x is the runtime the project pins and bundles for (esbuild target node22); moving to a newer runtime is a deliberate, tested upgrade, not an automatic one.",
			},
		];

		if (spec.table !== "none") this.grantTable(spec.table, env.table);

		if (spec.bucket !== "none") {
			// Exact actions on the key patterns the catalog names: no listing of keys beyond what a
			// HEAD needs, no other bucket action, and no delete, so the bucket's versions stay.
			// A put carrying an Object Lock retention also needs s3:PutObjectRetention (issued documents only).
			const { read = [], write = [], list = false } = spec.bucket;
			const grant = (action: string, objects: readonly BucketObjects[]) => {
				if (objects.length === 0) return;
				this.function.addToRolePolicy(
					new iam.PolicyStatement({ actions: [action], resources: objects.map((o) => env.bucket.arnForObjects(o.keys)) }),
				);
			};
			grant("s3:GetObject", read);
			grant(
				"s3:GetObjectVersion",
				read.filter((o) => o.readByVersion),
			);
			grant("s3:PutObject", write);
			grant("s3:PutObjectRetention", write.filter(holdsDocuments));
			if (list) this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [env.bucket.bucketArn] }));
			for (const objects of new Set([...read, ...write])) {
				const actions = [
					read.includes(objects) ? "s3:GetObject" : "",
					read.includes(objects) && objects.readByVersion ? "s3:GetObjectVersion" : "",
					write.includes(objects) ? "s3:PutObject" : "",
					write.includes(objects) && holdsDocuments(objects) ? "s3:PutObjectRetention" : "",
				].filter(Boolean);
				acknowledgements.push(
					wildcardResource(
						this,
						env.bucket.arnForObjects(objects.keys),
						`${actions.join(" and ")} on the billing bucket's ${objects.keys} only (${objects.holds}): keys are named per period, account or document as the work reaches them, so they cannot be listed up front; no delete.`,
					),
				);
			}
		}

		if (spec.sendsEmail) env.sender.grantSend(this.function);
		if (spec.signsDocumentLinks) env.documentLinks.grantSign(this.function);
		if (spec.readsStripeSecret) {
			env.stripeWebhookSecret.grantRead(this.function);
			env.gocardlessWebhookSecret.grantRead(this.function);
		}
		if (spec.startsBillingCycle) {
			this.function.addToRolePolicy(
				new iam.PolicyStatement({
					actions: ["states:StartExecution"],
					resources: [env.billingCycleStateMachineArn],
				}),
			);
		}
		if (spec.startsImportJob) {
			this.function.addToRolePolicy(
				new iam.PolicyStatement({ actions: ["states:StartExecution"], resources: [env.importJobStateMachineArn] }),
			);
		}
		if (spec.managesDeskUsers) env.deskUsers.grantUserAdministration(this.function);
		if (spec.readsBillingRuns) {
			this.function.addToRolePolicy(
				new iam.PolicyStatement({ actions: ["states:ListExecutions"], resources: [env.billingCycleStateMachineArn] }),
			);
			this.function.addToRolePolicy(
				new iam.PolicyStatement({
					actions: ["states:DescribeExecution", "states:GetExecutionHistory", "states:DescribeStateMachineForExecution"],
					resources: [env.billingCycleExecutionsArn],
				}),
			);
			acknowledgements.push(
				wildcardResource(
					this,
					env.billingCycleExecutionsArn,
					"DescribeExecution, GetExecutionHistory and DescribeStateMachineForExecution on the billing cycle's executions only (the desk's runs page): each run is named by its period when it starts, so they cannot be listed up front.",
				),
			);
		}

		acknowledge(this, ...acknowledgements);
	}

	/**
	 * Exactly the actions the catalog names, on the table; Query on the indexes it names (no
	 * index wildcard, no stream or DescribeTable). A limited DeleteItem gets its own statement.
	 */
	private grantTable(access: TableAccess, table: dynamodb.ITable): void {
		const { actions, indexes = [], deletesOnlyUnder } = access;
		if (deletesOnlyUnder && !actions.includes("DeleteItem")) {
			throw new Error(`functions/catalog.ts: ${this.spec.id} limits DeleteItem to ${deletesOnlyUnder.join(", ")} but is not granted it`);
		}
		const onItems = actions.filter((action) => !(action === "DeleteItem" && deletesOnlyUnder));
		if (onItems.length > 0) {
			this.role.addToPrincipalPolicy(
				new iam.PolicyStatement({ actions: onItems.map((action) => `dynamodb:${action}`), resources: [table.tableArn] }),
			);
		}
		if (indexes.length > 0) {
			this.role.addToPrincipalPolicy(
				new iam.PolicyStatement({
					actions: ["dynamodb:Query"],
					resources: indexes.map((index) => `${table.tableArn}/index/${index}`),
				}),
			);
		}
		if (deletesOnlyUnder) {
			this.role.addToPrincipalPolicy(
				new iam.PolicyStatement({
					actions: ["dynamodb:DeleteItem"],
					resources: [table.tableArn],
					// Every partition key the request names (one, for a DeleteItem) must start with one of these.
					conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": deletesOnlyUnder.map((prefix) => `${prefix}*`) } },
				}),
			);
		}
	}
}
