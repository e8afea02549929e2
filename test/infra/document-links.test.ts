import { readFileSync } from "node:fs";
import type { CfnElement } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { documentObjects, functionCatalog } from "../../functions/catalog.js";
import { buildBillingApp } from "../../infra/billing-app.js";
import { stubDeskAppDir } from "../support/desk-stack.js";

/**
 * DESIGN.md section 15: a link in an email works for as long as the email says. Deployed, the
 * invoice email links a CloudFront signed URL: a distribution in front of the bucket (Origin
 * Access Control), behaviours for the issued documents only, each requiring a URL signed with
 * the key group's key, whose private half lives in Secrets Manager and is read by the
 * functions that email links, and by no one else.
 */

type Json = Record<string, unknown>;
type Statement = { Sid?: string; Action: string | string[]; Effect: string; Resource: unknown; Principal?: unknown; Condition?: Json };

const cdkJson = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as { context: Json };
const { app, stack, nag } = buildBillingApp({
	deskAppDir: stubDeskAppDir(),
	context: { ...cdkJson.context, "aws:cdk:bundling-stacks": [] },
});
// Synthesizes the app, which runs cdk-nag: unacknowledged findings throw here.
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json; DeletionPolicy?: string }>;

function logicalId(construct: IConstruct): string {
	return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** The document links' one resource of a type (the desk's distribution and its access control are the stack's others). */
function only(type: string): [string, Json] {
	const found = Object.entries(resources).filter(([id, r]) => r.Type === type && id.startsWith("DocumentLinks"));
	expect(found, `exactly one ${type}`).toHaveLength(1);
	const [id, resource] = found[0] as [string, { Properties: Json }];
	return [id, resource.Properties];
}

const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const resourcesOf = (st: Statement) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]);

const [distributionId, distributionProperties] = only("AWS::CloudFront::Distribution");
const distribution = distributionProperties.DistributionConfig as Json;
const [keyGroupId, keyGroup] = only("AWS::CloudFront::KeyGroup");
const [publicKeyId] = only("AWS::CloudFront::PublicKey");
const secretId = logicalId(stack.documentLinks.privateKeySecret);
const bucketId = logicalId(stack.data.bucket);
const documentKeys = Object.values(documentObjects).map((o) => o.keys);
const documentArns = documentKeys.map((keys) => ({ "Fn::Join": ["", [{ "Fn::GetAtt": [bucketId, "Arn"] }, `/${keys}`]] }));

type Behavior = Json & { PathPattern?: string; TrustedKeyGroups?: unknown[]; ViewerProtocolPolicy?: string };
const defaultBehavior = distribution.DefaultCacheBehavior as Behavior;
const behaviors = (distribution.CacheBehaviors ?? []) as Behavior[];

function functionVariables(catalogId: string): Json {
	const fn = resources[logicalId(stack.functions[catalogId]?.function as IConstruct)];
	return ((fn?.Properties.Environment as { Variables: Json } | undefined)?.Variables ?? {}) as Json;
}

/** Every (policy, statement) of the stack's IAM policies. */
const iamStatements = Object.entries(resources)
	.filter(([, r]) => r.Type === "AWS::IAM::Policy")
	.flatMap(([id, r]) =>
		((r.Properties.PolicyDocument as { Statement: Statement[] }).Statement ?? []).map((st) => [id, r.Properties, st] as const),
	);

