import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import type * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import type * as cognito from "aws-cdk-lib/aws-cognito";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as s3assets from "aws-cdk-lib/aws-s3-assets";
import * as s3deploy from "aws-cdk-lib/aws-s3-deployment";
import { Construct } from "constructs";
import { DESK_PERMISSIONS_POLICY, deskContentSecurityPolicy } from "../../shared/desk/page-headers.js";
import { acknowledge, wildcardResource } from "../nag.js";
import { DeskApi } from "./desk-api.js";

export interface DeskHostingProps {
	/** The built app (desk/build.ts `buildDesk({ outdir })`): index.html and its files, served under /desk/. */
	readonly appDir: string;
	/** The HTTP API holding the desk routes (infra/constructs/desk-api.ts); /desk/api/* is forwarded to it. */
	readonly api: apigw.IHttpApi;
	/** The desk's app client, named in the app's config.json. */
	readonly userPoolClient: cognito.IUserPoolClient;
	/** Where invoice PDFs are served (the document links' distribution): the invoice page shows one inline from there. */
	readonly documentsOrigin: string;
	/** Where the app bucket and the log bucket write their server access logs (cdk-nag S1). */
	readonly accessLogsBucket: s3.IBucket;
	/**
	 * Your own domain for the desk, with its ACM certificate (in us-east-1). Only then can viewers be
	 * held to TLS 1.2 or later: on the default *.cloudfront.net name CloudFront fixes the policy.
	 * @default the distribution's *.cloudfront.net name
	 */
	readonly domain?: { readonly name: string; readonly certificate: acm.ICertificate };
	/** Days to keep the distribution's request logs. @default 365 */
	readonly logRetentionDays?: number;
}

/** What the app reads at start (`/desk/config.json`): where the API is and which pool signs it in. */
export interface DeskAppConfig {
	readonly apiBase: string;
	readonly userPool: { readonly endpoint: string; readonly region: string; readonly clientId: string };
}

/** Where the app lives on the distribution, and its folder in the bucket. */
const APP_PATH = "/desk/";
const APP_FOLDER = "desk/";

/** Files the app is built to; any other path under /desk/ is one of the app's routes. */
const APP_ROUTING_FUNCTION = `var FILE = /\\.(html|js|mjs|css|map|json|txt|svg|png|jpg|gif|ico|webmanifest|woff2?|ttf)$/;
function handler(event) {
	var request = event.request;
	var uri = request.uri;
	if (uri === "/" || uri === "/desk") {
		return { statusCode: 302, statusDescription: "Found", headers: { location: { value: "${APP_PATH}" } } };
	}
	if (uri.indexOf("${APP_PATH}") !== 0) return { statusCode: 404, statusDescription: "Not Found" };
	if (!FILE.test(uri)) request.uri = "${APP_PATH}index.html";
	return request;
}`;

/**
 * The web desk in the browser (DESIGN.md section 12): the built app in a private bucket, served by
 * a CloudFront distribution through an Origin Access Control, which also forwards /desk/api/* to
 * the HTTP API. One origin for the app and its API: no CORS, no preflight per call, and the
 * browser's same-origin rules apply to the tokens.
 *
 * A deep link (/desk/invoices/INV-2026-000042) gets index.html from a viewer-request function on
 * the app's behaviour only. Custom error responses (403/404 to index.html) would do the same for
 * the whole distribution, and so would also turn the API's 401s, 403s and 404s into the app's page.
 */
export class DeskHosting extends Construct {
	readonly bucket: s3.Bucket;
	readonly logBucket: s3.Bucket;
	readonly distribution: cloudfront.Distribution;
	readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
	readonly deployment: s3deploy.BucketDeployment;
	/** What the deployment writes to /desk/config.json. */
	readonly appConfig: DeskAppConfig;
	/** https://<domain>/desk/ */
	readonly url: string;

	constructor(scope: Construct, id: string, props: DeskHostingProps) {
		super(scope, id);
		const stack = Stack.of(this);
		const cognitoIdp = `https://cognito-idp.${stack.region}.${stack.urlSuffix}`;

		this.bucket = new s3.Bucket(this, "AppBucket", {
			encryption: s3.BucketEncryption.S3_MANAGED,
			enforceSSL: true,
			blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
			objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
			removalPolicy: RemovalPolicy.RETAIN,
			serverAccessLogsBucket: props.accessLogsBucket,
			serverAccessLogsPrefix: "desk-app/",
		});
		this.logBucket = new s3.Bucket(this, "LogBucket", {
			encryption: s3.BucketEncryption.S3_MANAGED,
			enforceSSL: true,
			blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
			// CloudFront's standard logs are delivered with an ACL, so the bucket must have ACLs enabled.
			objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
			removalPolicy: RemovalPolicy.RETAIN,
			serverAccessLogsBucket: props.accessLogsBucket,
			serverAccessLogsPrefix: "desk-logs/",
			lifecycleRules: [{ expiration: Duration.days(props.logRetentionDays ?? 365) }],
		});

		this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, "SecurityHeaders", {
			comment: "The web desk: its own files and scripts only, talking to its API and the Cognito user pool",
			securityHeadersBehavior: {
				contentSecurityPolicy: {
					contentSecurityPolicy: deskContentSecurityPolicy({ userPool: cognitoIdp, documents: props.documentsOrigin }),
					override: true,
				},
				contentTypeOptions: { override: true },
				frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
				referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
				strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
			},
			customHeadersBehavior: {
				customHeaders: [{ header: "Permissions-Policy", value: DESK_PERMISSIONS_POLICY, override: true }],
			},
		});

