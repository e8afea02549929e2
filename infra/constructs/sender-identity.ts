import { ArnFormat, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as ses from "aws-cdk-lib/aws-ses";
import { Construct } from "constructs";

export interface SenderIdentityProps {
	/** The From address of invoices and dunning emails. */
	readonly email: string;
}

/**
 * The SES email identity invoices are sent from, and the configuration set every email from
 * it goes through (so SES publishes each email's events: EmailEvents). SES emails the
 * address a verification link on deployment; sending works once it is clicked (and, while
 * the account is in the SES sandbox, only to verified recipients).
 */
export class SenderIdentity extends Construct {
	readonly email: string;
	/**
	 * Named on every send (SES_CONFIGURATION_SET) and the identity's default, so an email sent
	 * without naming it (an older CLI) still goes through it.
	 */
	readonly configurationSet: ses.ConfigurationSet;
	readonly identity: ses.EmailIdentity;
	/** arn:aws:ses:<region>:<account>:identity/<email>, the scope of the send permission. */
	readonly identityArn: string;
	/** arn:aws:ses:<region>:<account>:configuration-set/<name>: a send that names the set is authorized on it too. */
	readonly configurationSetArn: string;

	constructor(scope: Construct, id: string, props: SenderIdentityProps) {
		super(scope, id);
		this.email = props.email;
		this.configurationSet = new ses.ConfigurationSet(this, "ConfigurationSet", { reputationMetrics: true });
		this.identity = new ses.EmailIdentity(this, "Identity", {
			identity: ses.Identity.email(props.email),
			configurationSet: this.configurationSet,
		});
		this.identityArn = this.identity.emailIdentityArn;
		this.configurationSetArn = Stack.of(this).formatArn({
			service: "ses",
			resource: "configuration-set",
			resourceName: this.configurationSet.configurationSetName,
			arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
		});
	}

	/**
	 * ses:SendEmail and ses:SendRawEmail (the v1 API the functions use), from this identity
	 * only and through this configuration set only: SES authorizes a send on the identity and
	 * on the configuration set it names (or the identity's default one).
	 */
	grantSend(grantee: iam.IGrantable): void {
		this.identity.grantSendEmail(grantee);
		iam.Grant.addToPrincipal({ grantee, actions: ["ses:SendEmail", "ses:SendRawEmail"], resourceArns: [this.configurationSetArn] });
	}
}