describe("the document links' CloudFront distribution", () => {
	it("has one origin, the billing bucket, reached through an Origin Access Control that signs every request", () => {
		const origins = distribution.Origins as Json[];
		expect(origins).toHaveLength(1);
		const [oacId, oac] = only("AWS::CloudFront::OriginAccessControl");
		expect(oac.OriginAccessControlConfig).toMatchObject({
			OriginAccessControlOriginType: "s3",
			SigningBehavior: "always",
			SigningProtocol: "sigv4",
		});
		expect(origins[0]).toMatchObject({
			DomainName: { "Fn::GetAtt": [bucketId, "RegionalDomainName"] },
			OriginAccessControlId: { "Fn::GetAtt": [oacId, "Id"] },
			S3OriginConfig: { OriginAccessIdentity: "" },
		});
	});

	it("has a behaviour for each issued-document folder (invoices, credit memos, statements) and no other path", () => {
		expect(behaviors.map((b) => b.PathPattern).sort()).toEqual([...documentKeys].sort());
	});

	it("requires a URL signed with the key group's key on every behaviour, the default one included, over HTTPS only, for GET and HEAD", () => {
		for (const behavior of [defaultBehavior, ...behaviors]) {
			expect(behavior.TrustedKeyGroups, behavior.PathPattern ?? "default").toEqual([{ Ref: keyGroupId }]);
			expect(behavior.ViewerProtocolPolicy, behavior.PathPattern ?? "default").toBe("https-only");
			expect(behavior).not.toHaveProperty("TrustedSigners");
			expect([...((behavior.AllowedMethods as string[] | undefined) ?? ["GET", "HEAD"])].sort()).toEqual(["GET", "HEAD"]);
		}
		expect(keyGroup.KeyGroupConfig).toMatchObject({ Items: [{ Ref: publicKeyId }] });
	});

	it("refuses everything outside the document folders in its default behaviour: a viewer-request function answers 403", () => {
		const associations = defaultBehavior.FunctionAssociations as { EventType: string; FunctionARN: { "Fn::GetAtt": [string, string] } }[];
		expect(associations).toHaveLength(1);
		expect(associations[0]?.EventType).toBe("viewer-request");
		const fn = resources[associations[0]?.FunctionARN["Fn::GetAtt"][0] as string];
		expect(fn?.Type).toBe("AWS::CloudFront::Function");
		expect(String(fn?.Properties.FunctionCode)).toMatch(/statusCode:\s*403/);
		for (const behavior of behaviors) expect(behavior, behavior.PathPattern).not.toHaveProperty("FunctionAssociations");
	});

	it("logs every request to its own log bucket, which keeps the logs private and refuses plain HTTP", () => {
		const logging = distribution.Logging as { Bucket: { "Fn::GetAtt": [string, string] } };
		const logBucketId = logging.Bucket["Fn::GetAtt"][0];
		expect(logBucketId).not.toBe(bucketId);
		expect(resources[logBucketId]?.Properties).toMatchObject({
			PublicAccessBlockConfiguration: {
				BlockPublicAcls: true,
				BlockPublicPolicy: true,
				IgnorePublicAcls: true,
				RestrictPublicBuckets: true,
			},
		});
	});
});

describe("the billing bucket's policy", () => {
	const [, policy] = Object.entries(resources).find(
		([, r]) => r.Type === "AWS::S3::BucketPolicy" && JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: bucketId }),
	) as [string, { Properties: Json }];
	const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;

	it("lets only the distribution (its Origin Access Control) read, and only the issued documents", () => {
		const allows = statements.filter((st) => st.Effect === "Allow");
		expect(allows).toHaveLength(1);
		const [allow] = allows as [Statement];
		expect(allow.Principal).toEqual({ Service: "cloudfront.amazonaws.com" });
		expect(actionsOf(allow)).toEqual(["s3:GetObject"]);
		expect(resourcesOf(allow)).toEqual(expect.arrayContaining(documentArns));
		expect(resourcesOf(allow)).toHaveLength(documentArns.length);
		expect(allow.Condition).toEqual({
			StringEquals: {
				"AWS:SourceArn": {
					"Fn::Join": [
						"",
						["arn:", { Ref: "AWS::Partition" }, ":cloudfront::", { Ref: "AWS::AccountId" }, ":distribution/", { Ref: distributionId }],
					],
				},
			},
		});
	});

	it("keeps its denies: no plain HTTP, no overwrite and no delete of a document", () => {
		const denies = statements.filter((st) => st.Effect === "Deny");
		expect(denies.map((st) => st.Sid ?? actionsOf(st).join()).sort()).toEqual([
			"DenyDeletingDocuments",
			"DenyOverwritingDocuments",
			"s3:*",
		]);
	});
});

