import type { IGrantable } from "aws-cdk-lib/aws-iam";
import * as ses from "aws-cdk-lib/aws-ses";
import { Construct } from "constructs";

export interface SenderIdentityProps {
	/** The From address of invoices and dunning emails. */
	readonly email: string;
}

/**
 * The SES email identity invoices are sent from. SES emails the address a verification
 * link on deployment; sending works once it is clicked (and, while the account is in the
 * SES sandbox, only to verified recipients).
 */
export class SenderIdentity extends Construct {
	readonly email: string;
	readonly identity: ses.EmailIdentity;
	/** arn:aws:ses:<region>:<account>:identity/<email>, the scope of the send permission. */
	readonly identityArn: string;

	constructor(scope: Construct, id: string, props: SenderIdentityProps) {
		super(scope, id);
		this.email = props.email;
		this.identity = new ses.EmailIdentity(this, "Identity", { identity: ses.Identity.email(props.email) });
		this.identityArn = this.identity.emailIdentityArn;
	}

	/** ses:SendEmail and ses:SendRawEmail (the v1 API the functions use), from this identity only. */
	grantSend(grantee: IGrantable): void {
		this.identity.grantSendEmail(grantee);
	}
}
