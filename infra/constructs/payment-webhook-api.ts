import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { acknowledge } from "../nag.js";
import { loggedDefaultStage } from "./operations.js";

export interface PaymentWebhookApiProps {
	/** The PaymentWebhook function: verifies the signature on the raw body and applies the payment. */
	readonly handler: lambda.IFunction;
	/** Steady-state requests per second on the default stage. */
	readonly rateLimit: number;
	/** Burst of requests on the default stage. */
	readonly burstLimit: number;
}

/** The HTTP API payment processors post webhooks to: `POST /webhooks/stripe`, `POST /webhooks/gocardless`. */
export class PaymentWebhookApi extends Construct {
	static readonly STRIPE_ROUTE_PATH = "/webhooks/stripe";
	static readonly GOCARDLESS_ROUTE_PATH = "/webhooks/gocardless";

	readonly api: apigw.HttpApi;
	readonly stage: apigw.HttpStage;
	readonly accessLogGroup: logs.LogGroup;
	/** https://<api-id>.execute-api.<region>.amazonaws.com/webhooks/stripe */
	readonly stripeWebhookUrl: string;
	readonly gocardlessWebhookUrl: string;

	constructor(scope: Construct, id: string, props: PaymentWebhookApiProps) {
		super(scope, id);

		this.api = new apigw.HttpApi(this, "Api", {
			description: "Payment processor webhooks for the billing system",
			createDefaultStage: false,
		});

		({ stage: this.stage, accessLogGroup: this.accessLogGroup } = loggedDefaultStage(this, this.api, props));

		// One integration for every provider's route: the function tells them apart by path.
		const integration = new HttpLambdaIntegration("StripeWebhook", props.handler, {
			payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
		});
		const [route] = this.api.addRoutes({
			path: PaymentWebhookApi.STRIPE_ROUTE_PATH,
			methods: [apigw.HttpMethod.POST],
			integration,
		});
		if (route) {
			acknowledge(route, {
				id: "AwsSolutions-APIG4",
				reason:
					"Stripe cannot authenticate to an API authorizer; each request is authenticated by its Stripe-Signature header (HMAC of the raw body with the signing secret), verified by the PaymentWebhook function before anything is stored.",
			});
		}

		const [gocardlessRoute] = this.api.addRoutes({
			path: PaymentWebhookApi.GOCARDLESS_ROUTE_PATH,
			methods: [apigw.HttpMethod.POST],
			integration,
		});
		if (gocardlessRoute) {
			acknowledge(gocardlessRoute, {
				id: "AwsSolutions-APIG4",
				reason:
					"GoCardless cannot authenticate to an API authorizer; each request is authenticated by its Webhook-Signature header (HMAC of the raw body with the endpoint secret), verified by the PaymentWebhook function before anything is stored.",
			});
		}

		this.stripeWebhookUrl = `${this.api.apiEndpoint}${PaymentWebhookApi.STRIPE_ROUTE_PATH}`;
		this.gocardlessWebhookUrl = `${this.api.apiEndpoint}${PaymentWebhookApi.GOCARDLESS_ROUTE_PATH}`;
	}
}
