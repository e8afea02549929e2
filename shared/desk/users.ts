import { randomInt } from "node:crypto";
import {
	AdminAddUserToGroupCommand,
	AdminCreateUserCommand,
	AdminDisableUserCommand,
	AdminListGroupsForUserCommand,
	AdminSetUserPasswordCommand,
	CognitoIdentityProviderClient,
	InitiateAuthCommand,
	type InitiateAuthCommandOutput,
	NotAuthorizedException,
	paginateListUsers,
	paginateListUsersInGroup,
	UserNotFoundException,
	UsernameExistsException,
	type UserType,
} from "@aws-sdk/client-cognito-identity-provider";
import { BillingError, ConfigError } from "../core/errors.js";
import { UnauthenticatedError } from "./errors.js";
import { roleOfGroups, userPoolConfig } from "./identity.js";
import { ROLES, type Role } from "./roles.js";

type Env = Record<string, string | undefined>;

/**
 * The desk's user pool as the code that manages its users reaches it (DESIGN.md section 12).
 * A user's username is their email, in lower case; their role is their group.
 */
export interface UserPoolServices {
	readonly cognito: CognitoIdentityProviderClient;
	readonly userPoolId: string;
	readonly clientId: string;
	/**
	 * Embedded: a new user gets a generated password, set permanent and shown once, which signs in
	 * as it is. Deployed: Cognito emails a temporary one, changed at the first sign-in.
	 */
	readonly permanentPasswords: boolean;
}

/** The pool from DESK_USER_POOL_* (identity.ts), when they are set; DESK_USER_POOL_PERMANENT_PASSWORDS=true embedded. */
export function userPoolServices(env: Env = process.env): UserPoolServices | undefined {
	if (!env.DESK_USER_POOL_ID) return undefined;
	const config = userPoolConfig(env);
	return {
		cognito: new CognitoIdentityProviderClient({}),
		userPoolId: config.userPoolId,
		clientId: config.clientId,
		permanentPasswords: env.DESK_USER_POOL_PERMANENT_PASSWORDS === "true",
	};
}

export function requireUserPool(services: { readonly userPool?: UserPoolServices }): UserPoolServices {
	if (!services.userPool) {
		throw new ConfigError(
			"no desk user pool: DESK_USER_POOL_ID is not set (a deployed stack names it in its DeskUserPoolId and DeskUserPoolClientId outputs)",
		);
	}
	return services.userPool;
}

export interface DeskUser {
	readonly email: string;
	/** Their strongest desk group; null for a user of the pool in none. */
	readonly role: Role | null;
	readonly enabled: boolean;
	/** Cognito's status: CONFIRMED, or FORCE_CHANGE_PASSWORD until the first sign-in sets a password. */
	readonly status: string;
	readonly subject?: string;
}

export interface AddedUser extends DeskUser {
	/** Embedded only: the generated password, shown this once. */
	readonly password?: string;
}

const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER = "abcdefghijkmnopqrstuvwxyz";
const DIGITS = "23456789";
/** Symbols Cognito's policy counts, none that a shell or a URL treats specially. */
const SYMBOLS = "-_.+";

/** 20 characters with each kind Cognito's default policy asks for, from the system's CSPRNG. */
export function generatePassword(): string {
	const pick = (from: string) => from[randomInt(from.length)] as string;
	const all = UPPER + LOWER + DIGITS + SYMBOLS;
	const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS), ...Array.from({ length: 16 }, () => pick(all))];
	for (let i = chars.length - 1; i > 0; i--) {
		const j = randomInt(i + 1);
		[chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
	}
	return chars.join("");
}

const attribute = (user: UserType, name: string) => user.Attributes?.find((a) => a.Name === name)?.Value;

