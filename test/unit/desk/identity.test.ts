import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/core/errors.js";
import { NotADeskUserError, UnauthenticatedError } from "../../../shared/desk/errors.js";
import { bearerAuthenticator, cognitoIssuer, roleOfGroups, type UserPoolConfig, userPoolConfig } from "../../../shared/desk/identity.js";

/**
 * Tokens signed here with a key made here, their JWKS served from a local HTTP server at
 * `<issuer>/.well-known/jwks.json` as Cognito serves it: each check of the verifier is met
 * by a token that fails exactly that check.
 */
const KID = "test-key";
const CLIENT_ID = "desk-client";
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
let server: Server;
let config: UserPoolConfig;
let jwksRequests = 0;

function jwt(payload: Record<string, unknown>, options: { key?: KeyObject; kid?: string } = {}): string {
	const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
	const input = `${part({ alg: "RS256", typ: "JWT", kid: options.kid ?? KID })}.${part(payload)}`;
	return `${input}.${sign("RSA-SHA256", Buffer.from(input), options.key ?? keys.privateKey).toString("base64url")}`;
}

/** An access token's claims as Cognito issues it to the desk's client, valid for an hour (undefined drops a claim). */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	const now = Math.floor(Date.now() / 1000);
	return {
		sub: "3f2a9c1e-0000-4000-8000-000000000001",
		iss: config.issuer,
		client_id: CLIENT_ID,
		token_use: "access",
		scope: "aws.cognito.signin.user.admin",
		auth_time: now,
		iat: now,
		exp: now + 3600,
		jti: "jti-1",
		username: "alice@example.com",
		"cognito:groups": ["billing"],
		...overrides,
	};
}

const accessToken = (overrides: Record<string, unknown> = {}) => jwt(claims(overrides));
const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

async function refusal(promise: Promise<unknown>): Promise<Error> {
	const err = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	if (!(err instanceof Error)) throw new Error("expected a refusal");
	return err;
}

