import { readFileSync } from "node:fs";
import type { CfnElement } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { buildBillingApp } from "../../infra/billing-app.js";
import { stubDeskAppDir } from "../support/desk-stack.js";

/** The deployed ways in (DESIGN.md section 8): files under imports/ through EventBridge, and the IAM-authorized data API. */

type Json = Record<string, unknown>;
type Statement = { Action: string | string[]; Effect: string; Resource: unknown };

const cdkJson = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as { context: Json };
const { stack } = buildBillingApp({ deskAppDir: stubDeskAppDir(), context: { ...cdkJson.context, "aws:cdk:bundling-stacks": [] } });
// Synthesizes the app, which runs cdk-nag: unacknowledged findings throw here.
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;

function logicalId(construct: IConstruct): string {
	return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

const bucketId = logicalId(stack.data.bucket);
const importFunctionId = logicalId(stack.functions.ImportFile?.function as IConstruct);
const apiFunctionId = logicalId(stack.functions.DataApi?.function as IConstruct);

/** The statements of a function's role policy. */
function statementsOf(functionId: string): Statement[] {
	const fn = resources[functionId];
	if (!fn) throw new Error(`no resource ${functionId}`);
	const role = (fn.Properties.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
	return Object.values(resources)
		.filter((r) => r.Type === "AWS::IAM::Policy" && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: role }]))
		.flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const objectsOfBucket = (path: string) => ({ "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, `/${path}`]] });

/** EventBridge's wildcard matching: `*` is any run of characters, everything else itself. */
function wildcardMatches(pattern: string, value: string): boolean {
	const regex = pattern
		.split("*")
		.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
		.join(".*");
	return new RegExp(`^${regex}$`).test(value);
}

describe("files put under imports/", () => {
	const [ruleId, rule] = Object.entries(
		template.findResources("AWS::Events::Rule", { Properties: { Description: Match.stringLikeRegexp("imports/") } }),
	)[0] as [string, { Properties: { EventPattern: { detail: { object: { key: { wildcard: string }[] } } } } }];

	it("the bucket sends its events to EventBridge, set natively (no notifications custom resource)", () => {
		expect(resources[bucketId]?.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
		expect(template.findResources("Custom::S3BucketNotifications")).toEqual({});
	});

	it("a rule sends the bucket's Object Created events of files under imports/ to the ImportFile function", () => {
		template.hasResourceProperties("AWS::Events::Rule", {
			State: "ENABLED",
			EventPattern: {
				source: ["aws.s3"],
				"detail-type": ["Object Created"],
				detail: { bucket: { name: [{ Ref: bucketId }] }, object: { key: Match.anyValue() } },
			},
			Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [importFunctionId, "Arn"] } })],
		});
		template.hasResourceProperties("AWS::Lambda::Permission", {
			Action: "lambda:InvokeFunction",
			FunctionName: { "Fn::GetAtt": [importFunctionId, "Arn"] },
			Principal: "events.amazonaws.com",
			SourceArn: { "Fn::GetAtt": [ruleId, "Arn"] },
		});
	});

	it("matches CSV and JSON Lines files under imports/, never a result, a folder or a key elsewhere", () => {
		const patterns = rule.Properties.EventPattern.detail.object.key.map((m) => m.wildcard);
		expect(patterns.length).toBeGreaterThan(0);
		for (const pattern of patterns) expect(pattern).toMatch(/^imports\/\*\./);
		const matched = (key: string) => patterns.some((p) => wildcardMatches(p, key));
		for (const key of [
			"imports/accounts.csv",
			"imports/accounts-2026.csv",
			"imports/2026-11/charges.jsonl",
			"imports/charges.ndjson",
			"imports/ACCOUNTS.CSV",
			"imports/accounts+%28march%29.csv",
		]) {
			expect(matched(key), key).toBe(true);
		}
		for (const key of [
			"imports/accounts.csv.result.json",
			"imports/charges.jsonl.result.json",
			"imports/",
			"imports/notes.txt",
			"reports/accounts.csv",
			"accounts.csv",
		]) {
			expect(matched(key), key).toBe(false);
		}
	});

	it("the function reads imports/* and writes imports/*.result.json, nothing else of the bucket", () => {
		const s3Statements = statementsOf(importFunctionId).filter((s) => actionsOf(s).some((a) => a.startsWith("s3:")));
		expect(s3Statements).toEqual([
			// The file is read by the version its event names.
			{ Action: ["s3:GetObject", "s3:GetObjectVersion"], Effect: "Allow", Resource: objectsOfBucket("imports/*") },
			{ Action: "s3:PutObject", Effect: "Allow", Resource: objectsOfBucket("imports/*.result.json") },
			// Before it starts an import job it reads the file's result: a missing one answers 404, not 403.
			{ Action: "s3:ListBucket", Effect: "Allow", Resource: { "Fn::GetAtt": [expect.stringMatching(/^DataBucket/), "Arn"] } },
		]);
		expect(JSON.stringify(statementsOf(importFunctionId))).toContain("dynamodb:PutItem");
		expect(resources[importFunctionId]?.Properties).toMatchObject({ Timeout: 900, MemorySize: 1024 });
	});

	it("alarms when an import fails", () => {
		template.hasResourceProperties("AWS::CloudWatch::Alarm", {
			Namespace: "AWS/Lambda",
			MetricName: "Errors",
			Dimensions: [{ Name: "FunctionName", Value: { Ref: importFunctionId } }],
			Threshold: 1,
			AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
		});
	});
});

