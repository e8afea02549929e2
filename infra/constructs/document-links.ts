import { join } from "node:path";
import { Aws, CustomResource, Duration, RemovalPolicy } from "aws-cdk-lib";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as cr from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import { lambdaBundling } from "../bundling.js";
import { acknowledge, wildcardResource } from "../nag.js";
import { repoRoot } from "../paths.js";

export interface DocumentLinksProps {
	/** The billing bucket. */
	readonly bucket: s3.IBucket;
	/** Key patterns of the issued documents (`invoices/*`, ...): the only keys the distribution serves. */
	readonly documentKeys: readonly string[];
	/** Where the distribution's log bucket writes its own server access logs (cdk-nag S1). */
	readonly accessLogsBucket: s3.IBucket;
	/** Days to keep the distribution's request logs. @default 365 */
	readonly logRetentionDays?: number;
}

/**
 * The S3 origin of the issued documents, reached through an Origin Access Control. Unlike
 * `S3BucketOrigin.withOriginAccessControl`, which lets the distribution read every key of the
 * bucket, the bucket policy statement it adds names the document folders only.
 */
class DocumentsOrigin extends origins.S3BucketOrigin {
	constructor(
		private readonly documents: s3.IBucket,
		private readonly accessControl: cloudfront.IOriginAccessControl,
		private readonly keys: readonly string[],
	) {
		super(documents);
	}

	override bind(scope: Construct, options: cloudfront.OriginBindOptions): cloudfront.OriginBindConfig {
		this.documents.addToResourcePolicy(
			new iam.PolicyStatement({
				sid: "AllowDocumentLinksDistribution",
				principals: [new iam.ServicePrincipal("cloudfront.amazonaws.com")],
				actions: ["s3:GetObject"],
				resources: this.keys.map((keys) => this.documents.arnForObjects(keys)),
				conditions: {
					StringEquals: { "AWS:SourceArn": `arn:${Aws.PARTITION}:cloudfront::${Aws.ACCOUNT_ID}:distribution/${options.distributionId}` },
				},
			}),
		);
		const config = this._bind(scope, options);
		return {
			...config,
			originProperty: {
				...(config.originProperty as cloudfront.CfnDistribution.OriginProperty),
				originAccessControlId: this.accessControl.originAccessControlId,
			},
		};
	}
}

/** The default behaviour's answer to every path outside the document folders. */
const DENY_FUNCTION = `async function handler(event) {
	return { statusCode: 403, statusDescription: "Forbidden" };
}`;

/**
 * The links emails carry to issued documents (DESIGN.md section 15): a CloudFront
 * distribution in front of the billing bucket that serves invoices, credit memos and
 * statements, over HTTPS only, to URLs signed with the key group's key and nothing else. A link
 * lives exactly as long as its signed `Expires` says, independent of any role's credentials.
 *
 * The key pair is made at deploy time by a custom resource (infra/handlers/document-link-key.ts):
 * the private key is put into a Secrets Manager secret, read by the functions that email links;
 * the public key becomes the CloudFront public key the key group trusts.
 */
export class DocumentLinks extends Construct {
	readonly privateKeySecret: secretsmanager.Secret;
	readonly keyFunction: NodejsFunction;
	readonly publicKey: cloudfront.PublicKey;
	readonly keyGroup: cloudfront.KeyGroup;
	readonly originAccessControl: cloudfront.S3OriginAccessControl;
	readonly logBucket: s3.Bucket;
	readonly distribution: cloudfront.Distribution;

