import { Duration } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpMethod, PayloadFormatVersion } from "aws-cdk-lib/aws-apigatewayv2";
import { HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as cognito from "aws-cdk-lib/aws-cognito";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { userPoolIssuer } from "./desk-users.js";
import { alarmOnAny, loggedDefaultStage } from "./operations.js";

export interface DeskApiProps {
	/** Steady-state requests per second on the desk API's stage. */
	readonly rateLimit: number;
	/** Burst of requests on the desk API's stage. */
	readonly burstLimit: number;
	/** The DeskApi function: every desk route, behind the authorizer. */
	readonly handler: lambda.IFunction;
	/** The pool whose access tokens the routes accept. */
	readonly userPool: cognito.IUserPool;
	/** The desk app's client: the tokens' audience (`client_id`). */
	readonly userPoolClient: cognito.IUserPoolClient;
	/** Where the alarm on the API's 5xx answers goes. */
	readonly alarmTopic: sns.ITopic;
}

/**
 * The desk API's routes (DESIGN.md section 12): everything under /desk/api goes to one function,
 * and API Gateway lets no request through without an access token of the desk's pool, issued to
 * its app client (issuer, audience, scope, expiry, signature against the pool's JWKS). The function then
 * checks the caller's group for each operation.
 *
 * No CORS and no OPTIONS route: the app calls the API through its own CloudFront distribution
 * (infra/constructs/desk-hosting.ts, same origin), so a browser never sends a preflight.
 */
export class DeskApi extends Construct {
	/** Where the desk API lives, on the HTTP API and on the desk's distribution alike. */
	static readonly BASE_PATH = "/desk/api";
	/** Every desk API path; a bare /desk/api names no operation and is left to API Gateway's 404. */
	static readonly ROUTE_PATH = `${DeskApi.BASE_PATH}/{proxy+}`;
	/** The scope of the access tokens a user pool issues to a sign-in through its API. */
	static readonly ACCESS_TOKEN_SCOPE = "aws.cognito.signin.user.admin";

	/**
	 * The desk's own HTTP API, not the webhooks': its 401s (an expired session) and its
	 * throttling are the desk's, never counted against the webhooks' alarms and limits.
	 */
	readonly api: apigw.HttpApi;
	readonly stage: apigw.HttpStage;
	readonly accessLogGroup: logs.LogGroup;
	readonly authorizer: HttpJwtAuthorizer;
	readonly routes: apigw.HttpRoute[];
	readonly serverErrorsAlarm: cloudwatch.Alarm;

	constructor(scope: Construct, id: string, props: DeskApiProps) {
		super(scope, id);

		this.api = new apigw.HttpApi(this, "Api", { description: "The billing desk's API (/desk/api/...)", createDefaultStage: false });
		({ stage: this.stage, accessLogGroup: this.accessLogGroup } = loggedDefaultStage(this, this.api, props));

		this.authorizer = new HttpJwtAuthorizer("DeskUsers", userPoolIssuer(props.userPool), {
			// Cognito access tokens carry the client in `client_id`, which API Gateway checks as the audience.
			jwtAudience: [props.userPoolClient.userPoolClientId],
		});
		const integration = new HttpLambdaIntegration("DeskApi", props.handler, {
			payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
		});
		this.routes = this.api.addRoutes({
			path: DeskApi.ROUTE_PATH,
			methods: [HttpMethod.ANY],
			integration,
			authorizer: this.authorizer,
			// Only access tokens carry a scope (InitiateAuth's is this one): an ID token of the same client is refused.
			authorizationScopes: [DeskApi.ACCESS_TOKEN_SCOPE],
		});

		// The function answers its own failures with a 500, so Lambda's Errors metric never sees them: the API's 5xx count does.
		this.serverErrorsAlarm = alarmOnAny(
			this,
			"ServerErrors",
			this.api.metricServerError({ period: Duration.minutes(5), statistic: "Sum" }),
			"The desk API answered 5xx: a desk action or page failed for the billing team; the DeskApi function's log has the error.",
			props.alarmTopic,
		);
	}
}
