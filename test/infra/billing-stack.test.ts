import { readFileSync } from "node:fs";
import validator from "asl-validator";
import { App, type CfnElement, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as s3 from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import {
	billingCycleFunctionIds,
	documentObjects,
	functionCatalog,
	holdsDocuments,
	importJobFunctionIds,
} from "../../functions/catalog.js";
import { buildBillingApp } from "../../infra/billing-app.js";
import { definitionPlaceholders } from "../../infra/constructs/function-state-machine.js";
import { billingCycleDefinitionFile, importJobDefinitionFile } from "../../infra/paths.js";
import { stubDeskAppDir } from "../support/desk-stack.js";

type Json = Record<string, unknown>;

// The same feature flags `npx cdk synth` uses (cdk.json), minus bundling: the template is
// synthesized once for the whole file, without running esbuild. The document retention is not
// the default (10) and the seller has e-invoice details, so the test sees the context values
// reach the functions.
const cdkJson = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as { context: Json };
const DOCUMENT_RETENTION_YEARS = 8;
const SELLER_EINVOICE = {
	sellerVatId: "BE0403170701",
	sellerStreet: "Avenue Louise 54",
	sellerCity: "Brussels",
	sellerPostalCode: "1050",
	sellerCountryCode: "BE",
	sellerIban: "BE68539007547034",
	sellerBic: "GKCCBEBB",
	sellerPhone: "+32 2 555 01 00",
};
// Not the defaults either (infra/config.ts), so the test sees them come from context.
const SCALE = { invoiceBatchSize: 40, invoiceMaxConcurrency: 300, reviewBatchSize: 80, reviewMaxConcurrency: 120, sesMaxSendRate: 100 };
const { app, stack, nag } = buildBillingApp({
	deskAppDir: stubDeskAppDir(),
	context: {
		...cdkJson.context,
		documentRetentionYears: DOCUMENT_RETENTION_YEARS,
		...SELLER_EINVOICE,
		...SCALE,
		"aws:cdk:bundling-stacks": [],
	},
});
// Synthesizes the app, which runs the cdk-nag validation plugin: unacknowledged findings throw here.
const template = Template.fromStack(stack);

function logicalId(construct: IConstruct): string {
	return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function resourcesOf(type: string, props: Json = {}): [string, Json][] {
	return Object.entries(template.findResources(type, props)) as [string, Json][];
}

function onlyResource(type: string, props: Json = {}): [string, Json] {
	const found = resourcesOf(type, props);
	expect(found, `exactly one ${type}`).toHaveLength(1);
	return found[0] as [string, Json];
}

const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
type Statement = { Action: string | string[]; Effect: string; Resource: unknown };
const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const resourcesOfStatement = (st: Statement) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]);

function functionIdOf(catalogId: string): string {
	return logicalId(stack.functions[catalogId]?.function as IConstruct);
}

function functionPropertiesOf(catalogId: string): Json {
	const fn = resources[functionIdOf(catalogId)];
	if (!fn) throw new Error(`no function ${catalogId} in the template`);
	return fn.Properties;
}

/** The statements of the policies attached to a function's role. */
function roleStatementsOf(catalogId: string): Statement[] {
	const role = (functionPropertiesOf(catalogId).Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
	return Object.values(resources)
		.filter((r) => r.Type === "AWS::IAM::Policy" && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: role }]))
		.flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

describe("BillingData", () => {
	it("has one on-demand table with PITR, AWS-managed encryption, deletion protection and both GSIs", () => {
		const [, table] = onlyResource("AWS::DynamoDB::Table");
		expect(table.DeletionPolicy).toBe("Retain");
		expect(table.UpdateReplacePolicy).toBe("Retain");
		template.hasResourceProperties("AWS::DynamoDB::Table", {
			BillingMode: "PAY_PER_REQUEST",
			PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
			SSESpecification: { SSEEnabled: true },
			DeletionProtectionEnabled: true,
			KeySchema: [
				{ AttributeName: "pk", KeyType: "HASH" },
				{ AttributeName: "sk", KeyType: "RANGE" },
			],
			GlobalSecondaryIndexes: Match.arrayWith(
				["gsi1", "gsi2"].map((index) =>
					Match.objectLike({
						IndexName: index,
						KeySchema: [
							{ AttributeName: `${index}pk`, KeyType: "HASH" },
							{ AttributeName: `${index}sk`, KeyType: "RANGE" },
						],
						Projection: { ProjectionType: "ALL" },
					}),
				),
			),
		});
	});

	it("lets DynamoDB delete what carries an expiry (raw webhook events and bodies) through TTL on `ttl`", () => {
		template.hasResourceProperties("AWS::DynamoDB::Table", { TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true } });
		const webhook = functionPropertiesOf("PaymentWebhook").Environment as { Variables: Json };
		expect(webhook.Variables.WEBHOOK_EVENT_RETENTION_DAYS).toBe("365");
	});

	it("keeps invoices in an encrypted, versioned, private, logged bucket that refuses plain HTTP", () => {
		const bucketId = logicalId(stack.data.bucket);
		const bucket = template.toJSON().Resources[bucketId] as Json;
		expect(bucket.DeletionPolicy).toBe("Retain");
		expect(bucket.Properties).toMatchObject({
			BucketEncryption: {
				ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
			},
			VersioningConfiguration: { Status: "Enabled" },
			PublicAccessBlockConfiguration: {
				BlockPublicAcls: true,
				BlockPublicPolicy: true,
				IgnorePublicAcls: true,
				RestrictPublicBuckets: true,
			},
			LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(stack.data.accessLogsBucket) } },
		});
		template.hasResourceProperties("AWS::S3::BucketPolicy", {
			Bucket: { Ref: bucketId },
			PolicyDocument: {
				Statement: Match.arrayWith([
					Match.objectLike({
						Effect: "Deny",
						Action: "s3:*",
						Principal: { AWS: "*" },
						Condition: { Bool: { "aws:SecureTransport": "false" } },
					}),
				]),
			},
		});
	});
});