		const appRouting = new cloudfront.Function(this, "AppRouting", {
			code: cloudfront.FunctionCode.fromInline(APP_ROUTING_FUNCTION),
			runtime: cloudfront.FunctionRuntime.JS_2_0,
			comment: "The desk's routes get index.html; / goes to /desk/; other paths are not found",
		});
		const apiOrigin = new origins.HttpOrigin(`${props.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
			protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
			originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
		});
		this.distribution = new cloudfront.Distribution(this, "Distribution", {
			comment: "Billing: the web desk (the app from S3, /desk/api/* to the HTTP API)",
			defaultRootObject: `${APP_FOLDER}index.html`,
			defaultBehavior: {
				origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
				viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
				allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
				cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
				responseHeadersPolicy: this.responseHeadersPolicy,
				functionAssociations: [{ function: appRouting, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
			},
			additionalBehaviors: {
				[`${DeskApi.BASE_PATH}/*`]: {
					origin: apiOrigin,
					viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
					allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
					// Never cached; with caching off, this policy forwards the Authorization header too.
					cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
					originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
					responseHeadersPolicy: this.responseHeadersPolicy,
				},
			},
			httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
			...(props.domain
				? {
						domainNames: [props.domain.name],
						certificate: props.domain.certificate,
						minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
					}
				: {}),
			enableLogging: true,
			logBucket: this.logBucket,
			logFilePrefix: "desk/",
		});
		acknowledge(
			this.distribution,
			{
				id: "AwsSolutions-CFR1",
				reason:
					"The billing team signs in from wherever it works; every API call needs a token of the desk's user pool, so a country list would add nothing but refusals.",
			},
			{
				id: "AwsSolutions-CFR2",
				reason:
					"The distribution serves static files and forwards /desk/api/* to an API that refuses any request without a valid token of the desk's pool; Cognito's threat protection guards the sign-in. Attach a web ACL if your policy asks for one.",
			},
		);
		if (!props.domain) {
			acknowledge(this.distribution, {
				id: "AwsSolutions-CFR4",
				reason:
					"Without a domain of your own the distribution has CloudFront's default *.cloudfront.net certificate, whose security policy CloudFront fixes; give DeskHosting a domain and certificate to hold viewers to TLS 1.2 (viewers are held to HTTPS either way).",
			});
		}

		this.appConfig = {
			apiBase: DeskApi.BASE_PATH,
			userPool: { endpoint: `${cognitoIdp}/`, region: stack.region, clientId: props.userPoolClient.userPoolClientId },
		};
		this.deployment = this.deploy(props.appDir);
		this.url = `https://${props.domain?.name ?? this.distribution.distributionDomainName}${APP_PATH}`;
	}

	/**
	 * Copies the build and config.json under desk/ at deploy time. Every file is served `no-cache`
	 * (revalidated by ETag), so a deploy shows at once without an invalidation. Old files stay
	 * (no prune): the deployment may put objects and list the bucket, nothing else, through a role
	 * of its own whose grants are exactly the statements below.
	 */
	private deploy(appDir: string): s3deploy.BucketDeployment {
		const app = new s3assets.Asset(this, "App", { path: appDir });
		const logGroup = new logs.LogGroup(this, "DeploymentLogGroup", { retention: logs.RetentionDays.ONE_MONTH });
		const role = new iam.Role(this, "DeploymentRole", {
			assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
			description: "Deploy time: copies the built web desk and its config.json into the desk's bucket",
		});
		logGroup.grantWrite(role);
		const assets = app.bucket.arnForObjects("*");
		role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: [assets] }));
		role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [this.bucket.bucketArn] }));
		const appObjects = this.bucket.arnForObjects(`${APP_FOLDER}*`);
		role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ["s3:PutObject"], resources: [appObjects] }));
		acknowledge(
			role,
			wildcardResource(
				this,
				assets,
				"The CDK bootstrap bucket's file assets: the deployment reads the zipped build and config.json CDK uploaded there (their keys are content hashes); read only.",
			),
			wildcardResource(this, appObjects, "The app's files under desk/ in the desk's own bucket: put only, no delete."),
		);

		const deployment = new s3deploy.BucketDeployment(this, "Deployment", {
			sources: [s3deploy.Source.bucket(app.bucket, app.s3ObjectKey), s3deploy.Source.jsonData("config.json", this.appConfig)],
			destinationBucket: this.bucket,
			destinationKeyPrefix: APP_FOLDER,
			prune: false,
			cacheControl: [s3deploy.CacheControl.noCache()],
			// CDK's own grants (s3:*Object*, s3:List* and a delete) are replaced by the role's statements above.
			role: role.withoutPolicyUpdates(),
			logGroup,
		});
		// CDK's handler function is a singleton of the stack, not a child of the deployment.
		const handler = deployment.node.findChild("CustomResourceHandler") as lambda.SingletonFunction;
		acknowledge(Stack.of(this).node.findChild(handler.constructName), {
			id: "AwsSolutions-L1",
			reason:
				"CDK's BucketDeployment handler (Python, with the AWS CLI layer): aws-cdk-lib sets and upgrades its runtime; it runs at deploy time only, with the role above.",
		});
		return deployment;
	}
}