describe("the signing key", () => {
	it("keeps its private half in a Secrets Manager secret the stack retains", () => {
		expect(resources[secretId]?.Type).toBe("AWS::SecretsManager::Secret");
		expect(resources[secretId]?.DeletionPolicy).toBe("Retain");
	});

	it("is generated at deploy time by a custom resource that puts the private key in that secret and hands CloudFront the public key", () => {
		const [customId, custom] = Object.entries(resources).find(([, r]) =>
			JSON.stringify(r.Properties ?? {}).includes(`"SecretArn":{"Ref":"${secretId}"}`),
		) as [string, { Type: string }];
		expect(custom.Type).toBe("Custom::DocumentLinkKey");
		template.hasResourceProperties("AWS::CloudFront::PublicKey", {
			PublicKeyConfig: { EncodedKey: { "Fn::GetAtt": [customId, "PublicKey"] } },
		});
	});

	it("may be read (GetSecretValue, nothing else) by the functions that email document links and the key's own generator only", () => {
		const readers = iamStatements.filter(
			([, , st]) => st.Effect === "Allow" && JSON.stringify(st.Resource).includes(`"Ref":"${secretId}"`),
		);
		const signing = functionCatalog.filter((f) => f.signsDocumentLinks).map((f) => f.id);
		expect(signing).toEqual(["DeliverInvoices", "DeskApi"]);
		const roleOf = (catalogId: string) => {
			const role = resources[logicalId(stack.functions[catalogId]?.function as IConstruct)]?.Properties.Role as {
				"Fn::GetAtt": [string, string];
			};
			return role["Fn::GetAtt"][0];
		};
		const generatorRole = logicalId(stack.documentLinks.keyFunction.role as IConstruct);
		const byRole = new Map<string, string[]>();
		for (const [, properties, st] of readers) {
			for (const role of properties.Roles as { Ref: string }[]) byRole.set(role.Ref, [...(byRole.get(role.Ref) ?? []), ...actionsOf(st)]);
		}
		expect([...byRole.keys()].sort()).toEqual([...signing.map(roleOf), generatorRole].sort());
		for (const id of signing) expect(byRole.get(roleOf(id)), id).toEqual(["secretsmanager:GetSecretValue"]);
		expect([...(byRole.get(generatorRole) ?? [])].sort()).toEqual(["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"]);
	});

	it("is named to the functions that email document links, with the distribution's HTTPS address, and to no other function", () => {
		for (const spec of functionCatalog) {
			const variables = functionVariables(spec.id);
			if (!spec.signsDocumentLinks) {
				for (const name of ["DOCUMENT_LINK_BASE_URL", "DOCUMENT_LINK_KEY_PAIR_ID", "DOCUMENT_LINK_PRIVATE_KEY_SECRET_ARN"]) {
					expect(variables, spec.id).not.toHaveProperty(name);
				}
				continue;
			}
			expect(variables).toMatchObject({
				DOCUMENT_LINK_BASE_URL: { "Fn::Join": ["", ["https://", { "Fn::GetAtt": [distributionId, "DomainName"] }]] },
				DOCUMENT_LINK_KEY_PAIR_ID: { Ref: publicKeyId },
				DOCUMENT_LINK_PRIVATE_KEY_SECRET_ARN: { Ref: secretId },
			});
			expect(variables).not.toHaveProperty("DOCUMENT_LINK_PRIVATE_KEY");
		}
	});

	it("passes cdk-nag with a written reason for every acknowledgement", () => {
		const report = nag.validateScope(app);
		expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(", ")}`)).toEqual([]);
	});
});
