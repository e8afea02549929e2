import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, type CfnElement, Stack, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sns from "aws-cdk-lib/aws-sns";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { expect } from "vitest";
import { DeskApi } from "../../infra/constructs/desk-api.js";
import { DeskHosting } from "../../infra/constructs/desk-hosting.js";
import { DeskUsers } from "../../infra/constructs/desk-users.js";
import { acknowledge } from "../../infra/nag.js";

export type Json = Record<string, unknown>;
export type Resource = { Type: string; Properties: Json; DeletionPolicy?: string };
export type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: Json };

export const cdkJson = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as { context: Json };
export const CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/** A stand-in for the desk's build (desk/build.ts): an index.html and the script it loads, so template tests need no esbuild run. */
export function stubDeskAppDir(): string {
	const appDir = mkdtempSync(join(tmpdir(), "desk-build-"));
	writeFileSync(join(appDir, "index.html"), '<!doctype html><div id="root"></div><script type="module" src="/desk/app.js"></script>');
	writeFileSync(join(appDir, "app.js"), 'document.getElementById("root").textContent = "desk";');
	return appDir;
}

/** A stack with the desk's three constructs, as the billing stack holds them, checked by cdk-nag. */
export function deskStack(options: { domain?: string; unauthorizedDeskRoute?: boolean } = {}) {
	const appDir = stubDeskAppDir();
	const app = new App({ context: cdkJson.context });
	const nag = new AwsSolutionsChecks(app);
	Validations.of(app).addPlugins(nag);
	const stack = new Stack(app, "DeskTest");
	const accessLogs = new s3.Bucket(stack, "AccessLogs", {
		enforceSSL: true,
		blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
		encryption: s3.BucketEncryption.S3_MANAGED,
	});
	acknowledge(accessLogs, {
		id: "AwsSolutions-S1",
		reason: "Stands in for BillingData's access log bucket, which is itself the end of the logging chain.",
	});
	const handler = new lambda.Function(stack, "Handler", {
		runtime: lambda.Runtime.NODEJS_22_X,
		handler: "index.handler",
		code: lambda.Code.fromInline("exports.handler = async () => ({ statusCode: 200, body: '{}' });"),
	});
	acknowledge(
		handler,
		{
			id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
			reason: "A stand-in for the DeskApi function, in this test only.",
		},
		{ id: "AwsSolutions-L1", reason: "A stand-in for the DeskApi function, in this test only." },
	);
	const alarmTopic = new sns.Topic(stack, "AlarmTopic", { enforceSSL: true });
	acknowledge(alarmTopic, {
		id: "AwsSolutions-SNS2",
		reason: "Stands in for Monitoring's alarm topic, which is encrypted with its own key.",
	});
	const users = new DeskUsers(stack, "DeskUsers");
	const deskApi = new DeskApi(stack, "DeskApi", {
		handler,
		userPool: users.userPool,
		userPoolClient: users.client,
		rateLimit: 20,
		burstLimit: 40,
		alarmTopic,
	});
	if (options.unauthorizedDeskRoute) {
		const [route] = deskApi.api.addRoutes({
			path: "/desk/api/forgotten",
			methods: [apigw.HttpMethod.GET],
			integration: new HttpLambdaIntegration("Forgotten", handler),
		});
		if (route) acknowledge(route, { id: "AwsSolutions-APIG4", reason: "The control case: a desk route someone left open." });
	}
	const hosting = new DeskHosting(stack, "DeskHosting", {
		appDir,
		api: deskApi.api,
		userPoolClient: users.client,
		documentsOrigin: "https://documents.example.com",
		accessLogsBucket: accessLogs,
		...(options.domain
			? { domain: { name: options.domain, certificate: acm.Certificate.fromCertificateArn(stack, "Certificate", CERTIFICATE_ARN) } }
			: {}),
	});
	const userAdmin = new iam.Role(stack, "UserAdmin", { assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com") });
	users.grantUserAdministration(userAdmin);
	// Synthesizes the app, which runs cdk-nag: unacknowledged findings throw here.
	const template = Template.fromStack(stack);
	const resources = template.toJSON().Resources as Record<string, Resource>;
	const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
	return { app, nag, stack, users, deskApi, alarmTopic, hosting, userAdmin, template, resources, logicalId };
}

export const ofType = (resources: Record<string, Resource>, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

export function only(resources: Record<string, Resource>, type: string): [string, Json] {
	const found = ofType(resources, type);
	expect(found, `exactly one ${type}`).toHaveLength(1);
	const [id, resource] = found[0] as [string, Resource];
	return [id, resource.Properties];
}

export const statementsOf = (policy: Resource) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;

/** Buckets that do not block every kind of public access, or whose policy allows anyone (`*`) in. */
export function publicBuckets(resources: Record<string, Resource>): string[] {
	const blocks = ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"];
	const unblocked = ofType(resources, "AWS::S3::Bucket")
		.filter(([, r]) => !blocks.every((block) => (r.Properties.PublicAccessBlockConfiguration as Json | undefined)?.[block] === true))
		.map(([id]) => id);
	const opened = ofType(resources, "AWS::S3::BucketPolicy")
		.filter(([, r]) => statementsOf(r).some((st) => st.Effect === "Allow" && JSON.stringify(st.Principal).includes('"*"')))
		.map(([id]) => id);
	return [...unblocked, ...opened];
}
