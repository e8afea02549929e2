import { RemovalPolicy } from "aws-cdk-lib";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { acknowledge } from "../nag.js";

/**
 * The GoCardless webhook endpoint secret. Deployed with a generated placeholder; an
 * operator puts the endpoint's real secret in after creating the webhook endpoint in
 * GoCardless. The payment-webhook function reads it by ARN (GOCARDLESS_WEBHOOK_SECRET_ARN).
 */
export class GoCardlessWebhookSecret extends Construct {
	readonly secret: secretsmanager.Secret;

	constructor(scope: Construct, id: string) {
		super(scope, id);
		this.secret = new secretsmanager.Secret(this, "Secret", {
			description:
				"GoCardless webhook endpoint secret for POST /webhooks/gocardless. The generated value is a placeholder: replace it with the endpoint's secret from the GoCardless dashboard, e.g. aws secretsmanager put-secret-value --secret-id <arn> --secret-string <secret>",
			generateSecretString: { passwordLength: 32, excludePunctuation: true },
			removalPolicy: RemovalPolicy.RETAIN,
		});
		acknowledge(this.secret, {
			id: "AwsSolutions-SMG4",
			reason:
				"GoCardless issues webhook endpoint secrets in its dashboard; Secrets Manager cannot rotate them, so rotation is an operator step (new secret in GoCardless, then put-secret-value).",
		});
	}
}
