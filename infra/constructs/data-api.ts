import { Duration } from "aws-cdk-lib";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { alarmOnAny, loggedDefaultStage } from "./operations.js";

export interface DataApiProps {
	/** The DataApi function: imports the posted records. */
	readonly handler: lambda.IFunction;
	/** Where the alarm on the API's 5xx answers goes. */
	readonly alarmTopic: sns.ITopic;
	/** Steady-state requests per second on the default stage. @default 25 */
	readonly rateLimit?: number;
	/** Burst of requests on the default stage. @default 50 */
	readonly burstLimit?: number;
}

/**
 * The HTTP API the company's systems post their data to (DESIGN.md section 8):
 * `PUT /accounts/{id}` and `POST /charges`, every route IAM-authorized (SigV4), so a
 * caller needs `execute-api:Invoke` on it and every import names the caller.
 */
export class DataApi extends Construct {
	static readonly ROUTES: readonly { readonly method: apigw.HttpMethod; readonly path: string }[] = [
		{ method: apigw.HttpMethod.PUT, path: "/accounts/{id}" },
		{ method: apigw.HttpMethod.POST, path: "/charges" },
	];

	readonly api: apigw.HttpApi;
	readonly stage: apigw.HttpStage;
	readonly accessLogGroup: logs.LogGroup;
	readonly serverErrorsAlarm: cloudwatch.Alarm;
	/** https://<api-id>.execute-api.<region>.amazonaws.com */
	readonly url: string;

	constructor(scope: Construct, id: string, props: DataApiProps) {
		super(scope, id);

		this.api = new apigw.HttpApi(this, "Api", {
			description: "The billing system's data API: accounts and charges from the company's systems (IAM-authorized)",
			createDefaultStage: false,
			defaultAuthorizer: new HttpIamAuthorizer(),
		});

		({ stage: this.stage, accessLogGroup: this.accessLogGroup } = loggedDefaultStage(this, this.api, {
			rateLimit: props.rateLimit ?? 25,
			burstLimit: props.burstLimit ?? 50,
			logFields: { caller: "$context.identity.userArn", authorizerError: "$context.authorizer.error" },
		}));

		const integration = new HttpLambdaIntegration("DataApi", props.handler, {
			payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
		});
		for (const route of DataApi.ROUTES) {
			this.api.addRoutes({ path: route.path, methods: [route.method], integration });
		}

		this.serverErrorsAlarm = alarmOnAny(
			this,
			"ServerErrors",
			this.api.metricServerError({ period: Duration.minutes(5), statistic: "Sum" }),
			"The data API answered 5xx: posted accounts or charges were not imported; the callers must send them again.",
			props.alarmTopic,
		);

		this.url = this.api.apiEndpoint;
	}
}