describe("issued documents (invoices, credit memos, statements)", () => {
	const bucketId = logicalId(stack.data.bucket);
	const documentArns = Object.values(documentObjects).map((o) => ({
		"Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, `/${o.keys}`]],
	}));
	const bucketPolicy = () => {
		const [, policy] = onlyResource("AWS::S3::BucketPolicy", { Properties: { Bucket: { Ref: bucketId } } });
		return ((policy.Properties as Json).PolicyDocument as { Statement: (Statement & Json)[] }).Statement;
	};

	it("are the invoices/, credit-memos/ and statements/ folders", () => {
		expect(Object.values(documentObjects).map((o) => o.keys)).toEqual(["invoices/*", "credit-memos/*", "statements/*"]);
	});

	it("live in a bucket with S3 Object Lock and versioning, and no default retention (each document carries its own)", () => {
		const bucket = template.toJSON().Resources[bucketId] as { Properties: Json };
		expect(bucket.Properties).toMatchObject({ ObjectLockEnabled: true, VersioningConfiguration: { Status: "Enabled" } });
		expect(bucket.Properties).not.toHaveProperty("ObjectLockConfiguration");
	});

	it("may not be deleted, a version or behind a delete marker, by any principal", () => {
		const deny = bucketPolicy().find((st) => st.Sid === "DenyDeletingDocuments");
		expect(deny).toMatchObject({ Effect: "Deny", Principal: { AWS: "*" } });
		expect(deny).not.toHaveProperty("Condition");
		expect([...actionsOf(deny as Statement)].sort()).toEqual(["s3:BypassGovernanceRetention", "s3:DeleteObject", "s3:DeleteObjectVersion"]);
		expect(resourcesOfStatement(deny as Statement)).toEqual(expect.arrayContaining(documentArns));
		expect(resourcesOfStatement(deny as Statement)).toHaveLength(documentArns.length);
	});

	it("may be put only with If-None-Match, by any principal, so nothing overwrites one", () => {
		const deny = bucketPolicy().find((st) => st.Sid === "DenyOverwritingDocuments");
		expect(deny).toMatchObject({
			Effect: "Deny",
			Principal: { AWS: "*" },
			Action: "s3:PutObject",
			Condition: { Null: { "s3:if-none-match": "true" } },
		});
		expect(resourcesOfStatement(deny as Statement)).toEqual(expect.arrayContaining(documentArns));
		expect(resourcesOfStatement(deny as Statement)).toHaveLength(documentArns.length);
	});

	it("are not deletable by any role of the stack: no role holds s3:Delete*, a retention bypass, the bucket's lock configuration or an S3 wildcard", () => {
		const risky = resourcesOf("AWS::IAM::Policy")
			.flatMap(([, policy]) => ((policy.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement)
			.filter((st) => st.Effect === "Allow")
			.flatMap(actionsOf)
			.filter((action) => /^(\*|s3:\*|s3:Delete|s3:Bypass|s3:PutBucketObjectLock|s3:PutBucketPolicy|s3:DeleteBucketPolicy)/.test(action));
		expect(risky).toEqual([]);
	});

	it("hands the context's documentRetentionYears to every function that writes documents, and to the CLI as an output", () => {
		const writers = functionCatalog.filter((f) => f.bucket !== "none" && (f.bucket.write ?? []).some(holdsDocuments)).map((f) => f.id);
		expect(writers).toEqual(["GenerateInvoices", "DeliverInvoices", "DeskApi"]);
		for (const spec of functionCatalog) {
			const variables = (functionPropertiesOf(spec.id).Environment as { Variables: Json }).Variables;
			if (writers.includes(spec.id)) expect(variables.DOCUMENT_RETENTION_YEARS, spec.id).toBe(String(DOCUMENT_RETENTION_YEARS));
			else expect(variables, spec.id).not.toHaveProperty("DOCUMENT_RETENTION_YEARS");
		}
		template.hasOutput("DocumentRetentionYears", { Value: String(DOCUMENT_RETENTION_YEARS) });
	});
});

describe("BillingFunction", () => {
	const catalogFunctionIds = new Set(functionCatalog.map((f) => functionIdOf(f.id)));
	const functions = resourcesOf("AWS::Lambda::Function").filter(([id]) => catalogFunctionIds.has(id));

	it("builds one function per catalog entry; the only other functions make the document links' key pair and copy the desk app at deploy time", () => {
		expect(functions).toHaveLength(functionCatalog.length);
		expect(Object.keys(stack.functions).sort()).toEqual(functionCatalog.map((f) => f.id).sort());
		// The key generator and the CDK Provider framework's function that calls it (test/infra/document-links.test.ts),
		// and CDK's BucketDeployment function that copies the built desk app to its bucket (test/infra/desk-hosting.test.ts).
		const others = resourcesOf("AWS::Lambda::Function").filter(([id]) => !catalogFunctionIds.has(id));
		expect(
			others.map(([id]) => id.replace(/[0-9A-F]{8}$/, "").replace(/^CustomCDKBucketDeployment.*/, "CustomCDKBucketDeployment")).sort(),
		).toEqual(["CustomCDKBucketDeployment", "DocumentLinksKeyFunction", "DocumentLinksKeyProviderframeworkonEvent"]);
	});

	it("runs every function on Node.js 22 / ARM64 with active tracing, its own log group and the common environment", () => {
		for (const [id, fn] of functions) {
			expect(fn.Properties, id).toMatchObject({
				Runtime: "nodejs22.x",
				Architectures: ["arm64"],
				TracingConfig: { Mode: "Active" },
				Handler: "index.handler",
				LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
				Environment: {
					Variables: expect.objectContaining({
						BUCKET_NAME: { Ref: logicalId(stack.data.bucket) },
						SENDER_EMAIL: "billing@example.com",
						SELLER_NAME: expect.any(String),
						SELLER_ADDRESS: expect.any(String),
						PAYMENT_INSTRUCTIONS: expect.any(String),
						SELLER_VAT_ID: "BE0403170701",
						SELLER_STREET: "Avenue Louise 54",
						SELLER_CITY: "Brussels",
						SELLER_POSTAL_CODE: "1050",
						SELLER_COUNTRY_CODE: "BE",
						SELLER_IBAN: "BE68539007547034",
						SELLER_BIC: "GKCCBEBB",
						SELLER_PHONE: "+32 2 555 01 00",
						INVOICE_SERIES_PREFIX: "INV",
						DUNNING_STAGES: expect.stringContaining("collections:"),
						POWERTOOLS_SERVICE_NAME: "billing",
						NODE_OPTIONS: "--enable-source-maps",
					}),
				},
			});
		}
		const logGroups = resourcesOf("AWS::Logs::LogGroup", { Properties: { RetentionInDays: 30 } });
		expect(logGroups.length).toBeGreaterThanOrEqual(functionCatalog.length);
	});

	it("names the table to the functions that use it, and only to them", () => {
		for (const spec of functionCatalog) {
			const variables = (functionPropertiesOf(spec.id).Environment as { Variables: Json }).Variables;
			if (spec.table === "none") expect(variables, spec.id).not.toHaveProperty("TABLE_NAME");
			else expect(variables.TABLE_NAME, spec.id).toEqual({ Ref: logicalId(stack.data.table) });
		}
	});

	it("binds the secret, the state machine and SES only to the functions whose spec asks for them", () => {
		for (const spec of functionCatalog) {
			const fn = template.toJSON().Resources[logicalId(stack.functions[spec.id]?.function as IConstruct)] as {
				Properties: { Environment: { Variables: Json } };
			};
			const variables = fn.Properties.Environment.Variables;
			expect("STRIPE_WEBHOOK_SECRET_ARN" in variables, spec.id).toBe(spec.readsStripeSecret);
			expect("GOCARDLESS_WEBHOOK_SECRET_ARN" in variables, spec.id).toBe(spec.readsStripeSecret);
			expect("STATE_MACHINE_ARN" in variables, spec.id).toBe(spec.startsBillingCycle || spec.readsBillingRuns);
		}
		const sesStatements = resourcesOf("AWS::IAM::Policy").filter(([, policy]) => JSON.stringify(policy).includes("ses:SendRawEmail"));
		expect(sesStatements.map(([id]) => id.replace(/FunctionRoleDefaultPolicy.*|RoleDefaultPolicy.*/, "")).sort()).toEqual(
			functionCatalog
				.filter((f) => f.sendsEmail)
				.map((f) => f.id)
				.sort(),
		);
		template.hasResourceProperties("AWS::IAM::Policy", {
			PolicyDocument: {
				Statement: Match.arrayWith([
					Match.objectLike({
						Action: ["ses:SendEmail", "ses:SendRawEmail"],
						// The identity and the configuration set (each ARN a join; see "email events" below).
						Resource: [Match.objectLike({ "Fn::Join": Match.anyValue() }), Match.objectLike({ "Fn::Join": Match.anyValue() })],
					}),
				]),
			},
		});
	});
});

describe("grants", () => {
	const bucketId = logicalId(stack.data.bucket);
	const tableId = logicalId(stack.data.table);
	const bucketObjectsArn = (keys: string) => ({ "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, `/${keys}`]] });
	/** Every (action, resource) a role's statements allow on the billing bucket. */
	const bucketGrants = (statements: Statement[]) =>
		statements
			.flatMap((st) => actionsOf(st).flatMap((action) => resourcesOfStatement(st).map((resource) => [action, JSON.stringify(resource)])))
			.filter(([, resource]) => resource?.includes(bucketId))
			.map(([action, resource]) => `${action} ${resource}`)
			.sort();

	it("gives each function exactly the bucket access its catalog entry names: GetObject and PutObject per key prefix (with PutObjectRetention on documents), never a delete", () => {
		for (const spec of functionCatalog) {
			const expected =
				spec.bucket === "none"
					? []
					: [
							...(spec.bucket.read ?? []).map((o) => `s3:GetObject ${JSON.stringify(bucketObjectsArn(o.keys))}`),
							...(spec.bucket.read ?? [])
								.filter((o) => o.readByVersion)
								.map((o) => `s3:GetObjectVersion ${JSON.stringify(bucketObjectsArn(o.keys))}`),
							...(spec.bucket.write ?? []).map((o) => `s3:PutObject ${JSON.stringify(bucketObjectsArn(o.keys))}`),
							...(spec.bucket.write ?? [])
								.filter(holdsDocuments)
								.map((o) => `s3:PutObjectRetention ${JSON.stringify(bucketObjectsArn(o.keys))}`),
							...(spec.bucket.list ? [`s3:ListBucket ${JSON.stringify({ "Fn::GetAtt": [bucketId, "Arn"] })}`] : []),
						].sort();
			expect(bucketGrants(roleStatementsOf(spec.id)), spec.id).toEqual(expected);
		}
	});

	it("lets no role of the stack delete an object (version) of any bucket or use an S3 wildcard action", () => {
		const s3Actions = resourcesOf("AWS::IAM::Policy")
			.flatMap(([, policy]) => ((policy.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement)
			.filter((st) => st.Effect === "Allow")
			.flatMap(actionsOf)
			.filter((action) => action.startsWith("s3:"));
		expect(s3Actions.length).toBeGreaterThan(0);
		// The multipart actions are the ResultWriter's (the state machine's, on runs/* only: below).
		expect([...new Set(s3Actions)].sort()).toEqual([
			"s3:AbortMultipartUpload",
			"s3:GetObject",
			"s3:GetObjectVersion",
			"s3:ListBucket",
			"s3:ListMultipartUploadParts",
			"s3:PutObject",
			"s3:PutObjectRetention",
		]);
	});

	it("names the prefixes the code writes and reads: manifests, invoices, statements, print batches, reports, books, collections, import results, runs/*", () => {
		const keysOf = (id: string, access: "read" | "write") => {
			const bucket = functionCatalog.find((f) => f.id === id)?.bucket;
			return bucket === "none" || bucket === undefined ? [] : (bucket[access] ?? []).map((o) => o.keys);
		};
		expect(keysOf("IdentifyOutstandingAccounts", "write")).toEqual(["manifests/*"]);
		expect(keysOf("GenerateInvoices", "write")).toEqual(["invoices/*", "statements/*"]);
		expect(keysOf("AssemblePrintBatch", "write")).toEqual(["print/*"]);
		expect(keysOf("ReconcilePayments", "write")).toEqual(["reports/*"]);
		expect(keysOf("PublishReports", "write")).toEqual(["reports/*", "books/*"]);
		expect(keysOf("EscalateOverdueAccounts", "write")).toEqual([]);
		expect(keysOf("SummarizeAccountReview", "write")).toEqual(["collections/*"]);
		// Each Review Accounts batch's tally of the month, beside the map's results: runs/<period>/review-accounts/tallies/.
		expect(keysOf("VerifyLedgers", "write")).toEqual(["runs/*"]);
		expect(keysOf("ImportFile", "write")).toEqual(["imports/*.result.json"]);
		// The e-invoices it stores beside the invoice PDFs as they leave: invoices/<period>/<number>.xml.
		expect(keysOf("DeliverInvoices", "write")).toEqual(["invoices/*"]);
		// The report adds up those tallies; it reads nothing else in the bucket.
		expect(keysOf("PublishReports", "read")).toEqual(["runs/*"]);
		expect(keysOf("VerifyLedgers", "read")).toEqual([]);
	});

	it("gives the functions that never touch the table no grant on it, the others the actions their catalog entry names", () => {
		const none = functionCatalog.filter((f) => f.table === "none").map((f) => f.id);
		expect(none.sort()).toEqual(["CheckImportFile", "ResolveBillingPeriod", "StartBillingCycle"]);
		const tableArn = { "Fn::GetAtt": [tableId, "Arn"] };
		const indexArn = (index: string) => ({ "Fn::Join": ["", [tableArn, `/index/${index}`]] });
		// The table stream's event source mapping reads the stream with its function's role (ListStreams has no resource-level permission).
		const streamArn = JSON.stringify({ "Fn::GetAtt": [tableId, "StreamArn"] });
		const streamReads = [
			...["DescribeStream", "GetRecords", "GetShardIterator"].map((action) => `dynamodb:${action} ${streamArn}`),
			'dynamodb:ListStreams "*"',
		];
		const readsStream = (id: string) => id === "PublishBillingEvents";
		for (const spec of functionCatalog) {
			// Every DynamoDB action with its resource (test/infra/least-privilege.test.ts checks the declarations themselves).
			const granted = roleStatementsOf(spec.id)
				.flatMap((st) => actionsOf(st).flatMap((action) => resourcesOfStatement(st).map((resource) => [action, JSON.stringify(resource)])))
				.filter(([action]) => action?.startsWith("dynamodb:"))
				.map(([action, resource]) => `${action} ${resource}`)
				.sort();
			const expected =
				spec.table === "none"
					? []
					: [
							...spec.table.actions.map((action) => `dynamodb:${action} ${JSON.stringify(tableArn)}`),
							...(spec.table.indexes ?? []).map((index) => `dynamodb:Query ${JSON.stringify(indexArn(index))}`),
							...(readsStream(spec.id) ? streamReads : []),
						].sort();
			expect(granted, spec.id).toEqual(expected);
		}
	});
});

describe("BillingCycleWorkflow", () => {
	const definitionText = readFileSync(billingCycleDefinitionFile, "utf8");
	const [, machine] = onlyResource("AWS::StepFunctions::StateMachine", { Properties: { StateMachineName: "billing-cycle" } });
	const props = machine.Properties as {
		DefinitionString: string;
		DefinitionSubstitutions: Record<string, unknown>;
		[key: string]: unknown;
	};

	it("validates as Amazon States Language", () => {
		const result = validator(JSON.parse(definitionText));
		expect(result.errorsText("\n")).toBe("");
		expect(result.isValid).toBe(true);
	});

	it("has a substitution in the stack for every placeholder of statemachines/billing-cycle.asl.json", () => {
		const placeholders = definitionPlaceholders(definitionText);
		expect(placeholders.length).toBeGreaterThan(0);
		for (const placeholder of placeholders) {
			expect(props.DefinitionSubstitutions, placeholder).toHaveProperty([placeholder]);
		}
	});

	it("inlines the ASL file and resolves every placeholder to the right function ARN", () => {
		expect(typeof props.DefinitionString).toBe("string");
		expect(JSON.parse(props.DefinitionString)).toEqual(JSON.parse(definitionText));
		for (const id of billingCycleFunctionIds) {
			expect(props.DefinitionSubstitutions[`${id}FunctionArn`], id).toEqual({
				"Fn::GetAtt": [logicalId(stack.functions[id]?.function as IConstruct), "Arn"],
			});
		}
		expect(props.DefinitionSubstitutions.BillingBucketName).toEqual({ Ref: logicalId(stack.data.bucket) });
		// What CloudFormation will do with DefinitionSubstitutions: nothing may stay unresolved.
		const substituted = props.DefinitionString.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, key: string) =>
			key in props.DefinitionSubstitutions ? `resolved:${key}` : whole,
		);
		expect(substituted).not.toContain("${");
	});

	it("takes each Distributed Map's batch size and concurrency from context: numbers where the maps read them", () => {
		expect(props.DefinitionSubstitutions).toMatchObject({
			InvoiceAccountsBatchSize: "40",
			InvoiceAccountsMaxConcurrency: "300",
			ReviewAccountsBatchSize: "80",
			ReviewAccountsMaxConcurrency: "120",
		});
		// As CloudFormation substitutes them, then as Plan Batches' States.StringToJson reads them.
		const substituted = JSON.parse(
			props.DefinitionString.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, key: string) => {
				const value = props.DefinitionSubstitutions[key];
				return typeof value === "string" ? value : whole;
			}),
		) as { States: Record<string, Json> };
		const plan = substituted.States["Plan Batches"]?.Parameters as Record<string, Record<string, string>>;
		const number = (intrinsic: string | undefined) => JSON.parse(/^States\.StringToJson\('(.*)'\)$/.exec(intrinsic ?? "")?.[1] ?? "null");
		const settings = Object.fromEntries(
			Object.entries(plan).map(([map, fields]) => [
				map,
				{ maxItemsPerBatch: number(fields["maxItemsPerBatch.$"]), maxConcurrency: number(fields["maxConcurrency.$"]) },
			]),
		);
		expect(settings).toEqual({
			invoiceAccounts: { maxItemsPerBatch: 40, maxConcurrency: 300 },
			reviewAccounts: { maxItemsPerBatch: 80, maxConcurrency: 120 },
		});
		// Each map reads its own settings from Plan Batches' result.
		for (const [state, map] of [
			["Invoice Accounts", "invoiceAccounts"],
			["Review Accounts", "reviewAccounts"],
		] as const) {
			expect(substituted.States[state], state).toMatchObject({
				MaxConcurrencyPath: `$.batching.${map}.maxConcurrency`,
				ItemBatcher: { MaxItemsPerBatchPath: `$.batching.${map}.maxItemsPerBatch` },
			});
			expect(substituted.States[state], state).not.toHaveProperty("MaxConcurrency");
		}
	});

	it("gives Deliver Invoices the context's SES sending rate and the invoice map's concurrency it shares the rate with", () => {
		for (const spec of functionCatalog) {
			const variables = (functionPropertiesOf(spec.id).Environment as { Variables: Json }).Variables;
			if (spec.id === "DeliverInvoices") expect(variables).toMatchObject({ SES_MAX_SEND_RATE: "100", SES_CONCURRENT_SENDERS: "300" });
			else expect(variables, spec.id).not.toHaveProperty("SES_MAX_SEND_RATE");
		}
	});

	it("is a Standard workflow with tracing and ALL-level logging without execution data (no customer data in its log group)", () => {
		expect(props).toMatchObject({
			StateMachineName: "billing-cycle",
			StateMachineType: "STANDARD",
			TracingConfiguration: { Enabled: true },
			LoggingConfiguration: {
				Level: "ALL",
				IncludeExecutionData: false,
				Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: expect.anything() } }],
			},
		});
	});

	it("reads only the manifests and writes only the Distributed Maps' results (ResultWriter) in the bucket", () => {
		const statements = resourcesOf("AWS::IAM::Policy")
			.filter(([id]) => id.startsWith("BillingCycle"))
			.flatMap(([, policy]) => ((policy.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement);
		const s3Grants = statements
			.filter((st) => actionsOf(st).some((a) => a.startsWith("s3:")))
			.map((st) => ({ actions: actionsOf(st).sort(), resource: JSON.stringify(st.Resource) }));
		expect(s3Grants).toHaveLength(2);
		expect(s3Grants[0]).toMatchObject({ actions: ["s3:GetObject"], resource: expect.stringContaining('"/manifests/*"') });
		expect(s3Grants[1]).toMatchObject({
			actions: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
			resource: expect.stringContaining('"/runs/*"'),
		});
	});

	it("may invoke exactly the functions it calls, read manifests and run its Distributed Map children", () => {
		const policies = JSON.stringify(resourcesOf("AWS::IAM::Policy").filter(([id]) => id.startsWith("BillingCycle")));
		expect(policies).toContain("lambda:InvokeFunction");
		for (const id of billingCycleFunctionIds) {
			expect(policies).toContain(logicalId(stack.functions[id]?.function as IConstruct));
		}
		expect(policies).not.toContain(logicalId(stack.functions.PaymentWebhook?.function as IConstruct));
		expect(policies).toContain("s3:GetObject");
		expect(policies).toContain(":stateMachine:billing-cycle");
		expect(policies).toContain("states:DescribeExecution");
	});
});

describe("ImportJobWorkflow", () => {
	const definitionText = readFileSync(importJobDefinitionFile, "utf8");
	const [machineId, machine] = onlyResource("AWS::StepFunctions::StateMachine", { Properties: { StateMachineName: "import-job" } });
	const props = machine.Properties as {
		DefinitionString: string;
		DefinitionSubstitutions: Record<string, unknown>;
		[key: string]: unknown;
	};
	const statements = resourcesOf("AWS::IAM::Policy")
		.filter(([id]) => id.startsWith("ImportJob"))
		.flatMap(([, policy]) => ((policy.Properties as Json).PolicyDocument as { Statement: Statement[] }).Statement);

	it("validates as Amazon States Language, JSONPath only, with the states a billing specialist reads", () => {
		const definition = JSON.parse(definitionText) as { States: Record<string, { Type: string }>; QueryLanguage?: string };
		const result = validator(definition);
		expect(result.errorsText("\n")).toBe("");
		expect(result.isValid).toBe(true);
		expect(definition.QueryLanguage ?? "JSONPath").toBe("JSONPath");
		expect(Object.keys(definition.States)).toEqual([
			"Check File",
			"Check Partitions",
			"Summarize Checks",
			"Any Problems?",
			"Import Refused",
			"Write Partitions",
			"Record Import",
			"Record Import Failure",
			"Import Failed",
		]);
	});

	it("inlines the ASL file and resolves every placeholder to its import job function", () => {
		expect(JSON.parse(props.DefinitionString)).toEqual(JSON.parse(definitionText));
		expect(definitionPlaceholders(definitionText)).toEqual(importJobFunctionIds.map((id) => `${id}FunctionArn`).sort());
		for (const id of importJobFunctionIds) {
			expect(props.DefinitionSubstitutions[`${id}FunctionArn`], id).toEqual({
				"Fn::GetAtt": [logicalId(stack.functions[id]?.function as IConstruct), "Arn"],
			});
		}
		expect(props).toMatchObject({
			StateMachineType: "STANDARD",
			TracingConfiguration: { Enabled: true },
			LoggingConfiguration: { Level: "ALL", IncludeExecutionData: false },
		});
	});

	it("invokes exactly its functions, reads and writes only import-jobs/* and runs its Distributed Map children", () => {
		const invoked = statements.filter((st) => actionsOf(st).includes("lambda:InvokeFunction")).flatMap(resourcesOfStatement);
		expect(invoked.map((r) => JSON.stringify(r)).sort()).toEqual(
			importJobFunctionIds.map((id) => JSON.stringify({ "Fn::GetAtt": [functionIdOf(id), "Arn"] })).sort(),
		);
		const s3Grants = statements
			.filter((st) => actionsOf(st).some((a) => a.startsWith("s3:")))
			.map((st) => ({ actions: actionsOf(st).sort(), resource: JSON.stringify(st.Resource) }));
		expect(s3Grants).toEqual([
			{
				actions: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"],
				resource: expect.stringContaining('"/import-jobs/*"'),
			},
		]);
		const states = JSON.stringify(statements.filter((st) => actionsOf(st).some((a) => a.startsWith("states:"))));
		expect(states).toContain("states:StartExecution");
		expect(states).toContain(":stateMachine:import-job");
		expect(states).toContain(":execution:import-job/*:*");
		expect(states).not.toContain("billing-cycle");
	});

	it("ImportFile starts it (states:StartExecution on it alone) and has its ARN; no other function may", () => {
		const starts = (id: string) =>
			roleStatementsOf(id)
				.filter((st) => actionsOf(st).includes("states:StartExecution"))
				.flatMap(resourcesOfStatement);
		expect(JSON.stringify(starts("ImportFile"))).toContain(":stateMachine:import-job");
		expect(starts("ImportFile")).toHaveLength(1);
		const environment = (functionPropertiesOf("ImportFile").Environment as { Variables: Json }).Variables;
		expect(JSON.stringify(environment.IMPORT_JOB_STATE_MACHINE_ARN)).toContain(":stateMachine:import-job");
		for (const spec of functionCatalog.filter((f) => f.id !== "ImportFile" && f.id !== "StartBillingCycle")) {
			expect(starts(spec.id), spec.id).toEqual([]);
		}
		expect(machineId).toBe(logicalId(stack.importJob.stateMachine));
	});

	it("alarms on the topic when a job fails, times out (it has a timeout to reach) or is stopped", () => {
		expect(JSON.parse(readFileSync("statemachines/import-job.asl.json", "utf8")).TimeoutSeconds).toBe(21600);
		for (const metric of ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"]) {
			template.hasResourceProperties("AWS::CloudWatch::Alarm", {
				Namespace: "AWS/States",
				MetricName: metric,
				Dimensions: [{ Name: "StateMachineArn", Value: { Ref: machineId } }],
				Threshold: 1,
				AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
			});
		}
	});
});

describe("MonthlySchedule", () => {
	it("starts the cycle at 02:00 UTC on the 1st of every month through StartBillingCycle", () => {
		template.hasResourceProperties("AWS::Scheduler::Schedule", {
			ScheduleExpression: "cron(0 2 1 * ? *)",
			ScheduleExpressionTimezone: "Etc/UTC",
			FlexibleTimeWindow: { Mode: "OFF" },
			State: "ENABLED",
			Target: Match.objectLike({
				Arn: { "Fn::GetAtt": [logicalId(stack.functions.StartBillingCycle?.function as IConstruct), "Arn"] },
				DeadLetterConfig: { Arn: Match.anyValue() },
			}),
		});
	});
});

describe("PaymentWebhookApi", () => {
	it("routes POST /webhooks/stripe to the PaymentWebhook function", () => {
		const [integrationId] = onlyResource("AWS::ApiGatewayV2::Integration", {
			Properties: {
				IntegrationUri: {
					"Fn::GetAtt": [logicalId(stack.functions.PaymentWebhook?.function as IConstruct), "Arn"],
				},
			},
		});
		template.hasResourceProperties("AWS::ApiGatewayV2::Route", {
			RouteKey: "POST /webhooks/stripe",
			Target: { "Fn::Join": ["", ["integrations/", { Ref: integrationId }]] },
		});
	});

	it("routes POST /webhooks/gocardless to the same function, with its own secret in Secrets Manager", () => {
		const [integrationId] = onlyResource("AWS::ApiGatewayV2::Integration", {
			Properties: { IntegrationUri: { "Fn::GetAtt": [logicalId(stack.functions.PaymentWebhook?.function as IConstruct), "Arn"] } },
		});
		template.hasResourceProperties("AWS::ApiGatewayV2::Route", {
			RouteKey: "POST /webhooks/gocardless",
			Target: { "Fn::Join": ["", ["integrations/", { Ref: integrationId }]] },
		});
		template.hasResourceProperties("AWS::SecretsManager::Secret", {
			Description: Match.stringLikeRegexp("GoCardless webhook endpoint secret"),
			GenerateSecretString: Match.anyValue(),
		});
		expect(Object.keys(template.findOutputs("*"))).toEqual(expect.arrayContaining(["GoCardlessWebhookUrl", "GoCardlessWebhookSecretArn"]));
	});

	it("logs access and throttles the default stage", () => {
		template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
			StageName: "$default",
			AutoDeploy: true,
			AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp("requestId") },
			DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
		});
	});

	it("keeps the Stripe signing secret in Secrets Manager with a placeholder to replace", () => {
		template.hasResourceProperties("AWS::SecretsManager::Secret", {
			Description: Match.stringLikeRegexp("whsec_"),
			GenerateSecretString: Match.anyValue(),
		});
	});
});

