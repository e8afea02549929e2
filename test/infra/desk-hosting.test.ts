import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Validations } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import type { DeskHosting } from "../../infra/constructs/desk-hosting.js";
import { DESK_PERMISSIONS_POLICY, deskContentSecurityPolicy } from "../../shared/desk/page-headers.js";
import { CERTIFICATE_ARN, deskStack, type Json, ofType, only, publicBuckets, type Resource, statementsOf } from "../support/desk-stack.js";

/**
 * DESIGN.md section 12, deployed hosting: the built app in a private bucket that only the
 * distribution reads (Origin Access Control), deep links answered with index.html, /desk/api/*
 * forwarded to the HTTP API on the same origin, security headers, logs, and the app's
 * config.json written at deploy with the pool's client.
 */

const desk = deskStack();
const { resources, logicalId, users, hosting } = desk;
const clientId = logicalId(users.client);
const resolve = (value: unknown) => desk.stack.resolve(value);

describe("the desk's hosting (DeskHosting)", () => {
	const bucketId = logicalId(hosting.bucket);
	const distributionId = logicalId(hosting.distribution);
	const distribution = (resources[distributionId] as Resource).Properties.DistributionConfig as Json;
	type Behavior = Json & { PathPattern?: string; TargetOriginId?: string };
	const defaultBehavior = distribution.DefaultCacheBehavior as Behavior;
	const behaviors = distribution.CacheBehaviors as Behavior[];
	const origins = distribution.Origins as (Json & { Id: string })[];
	const originOf = (behavior: Behavior) => origins.find((o) => o.Id === behavior.TargetOriginId);

	it("keeps the app in a private, encrypted, logged bucket that refuses plain HTTP", () => {
		expect((resources[bucketId] as Resource).Properties).toMatchObject({
			BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
			PublicAccessBlockConfiguration: {
				BlockPublicAcls: true,
				BlockPublicPolicy: true,
				IgnorePublicAcls: true,
				RestrictPublicBuckets: true,
			},
			LoggingConfiguration: {
				DestinationBucketName: { Ref: logicalId(desk.stack.node.findChild("AccessLogs")) },
				LogFilePrefix: "desk-app/",
			},
		});
	});

	it("lets the bucket be read by this distribution only, through its Origin Access Control (not an OAI)", () => {
		const [, policy] = ofType(resources, "AWS::S3::BucketPolicy").find(
			([, r]) => JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
		) as [string, Resource];
		const allows = statementsOf(policy).filter((st) => st.Effect === "Allow");
		expect(allows).toEqual([
			{
				Effect: "Allow",
				Action: "s3:GetObject",
				Principal: { Service: "cloudfront.amazonaws.com" },
				Resource: { "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, "/*"]] },
				Condition: {
					StringEquals: {
						"AWS:SourceArn": {
							"Fn::Join": [
								"",
								["arn:", { Ref: "AWS::Partition" }, ":cloudfront::", { Ref: "AWS::AccountId" }, ":distribution/", { Ref: distributionId }],
							],
						},
					},
				},
			},
		]);
		const [oacId, oac] = only(resources, "AWS::CloudFront::OriginAccessControl");
		expect(oac.OriginAccessControlConfig).toMatchObject({
			OriginAccessControlOriginType: "s3",
			SigningBehavior: "always",
			SigningProtocol: "sigv4",
		});
		expect(originOf(defaultBehavior)).toMatchObject({
			DomainName: { "Fn::GetAtt": [bucketId, "RegionalDomainName"] },
			OriginAccessControlId: { "Fn::GetAtt": [oacId, "Id"] },
			S3OriginConfig: { OriginAccessIdentity: "" },
		});
		expect(ofType(resources, "AWS::CloudFront::CloudFrontOriginAccessIdentity")).toEqual([]);
	});

	it("leaves no bucket of the stack public", () => {
		expect(ofType(resources, "AWS::S3::Bucket").length).toBe(3);
		expect(publicBuckets(resources)).toEqual([]);
	});

	it("serves desk/index.html at the root and answers deep links with index.html, by a function on the app's behaviour only", () => {
		expect(distribution.DefaultRootObject).toBe("desk/index.html");
		// Error responses would apply to the API's behaviour too, turning its 401s and 404s into the app's page.
		expect(distribution).not.toHaveProperty("CustomErrorResponses");
		const [functionId, fn] = only(resources, "AWS::CloudFront::Function");
		expect(defaultBehavior.FunctionAssociations).toEqual([
			{ EventType: "viewer-request", FunctionARN: { "Fn::GetAtt": [functionId, "FunctionARN"] } },
		]);
		expect(behaviors.every((b) => b.FunctionAssociations === undefined)).toBe(true);

		const handler = new Function(`${fn.FunctionCode}; return handler;`)() as (event: unknown) => Json;
		const answer = (uri: string) => {
			const result = handler({ request: { uri, method: "GET", headers: {} } });
			return "statusCode" in result ? `${result.statusCode} ${JSON.stringify(result.headers ?? {})}` : result.uri;
		};
		expect(answer("/desk/invoices/INV-2026-000042")).toBe("/desk/index.html");
		expect(answer("/desk/")).toBe("/desk/index.html");
		expect(answer("/desk/accounts/acme-01")).toBe("/desk/index.html");
		expect(answer("/desk/users/alice@example.com")).toBe("/desk/index.html");
		expect(answer("/desk/app.js")).toBe("/desk/app.js");
		expect(answer("/desk/config.json")).toBe("/desk/config.json");
		expect(answer("/")).toBe('302 {"location":{"value":"/desk/"}}');
		expect(answer("/desk")).toBe('302 {"location":{"value":"/desk/"}}');
		expect(answer("/admin.php")).toBe("404 {}");
	});

	it("forwards /desk/api/* to the HTTP API on the same origin: HTTPS and TLS 1.2 to it, every method, nothing cached, the token passed on", () => {
		expect(behaviors.map((b) => b.PathPattern)).toEqual(["/desk/api/*"]);
		const [api] = behaviors as [Behavior];
		expect(api).toMatchObject({
			ViewerProtocolPolicy: "https-only",
			AllowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
			CachePolicyId: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", // Managed-CachingDisabled
			OriginRequestPolicyId: "b689b0a8-53d0-40ab-baf2-68738e2966ac", // Managed-AllViewerExceptHostHeader
		});
		const [apiId] = only(resources, "AWS::ApiGatewayV2::Api");
		expect(originOf(api)).toMatchObject({
			DomainName: { "Fn::Join": ["", [{ Ref: apiId }, ".execute-api.", { Ref: "AWS::Region" }, ".", { Ref: "AWS::URLSuffix" }]] },
			CustomOriginConfig: { OriginProtocolPolicy: "https-only", OriginSSLProtocols: ["TLSv1.2"] },
		});
		expect(defaultBehavior).toMatchObject({ ViewerProtocolPolicy: "redirect-to-https", AllowedMethods: ["GET", "HEAD"] });
	});

	it("adds the security headers to every answer, the app's and the API's", () => {
		const [policyId, policy] = only(resources, "AWS::CloudFront::ResponseHeadersPolicy");
		for (const behavior of [defaultBehavior, ...behaviors]) expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
		const headers = (policy.ResponseHeadersPolicyConfig as Json).SecurityHeadersConfig as Json;
		expect(headers).toMatchObject({
			ContentTypeOptions: { Override: true },
			FrameOptions: { FrameOption: "DENY", Override: true },
			ReferrerPolicy: { ReferrerPolicy: "no-referrer", Override: true },
			StrictTransportSecurity: { AccessControlMaxAgeSec: 63072000, IncludeSubdomains: true, Override: true },
		});
		const csp = JSON.stringify((headers.ContentSecurityPolicy as Json).ContentSecurityPolicy);
		expect(csp).toContain("script-src 'self';");
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).toContain("connect-src 'self' https://cognito-idp.");
		// The same policy the embedded front sends (shared/desk/page-headers.ts), with the deployed origins.
		const [, parts] = (headers.ContentSecurityPolicy as { ContentSecurityPolicy: { "Fn::Join": [string, unknown[]] } })
			.ContentSecurityPolicy["Fn::Join"];
		const written = parts
			.map((part) => (typeof part === "string" ? part : JSON.stringify(part) === '{"Ref":"AWS::Region"}' ? "REGION" : "amazonaws.com"))
			.join("");
		expect(written).toBe(
			deskContentSecurityPolicy({ userPool: "https://cognito-idp.REGION.amazonaws.com", documents: "https://documents.example.com" }),
		);
		expect(
			Object.fromEntries(
				((policy.ResponseHeadersPolicyConfig as Json).CustomHeadersConfig as { Items: { Header: string; Value: string }[] }).Items.map(
					(h) => [h.Header, h.Value],
				),
			),
		).toEqual({ "Permissions-Policy": DESK_PERMISSIONS_POLICY });
	});

	it("logs every request to a bucket of its own, and holds viewers to TLS 1.2 when it has a domain of yours", () => {
		expect(distribution.Logging).toEqual({
			Bucket: { "Fn::GetAtt": [logicalId(hosting.logBucket), "RegionalDomainName"] },
			Prefix: "desk/",
		});
		expect(distribution.HttpVersion).toBe("http2and3");

		const own = deskStack({ domain: "desk.example.com" });
		const [, ownDistribution] = only(own.resources, "AWS::CloudFront::Distribution");
		expect(ownDistribution.DistributionConfig).toMatchObject({
			Aliases: ["desk.example.com"],
			ViewerCertificate: { AcmCertificateArn: CERTIFICATE_ARN, MinimumProtocolVersion: "TLSv1.2_2021", SslSupportMethod: "sni-only" },
		});
		expect(own.hosting.url).toBe("https://desk.example.com/desk/");
		// cdk-nag's CFR4 is acknowledged only on the default *.cloudfront.net certificate.
		const acknowledgesCfr4 = (d: DeskHosting) =>
			d.distribution.node.metadata
				.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
				.flatMap((m) => Object.keys(m.data as Json))
				.some((rule) => rule.endsWith("AwsSolutions-CFR4"));
		expect(acknowledgesCfr4(hosting)).toBe(true);
		expect(acknowledgesCfr4(own.hosting)).toBe(false);
	});

	it("writes config.json beside the app at deploy: the API on the same origin, the pool's endpoint, region and client id", () => {
		const [, deployment] = only(resources, "Custom::CDKBucketDeployment");
		expect(deployment).toMatchObject({
			DestinationBucketName: { Ref: bucketId },
			DestinationBucketKeyPrefix: "desk/",
			Prune: false,
			SystemMetadata: { "cache-control": "no-cache" },
		});
		const keys = deployment.SourceObjectKeys as string[];
		const markers = deployment.SourceMarkers as Record<string, unknown>[];
		const configIndex = keys.findIndex((_, i) => Object.keys(markers[i] ?? {}).length > 0);
		const asset = join(desk.app.outdir, `asset.${String(keys[configIndex]).replace(/\.zip$/, "")}`);
		const withValues = (value: unknown): unknown => {
			if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withValues(v)]));
			const text = String(value);
			const whole = markers[configIndex]?.[text];
			if (whole !== undefined) return whole;
			return text.replace(/<<marker:0xbaba:\d+>>/g, (marker) => JSON.stringify(markers[configIndex]?.[marker]));
		};
		expect(withValues(JSON.parse(readFileSync(join(asset, "config.json"), "utf8")))).toEqual({
			apiBase: "/desk/api",
			userPool: {
				endpoint: 'https://cognito-idp.{"Ref":"AWS::Region"}.{"Ref":"AWS::URLSuffix"}/',
				region: { Ref: "AWS::Region" },
				clientId: { Ref: clientId },
			},
		});
		const app = join(desk.app.outdir, `asset.${String(keys[1 - configIndex]).replace(/\.zip$/, "")}`);
		expect(readFileSync(join(app, "index.html"), "utf8")).toContain('src="/desk/app.js"');
	});

	it("deploys through a role that may read the CDK assets, list the bucket and put the app's files: no delete, no S3 wildcard action", () => {
		const [, deployment] = only(resources, "Custom::CDKBucketDeployment");
		const [assetsBucket] = deployment.SourceBucketNames as [unknown];
		const roleId = logicalId(hosting.node.findChild("DeploymentRole"));
		const statements = ofType(resources, "AWS::IAM::Policy")
			.filter(([, r]) => JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
			.flatMap(([, r]) => statementsOf(r));
		expect(statements.map((st) => [st.Action, st.Resource])).toEqual([
			[["logs:CreateLogStream", "logs:PutLogEvents"], { "Fn::GetAtt": [logicalId(hosting.node.findChild("DeploymentLogGroup")), "Arn"] }],
			["s3:GetObject", { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":s3:::", assetsBucket, "/*"]] }],
			["s3:ListBucket", { "Fn::GetAtt": [bucketId, "Arn"] }],
			["s3:PutObject", { "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, "/desk/*"]] }],
		]);
		const handlers = ofType(resources, "AWS::Lambda::Function").filter(([id]) => id.startsWith("CustomCDKBucketDeployment"));
		expect(handlers.map(([, r]) => r.Properties.Role)).toEqual([{ "Fn::GetAtt": [roleId, "Arn"] }]);
	});

	it("is its https URL + /desk/", () => {
		expect(resolve(hosting.url)).toEqual({ "Fn::Join": ["", ["https://", { "Fn::GetAtt": [distributionId, "DomainName"] }, "/desk/"]] });
	});
});
