import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as cognito from "aws-cdk-lib/aws-cognito";
import type * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { ROLES, type Role } from "../../shared/desk/roles.js";
import { acknowledge } from "../nag.js";

/** What each group may do (DESIGN.md section 12); the desk API checks it on every operation. */
const GROUP_DESCRIPTIONS: Readonly<Record<Role, string>> = {
	viewer: "Reads everything at the desk: worklist, accounts, invoices, payments, imports, books and runs",
	billing: "Performs every desk action (DESIGN.md section 9), and reads everything",
	admin: "Everything billing does; also closes periods and manages users, webhook endpoints and settings",
};

/**
 * What `billing users` and the desk's user management call on the pool (shared/desk/users.ts),
 * and no more: AdminSetUserPassword is the embedded pool's only (its users get a permanent
 * password), so deployed nobody sets another's password.
 */
export const DESK_USER_ADMIN_ACTIONS = [
	"cognito-idp:AdminCreateUser",
	"cognito-idp:AdminAddUserToGroup",
	"cognito-idp:AdminDisableUser",
	"cognito-idp:AdminListGroupsForUser",
	"cognito-idp:ListUsers",
	"cognito-idp:ListUsersInGroup",
] as const;

const TEMPORARY_PASSWORD_DAYS = 7;

/** The `iss` of the pool's tokens: https://cognito-idp.<region>.amazonaws.com/<pool id>. */
export function userPoolIssuer(userPool: cognito.IUserPool): string {
	const stack = Stack.of(userPool);
	return `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${userPool.userPoolId}`;
}

/**
 * The people who sign in to the web desk (DESIGN.md section 12): a Cognito user pool an admin
 * adds users to (`billing users add EMAIL --role ...`; no self sign-up), a group per role, and
 * the browser app's client.
 *
 * The username is the email address itself, not an email alias (which would make the username a
 * generated UUID): the access token's `username` claim is then the email the audit trail names.
 * The app signs in with USER_PASSWORD_AUTH, the one flow the embedded pool (cognito-local)
 * supports, so the sign-in code is the same in both modes; it is also the flow in which Cognito's
 * threat protection can check the password against known compromised credentials (SRP hides it).
 */
export class DeskUsers extends Construct {
	readonly userPool: cognito.UserPool;
	readonly client: cognito.UserPoolClient;
	readonly groups: Readonly<Record<Role, cognito.UserPoolGroup>>;
	/** The issuer the desk API's JWT authorizer trusts. */
	readonly issuerUrl: string;

	constructor(scope: Construct, id: string) {
		super(scope, id);

		this.userPool = new cognito.UserPool(this, "UserPool", {
			selfSignUpEnabled: false,
			signInAliases: { username: true },
			signInCaseSensitive: false,
			standardAttributes: { email: { required: true, mutable: true } },
			autoVerify: { email: true },
			// A changed address is not used (recovery, invitations) until its owner proves it.
			keepOriginal: { email: true },
			passwordPolicy: {
				minLength: 12,
				requireLowercase: true,
				requireUppercase: true,
				requireDigits: true,
				requireSymbols: true,
				passwordHistorySize: 5,
				tempPasswordValidity: Duration.days(TEMPORARY_PASSWORD_DAYS),
			},
			accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
			userInvitation: {
				emailSubject: "Your billing desk account",
				emailBody: `You have an account on the billing desk. Sign in with your email address {username} and the temporary password {####}, then choose your own password. The temporary password expires in ${TEMPORARY_PASSWORD_DAYS} days.`,
			},
			mfa: cognito.Mfa.OFF,
			// Threat protection (compromised credentials, adaptive authentication) needs the Plus plan.
			featurePlan: cognito.FeaturePlan.PLUS,
			standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
			deletionProtection: true,
			removalPolicy: RemovalPolicy.RETAIN,
		});
		acknowledge(this.userPool, {
			id: "AwsSolutions-COG2",
			reason:
				"The desk's sign-in handles the first-time password change only (DESIGN.md section 12) and the embedded pool (cognito-local) fails every MFA but SMS, so requiring MFA would lock every user out and part the two modes' sign-in code; threat protection (below) guards the password sign-in instead.",
		});
		// Stated rather than left to Cognito's defaults: a password known from a breach is refused at
		// sign-in and on change, a high-risk sign-in is blocked, lower risks are only recorded (there is
		// no second factor to step up to).
		new cognito.CfnUserPoolRiskConfigurationAttachment(this, "ThreatProtection", {
			userPoolId: this.userPool.userPoolId,
			clientId: "ALL",
			compromisedCredentialsRiskConfiguration: { actions: { eventAction: "BLOCK" } },
			accountTakeoverRiskConfiguration: {
				actions: {
					highAction: { eventAction: "BLOCK", notify: false },
					mediumAction: { eventAction: "NO_ACTION", notify: false },
					lowAction: { eventAction: "NO_ACTION", notify: false },
				},
			},
		});

		const groups: Partial<Record<Role, cognito.UserPoolGroup>> = {};
		// Highest role first: a user in two groups takes the stronger one's precedence.
		for (const [index, role] of [...ROLES].reverse().entries()) {
			groups[role] = new cognito.UserPoolGroup(this, `Group-${role}`, {
				userPool: this.userPool,
				groupName: role,
				description: GROUP_DESCRIPTIONS[role],
				precedence: index,
			});
		}
		this.groups = groups as Record<Role, cognito.UserPoolGroup>;

		this.client = this.userPool.addClient("AppClient", {
			// A browser cannot keep a secret.
			generateSecret: false,
			authFlows: { userPassword: true },
			// No hosted UI: the app signs in through the API (InitiateAuth).
			disableOAuth: true,
			supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
			preventUserExistenceErrors: true,
			accessTokenValidity: Duration.hours(1),
			idTokenValidity: Duration.hours(1),
			// A working day; after that the user signs in again.
			refreshTokenValidity: Duration.hours(12),
			enableTokenRevocation: true,
		});

		this.issuerUrl = userPoolIssuer(this.userPool);
	}

	/** Lets `grantee` create, list, disable and set the role of desk users, on this pool only. */
	grantUserAdministration(grantee: iam.IGrantable): iam.Grant {
		return this.userPool.grant(grantee, ...DESK_USER_ADMIN_ACTIONS);
	}
}