describe("Monitoring", () => {
	it("alarms on failed and timed-out billing runs and on webhook errors", () => {
		const machineId = logicalId(stack.workflow.stateMachine);
		for (const metric of ["ExecutionsFailed", "ExecutionsTimedOut"]) {
			template.hasResourceProperties("AWS::CloudWatch::Alarm", {
				Namespace: "AWS/States",
				MetricName: metric,
				Dimensions: [{ Name: "StateMachineArn", Value: { Ref: machineId } }],
				Statistic: "Sum",
				Period: 300,
				Threshold: 1,
				ComparisonOperator: "GreaterThanOrEqualToThreshold",
				AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
			});
		}
		template.hasResourceProperties("AWS::CloudWatch::Alarm", {
			Namespace: "AWS/Lambda",
			MetricName: "Errors",
			Dimensions: [{ Name: "FunctionName", Value: { Ref: logicalId(stack.functions.PaymentWebhook?.function as IConstruct) } }],
			Threshold: 1,
		});
	});

	it("notifies an encrypted topic that requires TLS", () => {
		template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
		template.hasResourceProperties("AWS::SNS::TopicPolicy", {
			PolicyDocument: {
				Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]),
			},
		});
	});

	it("lets CloudWatch alarms of this account publish to the topic and use its key", () => {
		const topicId = logicalId(stack.monitoring.topic);
		const fromThisAccount = { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } };
		template.hasResourceProperties("AWS::SNS::TopicPolicy", {
			Topics: [{ Ref: topicId }],
			PolicyDocument: {
				Statement: Match.arrayWith([
					Match.objectLike({
						Effect: "Allow",
						Principal: { Service: "cloudwatch.amazonaws.com" },
						Action: "sns:Publish",
						Resource: { Ref: topicId },
						Condition: fromThisAccount,
					}),
				]),
			},
		});
		template.hasResourceProperties("AWS::KMS::Key", {
			KeyPolicy: {
				Statement: Match.arrayWith([
					Match.objectLike({
						Effect: "Allow",
						Principal: { Service: "cloudwatch.amazonaws.com" },
						Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
						Condition: fromThisAccount,
					}),
				]),
			},
		});
	});

	it("alarms on aborted billing runs", () => {
		template.hasResourceProperties("AWS::CloudWatch::Alarm", {
			Namespace: "AWS/States",
			MetricName: "ExecutionsAborted",
			Dimensions: [{ Name: "StateMachineArn", Value: { Ref: logicalId(stack.workflow.stateMachine) } }],
			Threshold: 1,
			ComparisonOperator: "GreaterThanOrEqualToThreshold",
			AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
		});
	});

	it("alarms when a run that succeeded left failed accounts, deliveries whose outcome is unknown or broken ledger invariants", () => {
		for (const metric of ["FailedAccounts", "DeliveriesOutcomeUnknown", "LedgerInvariantViolations"]) {
			template.hasResourceProperties("AWS::CloudWatch::Alarm", {
				// What publishRunMetrics writes (shared/platform/metrics.ts; test/integration/run-alarms.test.ts reads its lines).
				Namespace: "Billing",
				MetricName: metric,
				Dimensions: [{ Name: "service", Value: "billing" }],
				Statistic: "Sum",
				Period: 300,
				Threshold: 1,
				ComparisonOperator: "GreaterThanOrEqualToThreshold",
				TreatMissingData: "notBreaching",
				AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
			});
		}
	});

	it("alarms on the webhook API's 5xx answers, which the function's Errors metric never sees", () => {
		template.hasResourceProperties("AWS::CloudWatch::Alarm", {
			Namespace: "AWS/ApiGateway",
			MetricName: "5xx",
			Dimensions: [{ Name: "ApiId", Value: { Ref: logicalId(stack.webhookApi.api) } }],
			Statistic: "Sum",
			Period: 300,
			Threshold: 1,
			ComparisonOperator: "GreaterThanOrEqualToThreshold",
			AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
		});
	});

	it("counts the webhook API's 401s from its access log and alarms on a burst (a wrong or rotated secret)", () => {
		const logGroupId = logicalId(stack.webhookApi.accessLogGroup);
		const [, filter] = onlyResource("AWS::Logs::MetricFilter", { Properties: { LogGroupName: { Ref: logGroupId } } });
		const filterProps = filter.Properties as { FilterPattern: string; MetricTransformations: Json[] };
		expect(filterProps.FilterPattern).toBe('{ $.status = "401" }');
		expect(filterProps.MetricTransformations).toEqual([
			{ MetricNamespace: "Billing/Logs", MetricName: "WebhookUnauthorized", MetricValue: "1" },
		]);
		// The access log line the filter reads carries the status under that name.
		template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
			ApiId: { Ref: logicalId(stack.webhookApi.api) },
			AccessLogSettings: { Format: Match.stringLikeRegexp('"status":"\\$context.status"') },
		});
		template.hasResourceProperties("AWS::CloudWatch::Alarm", {
			Namespace: "Billing/Logs",
			MetricName: "WebhookUnauthorized",
			Statistic: "Sum",
			Period: 300,
			Threshold: 10,
			ComparisonOperator: "GreaterThanOrEqualToThreshold",
			TreatMissingData: "notBreaching",
			AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
		});
	});
});