	constructor(scope: Construct, id: string, props: DocumentLinksProps) {
		super(scope, id);

		this.privateKeySecret = new secretsmanager.Secret(this, "PrivateKey", {
			description:
				"The private key (PEM) the billing functions sign document links (CloudFront signed URLs) with. Generated at deploy time; its public half is the distribution's trusted public key. Replacing it invalidates every link already emailed.",
			removalPolicy: RemovalPolicy.RETAIN,
		});
		acknowledge(this.privateKeySecret, {
			id: "AwsSolutions-SMG4",
			reason:
				"A rotated signing key would break every document link already emailed (they promise 7 days); rotating means adding a second public key to the key group first, which is a deliberate operator step (docs/how-it-works.md), not an automatic rotation.",
		});

		const keyLogGroup = new logs.LogGroup(this, "KeyFunctionLogGroup", { retention: logs.RetentionDays.ONE_MONTH });
		const keyRole = new iam.Role(this, "KeyFunctionRole", {
			assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
			description: "Execution role of the document links' key generator (deploy time only)",
		});
		keyLogGroup.grantWrite(keyRole);
		keyRole.addToPrincipalPolicy(
			new iam.PolicyStatement({
				actions: ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
				resources: [this.privateKeySecret.secretArn],
			}),
		);
		this.keyFunction = new NodejsFunction(this, "KeyFunction", {
			entry: join(repoRoot, "infra", "handlers", "document-link-key.ts"),
			handler: "handler",
			description: "Deploy time: makes the document links' key pair once, the private key into Secrets Manager",
			runtime: lambda.Runtime.NODEJS_22_X,
			architecture: lambda.Architecture.ARM_64,
			memorySize: 256,
			timeout: Duration.seconds(60),
			role: keyRole,
			logGroup: keyLogGroup,
			projectRoot: repoRoot,
			depsLockFilePath: join(repoRoot, "package-lock.json"),
			bundling: lambdaBundling,
		});
		acknowledge(this.keyFunction, {
			id: "AwsSolutions-L1",
			reason:
				"Node.js 22.x is the runtime the project pins and bundles for (esbuild target node22), as for every function of the stack; moving to a newer runtime is a deliberate, tested upgrade.",
		});

		const providerLogGroup = new logs.LogGroup(this, "KeyProviderLogGroup", { retention: logs.RetentionDays.ONE_MONTH });
		const provider = new cr.Provider(this, "KeyProvider", { onEventHandler: this.keyFunction, logGroup: providerLogGroup });
		acknowledge(
			provider,
			{
				id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
				reason:
					"CDK's custom resource Provider framework builds its own small function with the basic execution role (its logs only); it runs at deploy time and only invokes the key generator.",
			},
			wildcardResource(
				this,
				`${this.keyFunction.functionArn}:*`,
				"The Provider framework invokes the key generator function and any of its versions (CDK's own grant); that one function only.",
			),
		);
		const key = new CustomResource(this, "Key", {
			serviceToken: provider.serviceToken,
			resourceType: "Custom::DocumentLinkKey",
			properties: { SecretArn: this.privateKeySecret.secretArn },
		});

		this.publicKey = new cloudfront.PublicKey(this, "PublicKey", {
			encodedKey: key.getAttString("PublicKey"),
			comment: "Checks the signature of the billing system's document links",
		});
		this.keyGroup = new cloudfront.KeyGroup(this, "KeyGroup", {
			items: [this.publicKey],
			comment: "The keys document links may be signed with",
		});

		this.logBucket = new s3.Bucket(this, "LogBucket", {
			encryption: s3.BucketEncryption.S3_MANAGED,
			enforceSSL: true,
			blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
			// CloudFront's standard logs are delivered with an ACL, so the bucket must have ACLs enabled.
			objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
			removalPolicy: RemovalPolicy.RETAIN,
			serverAccessLogsBucket: props.accessLogsBucket,
			serverAccessLogsPrefix: "document-link-logs/",
			lifecycleRules: [{ expiration: Duration.days(props.logRetentionDays ?? 365) }],
		});

		this.originAccessControl = new cloudfront.S3OriginAccessControl(this, "OriginAccessControl", {
			description: "The document links' distribution reads the issued documents of the billing bucket",
			signing: cloudfront.Signing.SIGV4_ALWAYS,
		});
		const origin = new DocumentsOrigin(props.bucket, this.originAccessControl, props.documentKeys);
		const signedOnly: cloudfront.BehaviorOptions = {
			origin,
			viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
			allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
			trustedKeyGroups: [this.keyGroup],
			// Issued documents never change; the signing parameters are not part of the cache key.
			cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
		};
		const deny = new cloudfront.Function(this, "DenyOtherPaths", {
			code: cloudfront.FunctionCode.fromInline(DENY_FUNCTION),
			runtime: cloudfront.FunctionRuntime.JS_2_0,
			comment: "Answers 403 to every path but the issued documents",
		});
		this.distribution = new cloudfront.Distribution(this, "Distribution", {
			comment: "Billing: issued documents (invoices, credit memos, statements) to signed URLs only",
			defaultBehavior: {
				...signedOnly,
				functionAssociations: [{ function: deny, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
			},
			additionalBehaviors: Object.fromEntries(props.documentKeys.map((keys) => [keys, signedOnly])),
			httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
			enableLogging: true,
			logBucket: this.logBucket,
			logFilePrefix: "document-links/",
		});
		acknowledge(
			this.distribution,
			{
				id: "AwsSolutions-CFR1",
				reason:
					"Customers may be anywhere; every request must carry a valid signature, so a geo restriction would add nothing but refusals.",
			},
			{
				id: "AwsSolutions-CFR2",
				reason:
					"Every behaviour requires a URL signed with the key group's key and serves only issued documents; CloudFront refuses unsigned requests before any origin is reached. Attach a web ACL if your policy asks for one.",
			},
			{
				id: "AwsSolutions-CFR4",
				reason:
					"The distribution uses CloudFront's default *.cloudfront.net certificate (no custom domain is configured), whose security policy CloudFront fixes; viewers are held to HTTPS only.",
			},
		);
	}

	/** The address document links start with (DOCUMENT_LINK_BASE_URL). */
	get baseUrl(): string {
		return `https://${this.distribution.distributionDomainName}`;
	}

	/** Lets a function sign document links: GetSecretValue on the private key's secret, nothing else. */
	grantSign(grantee: iam.IGrantable): void {
		grantee.grantPrincipal.addToPrincipalPolicy(
			new iam.PolicyStatement({ actions: ["secretsmanager:GetSecretValue"], resources: [this.privateKeySecret.secretArn] }),
		);
	}
}
