import { join } from "node:path";
import { Duration } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { type FunctionSpec, importObjects } from "../../functions/catalog.js";
import type { BillingConfig } from "../config.js";
import { acknowledge, type NagAcknowledgement, wildcardAction, wildcardResource } from "../nag.js";
import { repoRoot } from "../paths.js";
import type { SenderIdentity } from "./sender-identity.js";

/** What every billing function may be bound to; the spec decides what each one gets. */
export interface BillingFunctionEnvironment {
	readonly config: BillingConfig;
	readonly table: dynamodb.ITable;
	readonly bucket: s3.IBucket;
	readonly sender: SenderIdentity;
	readonly stripeWebhookSecret: secretsmanager.ISecret;
	readonly gocardlessWebhookSecret: secretsmanager.ISecret;
	/** ARN of the billing-cycle state machine (built from its fixed name, so no dependency cycle). */
	readonly billingCycleStateMachineArn: string;
}

export interface BillingFunctionProps {
	readonly spec: FunctionSpec;
	readonly environment: BillingFunctionEnvironment;
}

/** Lets esbuild's ESM output load CommonJS dependencies that call require(). */
const REQUIRE_BANNER =
	'import { createRequire as __billingCreateRequire } from "node:module"; const require = __billingCreateRequire(import.meta.url);';

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
			TABLE_NAME: env.table.tableName,
			BUCKET_NAME: env.bucket.bucketName,
			SENDER_EMAIL: env.sender.email,
			SELLER_NAME: config.sellerName,
			SELLER_ADDRESS: config.sellerAddress,
			PAYMENT_INSTRUCTIONS: config.paymentInstructions,
			INVOICE_SERIES_PREFIX: config.invoiceSeriesPrefix,
			DUNNING_STAGES: config.dunningStages,
			DEFAULT_PAYMENT_TERMS_DAYS: String(config.paymentTermsDays),
			COLLECTIONS_EMAIL: config.collectionsEmail,
			POWERTOOLS_SERVICE_NAME: "billing",
			NODE_OPTIONS: "--enable-source-maps",
		};
		if (spec.readsStripeSecret) {
			// The webhook function verifies every provider's signature, so it reads each provider's secret.
			environment.STRIPE_WEBHOOK_SECRET_ARN = env.stripeWebhookSecret.secretArn;
			environment.GOCARDLESS_WEBHOOK_SECRET_ARN = env.gocardlessWebhookSecret.secretArn;
		}
		if (spec.startsBillingCycle) environment.STATE_MACHINE_ARN = env.billingCycleStateMachineArn;

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
			bundling: {
				format: OutputFormat.ESM,
				target: "node22",
				mainFields: ["module", "main"],
				banner: REQUIRE_BANNER,
				minify: true,
				sourceMap: true,
				// Ship the SDK versions the project pins and tests, not the runtime's.
				bundleAwsSDK: true,
			},
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

		if (spec.table === "readWrite") env.table.grantReadWriteData(this.function);
		else env.table.grantReadData(this.function);
		acknowledgements.push(
			wildcardResource(
				this,
				`${env.table.tableArn}/index/*`,
				"Queries on the billing table's own GSIs (gsi1 listings, gsi2 work queues; shared/table.ts); the wildcard spans only this table's indexes.",
			),
		);

		if (spec.bucket === "imports") {
			// Reads the files put under imports/, writes each one's result beside it: two exact actions, no listing, no deletes.
			const files = env.bucket.arnForObjects(`${importObjects.prefix}*`);
			const results = env.bucket.arnForObjects(`${importObjects.prefix}*${importObjects.resultSuffix}`);
			this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: [files] }));
			this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ["s3:PutObject"], resources: [results] }));
			acknowledgements.push(
				wildcardResource(
					this,
					files,
					`s3:GetObject on the billing bucket's ${importObjects.prefix} prefix only: the files to import are named by whoever puts them there, so they cannot be listed up front.`,
				),
				wildcardResource(
					this,
					results,
					`s3:PutObject on the billing bucket's ${importObjects.prefix}*${importObjects.resultSuffix} only: each file's result is written beside it under a name derived from the file's.`,
				),
			);
		} else if (spec.bucket !== "none") {
			if (spec.bucket === "readWrite") env.bucket.grantReadWrite(this.function);
			else env.bucket.grantRead(this.function);
			const objects = `Objects of the billing bucket only (invoice PDFs, manifests, reports) via the CDK bucket ${spec.bucket === "readWrite" ? "read/write" : "read"} grant`;
			acknowledgements.push(
				wildcardResource(
					this,
					env.bucket.arnForObjects("*"),
					`${objects}; object keys are per account and period, so they cannot be listed up front.`,
				),
				...["s3:GetObject*", "s3:GetBucket*", "s3:List*"].map((action) =>
					wildcardAction(action, `${objects}: read actions (object body, metadata, versions and listing) on this bucket only.`),
				),
			);
			if (spec.bucket === "readWrite") {
				acknowledgements.push(
					...["s3:DeleteObject*", "s3:Abort*"].map((action) =>
						wildcardAction(action, `${objects}: replacing or abandoning (multipart) uploads of this bucket's objects only.`),
					),
				);
			}
		}

		if (spec.sendsEmail) env.sender.grantSend(this.function);
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

		acknowledge(this, ...acknowledgements);
	}
}