describe("email events (DESIGN.md section 15): a configuration set, its events to EmailEvents", () => {
	const configurationSetId = logicalId(stack.sender.configurationSet);
	const configurationSetRef = { Ref: configurationSetId };
	const configurationSetArn = {
		"Fn::Join": [
			"",
			[
				"arn:",
				{ Ref: "AWS::Partition" },
				":ses:",
				{ Ref: "AWS::Region" },
				":",
				{ Ref: "AWS::AccountId" },
				":configuration-set/",
				configurationSetRef,
			],
		],
	};

	it("sends every email through one configuration set, the sender identity's default, with reputation metrics", () => {
		onlyResource("AWS::SES::ConfigurationSet");
		template.hasResourceProperties("AWS::SES::ConfigurationSet", { ReputationOptions: { ReputationMetricsEnabled: true } });
		template.hasResourceProperties("AWS::SES::EmailIdentity", {
			EmailIdentity: "billing@example.com",
			ConfigurationSetAttributes: { ConfigurationSetName: configurationSetRef },
		});
	});

	it("publishes sends, deliveries, bounces, complaints, rejections, rendering failures and delays to the default EventBridge bus", () => {
		const [, destination] = onlyResource("AWS::SES::ConfigurationSetEventDestination");
		expect(destination.Properties).toMatchObject({
			ConfigurationSetName: configurationSetRef,
			EventDestination: {
				Enabled: true,
				EventBridgeDestination: {
					EventBusArn: {
						"Fn::Join": [
							"",
							["arn:", { Ref: "AWS::Partition" }, ":events:", { Ref: "AWS::Region" }, ":", { Ref: "AWS::AccountId" }, ":event-bus/default"],
						],
					},
				},
			},
		});
		const types = ((destination.Properties as Json).EventDestination as { MatchingEventTypes: string[] }).MatchingEventTypes;
		expect([...types].sort()).toEqual(["bounce", "complaint", "delivery", "deliveryDelay", "reject", "renderingFailure", "send"]);
	});

	it("routes this configuration set's events (not other senders' on the bus) to the EmailEvents function", () => {
		template.hasResourceProperties("AWS::Events::Rule", {
			EventPattern: {
				source: ["aws.ses"],
				"detail-type": [
					"Email Sent",
					"Email Delivered",
					"Email Bounced",
					"Email Complaint Received",
					"Email Rejected",
					"Email Rendering Failed",
					"Email Delivery Delayed",
				],
				detail: { mail: { tags: { "ses:configuration-set": [configurationSetRef] } } },
			},
			State: "ENABLED",
			Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [functionIdOf("EmailEvents"), "Arn"] } })],
		});
		template.hasResourceProperties("AWS::Lambda::Permission", {
			Action: "lambda:InvokeFunction",
			FunctionName: { "Fn::GetAtt": [functionIdOf("EmailEvents"), "Arn"] },
			Principal: "events.amazonaws.com",
		});
	});

	it("alarms when recording an event fails, and when one lands in its dead-letter queue", () => {
		const topic = { Ref: logicalId(stack.monitoring.topic) };
		template.hasResourceProperties("AWS::CloudWatch::Alarm", {
			Namespace: "AWS/Lambda",
			MetricName: "Errors",
			Dimensions: [{ Name: "FunctionName", Value: { Ref: functionIdOf("EmailEvents") } }],
			AlarmActions: [topic],
		});
		template.hasResourceProperties("AWS::CloudWatch::Alarm", {
			MetricName: "ApproximateNumberOfMessagesVisible",
			Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [logicalId(stack.emailEvents.deadLetterQueue), "QueueName"] } }],
			AlarmActions: [topic],
		});
	});

	it("names the configuration set to every function that sends email, and lets each send through it (SES authorizes the set too)", () => {
		for (const spec of functionCatalog) {
			const variables = (functionPropertiesOf(spec.id).Environment as { Variables: Json }).Variables;
			if (spec.sendsEmail) expect(variables.SES_CONFIGURATION_SET, spec.id).toEqual(configurationSetRef);
			else expect(variables, spec.id).not.toHaveProperty("SES_CONFIGURATION_SET");
			const sesGrants = roleStatementsOf(spec.id)
				.filter((st) => st.Effect === "Allow" && actionsOf(st).some((a) => a.startsWith("ses:")))
				.flatMap((st) => actionsOf(st).flatMap((action) => resourcesOfStatement(st).map((r) => `${action} ${JSON.stringify(r)}`)))
				.sort();
			const identityArn = JSON.stringify({
				"Fn::Join": [
					"",
					[
						"arn:",
						{ Ref: "AWS::Partition" },
						":ses:",
						{ Ref: "AWS::Region" },
						":",
						{ Ref: "AWS::AccountId" },
						":identity/",
						{ Ref: logicalId(stack.sender.identity) },
					],
				],
			});
			const expected = spec.sendsEmail
				? ["ses:SendEmail", "ses:SendRawEmail"].flatMap((action) => [
						`${action} ${identityArn}`,
						`${action} ${JSON.stringify(configurationSetArn)}`,
					])
				: [];
			expect(sesGrants, spec.id).toEqual(expected.sort());
		}
	});

	it("tells the CLI the configuration set (an output)", () => {
		expect(template.toJSON().Outputs.SesConfigurationSetName).toMatchObject({ Value: configurationSetRef });
	});
});

