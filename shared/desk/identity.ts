import { JwtRsaVerifier } from "aws-jwt-verify";
import { FetchError, JwtBaseError, JwtExpiredError, JwtInvalidIssuerError, NonRetryableFetchError } from "aws-jwt-verify/error";
import type { Fetcher } from "aws-jwt-verify/https";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import { getRequiredEnv } from "../platform/config.js";
import { NotADeskUserError, UnauthenticatedError } from "./errors.js";
import { type Caller, ROLES, type Role, userActor } from "./roles.js";

type Env = Record<string, string | undefined>;

/** The user pool whose access tokens the desk accepts (DESIGN.md section 12). */
export interface UserPoolConfig {
	readonly userPoolId: string;
	/** The desk's app client: a token issued to any other client of the pool is refused. */
	readonly clientId: string;
	/** The tokens' `iss`: `https://cognito-idp.REGION.amazonaws.com/POOL_ID` deployed, the local pool's URL embedded. */
	readonly issuer: string;
}

export function userPoolConfig(env: Env = process.env): UserPoolConfig {
	return {
		userPoolId: getRequiredEnv("DESK_USER_POOL_ID", env),
		clientId: getRequiredEnv("DESK_USER_POOL_CLIENT_ID", env),
		issuer: getRequiredEnv("DESK_USER_POOL_ISSUER", env),
	};
}

/** A Cognito user pool's issuer, as its tokens name it. */
export function cognitoIssuer(region: string, userPoolId: string): string {
	return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** The strongest desk role among a token's groups, if it has one. */
export function roleOfGroups(groups: unknown): Role | undefined {
	if (!Array.isArray(groups)) return undefined;
	return [...ROLES].reverse().find((role) => groups.includes(role));
}

/**
 * Fetches the JWKS with the platform's fetch: aws-jwt-verify's own fetcher speaks https only,
 * and the embedded pool is served over http on 127.0.0.1. One code path for both modes.
 */
const jwksFetcher: Fetcher = {
	async fetch(uri) {
		const res = await fetch(uri, { signal: AbortSignal.timeout(3_000) });
		if (!res.ok) throw new NonRetryableFetchError(uri, `status ${res.status}, expected 200`);
		return res.arrayBuffer();
	},
};

/**
 * Checks an `Authorization: Bearer <access token>` header against the pool: the signature (the
 * pool's JWKS at `<issuer>/.well-known/jwks.json`), the issuer, the expiry, that it is an access
 * token (not an id token) issued to the desk's client. 401 for any failure, 403 for a valid
 * token of someone in no desk group. The caller's role is their strongest desk group.
 * The JWKS is fetched once and kept, fetched again for a key it does not know.
 */
export function bearerAuthenticator(config: UserPoolConfig): (authorization: string | undefined) => Promise<Caller> {
	const verifier = JwtRsaVerifier.create(
		{
			issuer: config.issuer,
			jwksUri: `${config.issuer}/.well-known/jwks.json`,
			// Access tokens carry no audience; client_id is checked below instead.
			audience: null,
			customJwtCheck: ({ payload }) => {
				if (payload.token_use !== "access") throw new UnauthenticatedError("not an access token: send the access token, not the id token");
				if (payload.client_id !== config.clientId) throw new UnauthenticatedError("the token was issued to another app client");
				if (typeof payload.exp !== "number") throw new UnauthenticatedError("the token has no expiry");
				if (typeof payload.username !== "string" || typeof payload.sub !== "string")
					throw new UnauthenticatedError("the token names no user");
			},
		},
		{ jwksCache: new SimpleJwksCache({ fetcher: jwksFetcher }) },
	);
	return async (authorization) => {
		if (!authorization) throw new UnauthenticatedError("sign in: no Authorization header");
		const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
		if (!match?.[1]) throw new UnauthenticatedError("the Authorization header is not a Bearer token");
		let payload: Awaited<ReturnType<typeof verifier.verify>>;
		try {
			payload = await verifier.verify(match[1]);
		} catch (err) {
			if (err instanceof UnauthenticatedError) throw err;
			if (err instanceof JwtExpiredError) throw new UnauthenticatedError("the token has expired: sign in again", { cause: err });
			if (err instanceof JwtInvalidIssuerError)
				throw new UnauthenticatedError("the token is not from the desk's user pool", { cause: err });
			// The pool's keys could not be fetched: the server's fault, not the caller's (500).
			if (err instanceof JwtBaseError && !(err instanceof FetchError))
				throw new UnauthenticatedError(`invalid token: ${err.message}`, { cause: err });
			throw err;
		}
		const email = payload.username as string;
		const subject = payload.sub as string;
		const role = roleOfGroups(payload["cognito:groups"]);
		if (!role) throw new NotADeskUserError(email);
		return { role, email, subject, actor: userActor(email, subject) };
	};
}
