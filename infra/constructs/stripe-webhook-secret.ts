import { RemovalPolicy } from "aws-cdk-lib";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { acknowledge } from "../nag.js";

/**
 * The Stripe webhook signing secret. Deployed with a generated placeholder; an operator
 * puts the endpoint's real `whsec_...` value in after creating the webhook endpoint in
 * Stripe. The payment-webhook function reads it by ARN (STRIPE_WEBHOOK_SECRET_ARN).
 */
export class StripeWebhookSecret extends Construct {
	readonly secret: secretsmanager.Secret;

	constructor(scope: Construct, id: string) {
		super(scope, id);
		this.secret = new secretsmanager.Secret(this, "Secret", {
			description:
				"Stripe webhook signing secret for POST /webhooks/stripe. The generated value is a placeholder: replace it with the endpoint's real signing secret (whsec_...) from the Stripe dashboard, e.g. aws secretsmanager put-secret-value --secret-id <arn> --secret-string whsec_...",
			generateSecretString: { passwordLength: 32, excludePunctuation: true },
			removalPolicy: RemovalPolicy.RETAIN,
		});
		acknowledge(this.secret, {
			id: "AwsSolutions-SMG4",
			reason:
				"Stripe issues and rolls webhook signing secrets in its dashboard; Secrets Manager cannot rotate them, so rotation is an operator step (roll in Stripe, then put-secret-value).",
		});
	}
}