describe("outputs", () => {
	it("exports the webhook URL, state machine ARN, table and bucket names", () => {
		const outputs = template.toJSON().Outputs as Record<string, unknown>;
		expect(Object.keys(outputs)).toEqual(expect.arrayContaining(["StripeWebhookUrl", "StateMachineArn", "TableName", "BucketName"]));
	});
});

describe("cdk-nag (AwsSolutions)", () => {
	it("reports no unacknowledged errors or warnings", () => {
		const report = nag.validateScope(app);
		const findings = report.violations.map(
			(v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(", ")}`,
		);
		expect(findings).toEqual([]);
		expect(report.success).toBe(true);
	});

	it("gives every acknowledgement a written reason", () => {
		const acknowledgements = app.node
			.findAll()
			.flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
			.flatMap((m) => Object.entries(m.data as Record<string, unknown>));
		expect(acknowledgements.length).toBeGreaterThan(0);
		for (const [id, reason] of acknowledgements) {
			expect(typeof reason === "string" && reason.trim().length >= 40, id).toBe(true);
		}
	});

	it("does flag what it should (the check is live, not a no-op)", () => {
		const control = new App();
		const controlStack = new Stack(control, "Control");
		new s3.Bucket(controlStack, "Unlogged", { enforceSSL: true });
		const rules = new AwsSolutionsChecks(control).validateScope(control).violations.map((v) => v.ruleName);
		expect(rules).toContain("AwsSolutions-S1");
	});
});