describe("the data API", () => {
	const apiId = logicalId(stack.dataApi.api);

	it("has PUT /accounts/{id} and POST /charges, both IAM-authorized, both to the DataApi function", () => {
		const [integrationId] = Object.keys(
			template.findResources("AWS::ApiGatewayV2::Integration", {
				Properties: { ApiId: { Ref: apiId }, IntegrationUri: { "Fn::GetAtt": [apiFunctionId, "Arn"] }, PayloadFormatVersion: "2.0" },
			}),
		);
		expect(integrationId).toBeDefined();
		const routes = Object.values(template.findResources("AWS::ApiGatewayV2::Route", { Properties: { ApiId: { Ref: apiId } } })).map(
			(r) => (r as { Properties: Json }).Properties,
		);
		expect(routes.map((r) => r.RouteKey).sort()).toEqual(["POST /charges", "PUT /accounts/{id}"]);
		for (const route of routes) {
			expect(route, String(route.RouteKey)).toMatchObject({
				AuthorizationType: "AWS_IAM",
				Target: { "Fn::Join": ["", ["integrations/", { Ref: integrationId }]] },
			});
		}
	});

	it("logs access with the caller and throttles its default stage", () => {
		template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
			ApiId: { Ref: apiId },
			StageName: "$default",
			AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp("identity.userArn") },
			DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
		});
	});

	it("the function reads and writes the table and nothing in the bucket", () => {
		const statements = statementsOf(apiFunctionId);
		expect(statements.flatMap(actionsOf).filter((a) => a.startsWith("s3:"))).toEqual([]);
		expect(JSON.stringify(statements)).not.toContain(bucketId);
		expect(JSON.stringify(statements)).toContain("dynamodb:PutItem");
	});

	it("alarms on 5xx answers and publishes its URL as a stack output", () => {
		template.hasResourceProperties("AWS::CloudWatch::Alarm", {
			Namespace: "AWS/ApiGateway",
			MetricName: "5xx",
			Dimensions: [{ Name: "ApiId", Value: { Ref: apiId } }],
			AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
		});
		template.hasOutput("DataApiUrl", { Value: { "Fn::GetAtt": [apiId, "ApiEndpoint"] } });
	});
});

describe("the billing cycle", () => {
	it("cannot invoke the ingestion functions", () => {
		const machinePolicies = JSON.stringify(
			Object.entries(resources).filter(([id, r]) => r.Type === "AWS::IAM::Policy" && id.startsWith("BillingCycle")),
		);
		expect(machinePolicies).not.toContain(importFunctionId);
		expect(machinePolicies).not.toContain(apiFunctionId);
	});
});