/** Creates the user in the role's group; 409 if the email is a user already (enabled or not). */
export async function addUser(pool: UserPoolServices, input: { readonly email: string; readonly role: Role }): Promise<AddedUser> {
	const email = input.email.toLowerCase();
	const password = pool.permanentPasswords ? generatePassword() : undefined;
	let created: UserType | undefined;
	try {
		created = (
			await pool.cognito.send(
				new AdminCreateUserCommand({
					UserPoolId: pool.userPoolId,
					Username: email,
					UserAttributes: [
						{ Name: "email", Value: email },
						// An admin vouches for the address; Cognito sends the invitation and any reset code there.
						{ Name: "email_verified", Value: "true" },
					],
					...(password ? { TemporaryPassword: password, MessageAction: "SUPPRESS" } : { DesiredDeliveryMediums: ["EMAIL"] }),
				}),
			)
		).User;
	} catch (err) {
		if (err instanceof UsernameExistsException) {
			throw new BillingError(`${email} is a user already; billing users list shows them`, 409, { cause: err });
		}
		throw err;
	}
	if (password) {
		await pool.cognito.send(
			new AdminSetUserPasswordCommand({ UserPoolId: pool.userPoolId, Username: email, Password: password, Permanent: true }),
		);
	}
	await pool.cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: pool.userPoolId, Username: email, GroupName: input.role }));
	const subject = created ? attribute(created, "sub") : undefined;
	return {
		email,
		role: input.role,
		enabled: true,
		status: password ? "CONFIRMED" : (created?.UserStatus ?? "FORCE_CHANGE_PASSWORD"),
		...(subject ? { subject } : {}),
		...(password ? { password } : {}),
	};
}

/** Every user of the pool with their role, by email. */
export async function listUsers(pool: UserPoolServices): Promise<DeskUser[]> {
	const users: UserType[] = [];
	for await (const page of paginateListUsers({ client: pool.cognito }, { UserPoolId: pool.userPoolId })) users.push(...(page.Users ?? []));
	// A group per role (3 listings) rather than one listing of groups per user.
	const roles = new Map<string, Role>();
	for (const role of ROLES) {
		for await (const page of paginateListUsersInGroup({ client: pool.cognito }, { UserPoolId: pool.userPoolId, GroupName: role })) {
			// ROLES runs weakest first: a later (stronger) group wins.
			for (const user of page.Users ?? []) if (user.Username) roles.set(user.Username, role);
		}
	}
	return users
		.filter((u): u is UserType & { Username: string } => Boolean(u.Username))
		.map((u) => {
			const subject = attribute(u, "sub");
			return {
				email: u.Username,
				role: roles.get(u.Username) ?? null,
				enabled: u.Enabled !== false,
				status: u.UserStatus ?? "UNKNOWN",
				...(subject ? { subject } : {}),
			};
		})
		.sort((a, b) => a.email.localeCompare(b.email));
}

/** Disables the user: they can no longer sign in (404 if there is none). Answers the role they had, for the audit trail. */
export async function disableUser(
	pool: UserPoolServices,
	emailInput: string,
): Promise<{ email: string; role: Role | null; enabled: false }> {
	const email = emailInput.toLowerCase();
	let role: Role | null;
	try {
		const groups = await pool.cognito.send(new AdminListGroupsForUserCommand({ UserPoolId: pool.userPoolId, Username: email }));
		role = roleOfGroups((groups.Groups ?? []).map((g) => g.GroupName)) ?? null;
		await pool.cognito.send(new AdminDisableUserCommand({ UserPoolId: pool.userPoolId, Username: email }));
	} catch (err) {
		if (err instanceof UserNotFoundException)
			throw new BillingError(`no user ${email}; billing users list shows them`, 404, { cause: err });
		throw err;
	}
	return { email, role, enabled: false };
}

/**
 * Signs in with email and password (USER_PASSWORD_AUTH) and answers the access token, for
 * scripting the desk API. A user who must still set their password is told to sign in to the
 * desk once; the CLI answers no challenge.
 */
export async function userToken(pool: UserPoolServices, emailInput: string, password: string): Promise<string> {
	const email = emailInput.toLowerCase();
	let answer: InitiateAuthCommandOutput;
	try {
		answer = await pool.cognito.send(
			new InitiateAuthCommand({
				ClientId: pool.clientId,
				AuthFlow: "USER_PASSWORD_AUTH",
				AuthParameters: { USERNAME: email, PASSWORD: password },
			}),
		);
	} catch (err) {
		if (err instanceof NotAuthorizedException) throw new UnauthenticatedError(`${email}: ${err.message}`, { cause: err });
		if (err instanceof UserNotFoundException) throw new UnauthenticatedError(`${email}: Incorrect username or password.`, { cause: err });
		throw err;
	}
	if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") {
		throw new BillingError(
			`${email} has a temporary password: sign in to the desk once with it to set your own, then ask for a token with that one`,
			403,
		);
	}
	const token = answer.AuthenticationResult?.AccessToken;
	if (!token) {
		throw new BillingError(`the user pool asks ${email} for ${answer.ChallengeName ?? "more"}, which only the desk's sign-in answers`, 403);
	}
	return token;
}
