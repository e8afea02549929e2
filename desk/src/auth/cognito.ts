import type { DeskConfig } from "../app/config.js";

/**
 * The user pool's sign-in, called directly with fetch (Cognito's JSON protocol): the same
 * calls work against the deployed Cognito pool and the embedded cognito-local, so no SDK is
 * bundled. A first sign-in with a temporary password answers NEW_PASSWORD_REQUIRED.
 */

export type SignInStep =
	| { readonly kind: "signed-in"; readonly accessToken: string }
	| { readonly kind: "new-password"; readonly session: string };

/** A refusal the person can act on: wrong password, disabled user, weak new password. */
export class SignInError extends Error {
	constructor(
		readonly type: string,
		message: string,
	) {
		super(message);
		this.name = "SignInError";
	}
}

interface CognitoAnswer {
	readonly AuthenticationResult?: { readonly AccessToken?: string };
	readonly ChallengeName?: string;
	readonly Session?: string;
	readonly __type?: string;
	readonly message?: string;
}

const MESSAGES: Readonly<Record<string, string>> = {
	NotAuthorizedException: "Incorrect email or password, or the user is disabled.",
	UserNotFoundException: "Incorrect email or password, or the user is disabled.",
	InvalidPasswordException: "The new password does not meet the password policy.",
	PasswordResetRequiredException: "This user must reset their password; ask an admin.",
};

async function call(pool: DeskConfig["userPool"], target: string, body: unknown): Promise<CognitoAnswer> {
	const response = await fetch(pool.endpoint, {
		method: "POST",
		headers: {
			"content-type": "application/x-amz-json-1.1",
			"x-amz-target": `AWSCognitoIdentityProviderService.${target}`,
		},
		body: JSON.stringify(body),
	});
	const answer = (await response.json().catch(() => ({}))) as CognitoAnswer;
	if (!response.ok) {
		// Cognito's __type may carry a prefix ("...#NotAuthorizedException").
		const type = (answer.__type ?? "").split("#").pop() ?? "";
		throw new SignInError(type, MESSAGES[type] ?? answer.message ?? `The user pool answered ${response.status}.`);
	}
	return answer;
}

function step(answer: CognitoAnswer): SignInStep {
	const token = answer.AuthenticationResult?.AccessToken;
	if (token) return { kind: "signed-in", accessToken: token };
	if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED" && answer.Session) return { kind: "new-password", session: answer.Session };
	throw new SignInError(
		answer.ChallengeName ?? "",
		`The user pool asked for ${answer.ChallengeName ?? "something"} the desk does not support.`,
	);
}

export async function signIn(pool: DeskConfig["userPool"], email: string, password: string): Promise<SignInStep> {
	return step(
		await call(pool, "InitiateAuth", {
			AuthFlow: "USER_PASSWORD_AUTH",
			ClientId: pool.clientId,
			AuthParameters: { USERNAME: email, PASSWORD: password },
		}),
	);
}

export async function setNewPassword(
	pool: DeskConfig["userPool"],
	email: string,
	newPassword: string,
	session: string,
): Promise<SignInStep> {
	return step(
		await call(pool, "RespondToAuthChallenge", {
			ChallengeName: "NEW_PASSWORD_REQUIRED",
			ClientId: pool.clientId,
			Session: session,
			ChallengeResponses: { USERNAME: email, NEW_PASSWORD: newPassword },
		}),
	);
}