beforeAll(async () => {
	const jwk = { ...keys.publicKey.export({ format: "jwk" }), kid: KID, alg: "RS256", use: "sig" };
	server = createServer((req, res) => {
		if (req.url !== "/local_pool/.well-known/jwks.json") {
			res.writeHead(404).end();
			return;
		}
		jwksRequests++;
		res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/local_pool`;
	config = { userPoolId: "local_pool", clientId: CLIENT_ID, issuer };
});

afterAll(async () => {
	await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("bearerAuthenticator", () => {
	it.each([
		[["viewer"], "viewer"],
		[["billing"], "billing"],
		[["admin"], "admin"],
		[["viewer", "admin", "billing"], "admin"],
		[["auditors", "billing"], "billing"],
	])("a token in groups %j is the %s role, named by its email and subject", async (groups, role) => {
		const caller = await bearerAuthenticator(config)(`Bearer ${accessToken({ "cognito:groups": groups })}`);
		expect(caller).toEqual({
			role,
			email: "alice@example.com",
			subject: "3f2a9c1e-0000-4000-8000-000000000001",
			actor: "alice@example.com (sub 3f2a9c1e-0000-4000-8000-000000000001)",
		});
	});

	it("fetches the pool's JWKS once for many tokens", async () => {
		const authenticate = bearerAuthenticator(config);
		const before = jwksRequests;
		for (let i = 0; i < 3; i++) await authenticate(`Bearer ${accessToken()}`);
		expect(jwksRequests - before).toBe(1);
	});

	it("a valid token of someone in no desk group is 403, not a desk user", async () => {
		for (const groups of [undefined, [], ["auditors"]]) {
			const err = await refusal(bearerAuthenticator(config)(`Bearer ${accessToken({ "cognito:groups": groups })}`));
			expect(err).toBeInstanceOf(NotADeskUserError);
			expect(err).toMatchObject({ statusCode: 403 });
			expect(err.message).toContain("alice@example.com is not a desk user");
		}
	});

	it.each([
		["no header", undefined, "no Authorization header"],
		["an empty header", "", "no Authorization header"],
		["another scheme", `Basic ${Buffer.from("alice:pw").toString("base64")}`, "not a Bearer token"],
		["Bearer and nothing", "Bearer ", "not a Bearer token"],
		["not a JWT", "Bearer not-a-jwt", "invalid token"],
	])("%s is 401", async (_what, header, message) => {
		const err = await refusal(bearerAuthenticator(config)(header));
		expect(err).toBeInstanceOf(UnauthenticatedError);
		expect(err).toMatchObject({ statusCode: 401 });
		expect(err.message).toContain(message);
	});

	it.each([
		["expired", () => accessToken({ exp: Math.floor(Date.now() / 1000) - 60 }), "expired"],
		["without an expiry", () => accessToken({ exp: undefined }), "no expiry"],
		[
			"from another issuer",
			() => accessToken({ iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other" }),
			"not from the desk's user pool",
		],
		["issued to another app client", () => accessToken({ client_id: "another-client" }), "another app client"],
		[
			"an id token",
			() => accessToken({ token_use: "id", aud: CLIENT_ID, client_id: undefined, "cognito:username": "alice@example.com" }),
			"not an access token",
		],
		[
			"whose payload was changed after signing",
			() => {
				const [header, , signature] = accessToken().split(".");
				return `${header}.${Buffer.from(JSON.stringify(claims({ "cognito:groups": ["admin"] }))).toString("base64url")}.${signature}`;
			},
			"invalid token",
		],
		["signed with another key under the pool's key id", () => jwt(claims(), { key: otherKey }), "invalid token"],
	])("a token %s is 401", async (_what, token, message) => {
		const err = await refusal(bearerAuthenticator(config)(`Bearer ${token()}`));
		expect(err).toBeInstanceOf(UnauthenticatedError);
		expect(err).toMatchObject({ statusCode: 401 });
		expect(err.message).toContain(message);
	});

	it("a pool whose keys cannot be fetched is the server's fault (500), not the caller's", async () => {
		const unreachable = { ...config, issuer: "http://127.0.0.1:9/local_pool" };
		const token = jwt(claims({ iss: unreachable.issuer }));
		const err = await refusal(bearerAuthenticator(unreachable)(`Bearer ${token}`));
		expect(err).not.toBeInstanceOf(UnauthenticatedError);
		expect(err).not.toBeInstanceOf(NotADeskUserError);
	});
});

describe("userPoolConfig", () => {
	const env = {
		DESK_USER_POOL_ID: "eu-west-1_abc",
		DESK_USER_POOL_CLIENT_ID: "client",
		DESK_USER_POOL_ISSUER: cognitoIssuer("eu-west-1", "eu-west-1_abc"),
	};

	it("reads the pool, its client and its issuer", () => {
		expect(userPoolConfig(env)).toEqual({
			userPoolId: "eu-west-1_abc",
			clientId: "client",
			issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
		});
	});

	it.each(["DESK_USER_POOL_ID", "DESK_USER_POOL_CLIENT_ID", "DESK_USER_POOL_ISSUER"])("fails fast naming %s when it is not set", (name) => {
		expect(() => userPoolConfig({ ...env, [name]: "" })).toThrow(ConfigError);
		expect(() => userPoolConfig({ ...env, [name]: undefined })).toThrow(name);
	});
});

describe("roleOfGroups", () => {
	it("is the strongest desk role among the groups, or none", () => {
		expect(roleOfGroups(["viewer", "billing"])).toBe("billing");
		expect(roleOfGroups(["admin"])).toBe("admin");
		expect(roleOfGroups(["Admin", "ops"])).toBeUndefined();
		expect(roleOfGroups("admin")).toBeUndefined();
		expect(roleOfGroups(undefined)).toBeUndefined();
	});
});
