import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	AdminAddUserToGroupCommand,
	AdminCreateUserCommand,
	AdminSetUserPasswordCommand,
	CognitoIdentityProviderClient,
	DescribeUserPoolClientCommand,
	DescribeUserPoolCommand,
	InitiateAuthCommand,
	ListGroupsCommand,
	RespondToAuthChallengeCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LOCAL_REGION } from "../../local/emulator/lambda-runtime.js";
import { ensureDeskUserPool } from "../../local/emulator/user-pool.js";
import { NotADeskUserError } from "../../shared/desk/errors.js";
import { bearerAuthenticator, userPoolConfig } from "../../shared/desk/identity.js";
import { addUser, listUsers, type UserPoolServices, userToken } from "../../shared/desk/users.js";
import { runCliCaptured } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";
import { killAll, killHard, startServe } from "../support/serve.js";

/**
 * The embedded user pool: cognito-local behind its front, a pool per stack named after its
 * table, found again (never made twice) when the stack starts again on the same data, and the
 * child process gone when `billing serve` is, however it ends.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let cognito: CognitoIdentityProviderClient;
const dataDirs: string[] = [];

beforeAll(async () => {
	stack = await startTestStack("user-pool");
	cognito = new CognitoIdentityProviderClient({ endpoint: stack.endpoints.userPool, region: LOCAL_REGION });
});

afterAll(async () => {
	cognito?.destroy();
	await killAll();
	await stack?.stop();
	for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** A user of the pool created as the desk does not (straight through the API), with a password that signs in. */
async function poolUser(email: string, groups: readonly string[]): Promise<string> {
	const { userPoolId } = stack.userPool;
	await cognito.send(new AdminCreateUserCommand({ UserPoolId: userPoolId, Username: email, MessageAction: "SUPPRESS" }));
	await cognito.send(
		new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: email, Password: "Local-pass-1", Permanent: true }),
	);
	for (const group of groups)
		await cognito.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: email, GroupName: group }));
	const auth = await cognito.send(
		new InitiateAuthCommand({
			ClientId: stack.userPool.clientId,
			AuthFlow: "USER_PASSWORD_AUTH",
			AuthParameters: { USERNAME: email, PASSWORD: "Local-pass-1" },
		}),
	);
	return auth.AuthenticationResult?.AccessToken ?? "";
}

describe("a stack's user pool", () => {
	it("is named after the stack's table, with the desk's app client and a group per role", async () => {
		const { userPoolId, clientId } = stack.userPool;
		const pool = (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }))).UserPool;
		expect(pool?.Name).toBe(stack.tableName);
		// Users sign in with their email as the username, not as an attribute standing for a generated one.
		expect(pool?.UsernameAttributes ?? []).toEqual([]);
		const client = (await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }))).UserPoolClient;
		expect(client).toMatchObject({ ClientName: "desk", ExplicitAuthFlows: expect.arrayContaining(["ALLOW_USER_PASSWORD_AUTH"]) });
		expect(client?.ClientSecret).toBeUndefined();
		const groups = (await cognito.send(new ListGroupsCommand({ UserPoolId: userPoolId }))).Groups ?? [];
		expect(groups.map((g) => [g.GroupName, g.Precedence]).sort()).toEqual([
			["admin", 0],
			["billing", 1],
			["viewer", 2],
		]);
		expect(userPoolConfig()).toEqual({ userPoolId, clientId, issuer: `${stack.endpoints.userPool}/${userPoolId}` });
	});

	it("is found again, not made twice, and keeps its users in their groups", async () => {
		const token = await poolUser("kept@example.com", ["admin"]);
		expect(await ensureDeskUserPool(stack.endpoints.userPool, stack.tableName)).toEqual(stack.userPool);
		const other = await ensureDeskUserPool(stack.endpoints.userPool, `${stack.tableName}-other`);
		expect(other.userPoolId).not.toBe(stack.userPool.userPoolId);
		const pool: UserPoolServices = { cognito, ...stack.userPool, permanentPasswords: true };
		expect((await listUsers(pool)).find((u) => u.email === "kept@example.com")?.role).toBe("admin");
		expect((await bearerAuthenticator(userPoolConfig())(`Bearer ${token}`)).role).toBe("admin");
	});

	it("issues tokens naming the pool's URL as issuer and the email as username, checked against its JWKS", async () => {
		const token = await poolUser("claims@example.com", ["viewer"]);
		const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
		expect(claims).toMatchObject({
			iss: `${stack.endpoints.userPool}/${stack.userPool.userPoolId}`,
			token_use: "access",
			client_id: stack.userPool.clientId,
			username: "claims@example.com",
			"cognito:groups": ["viewer"],
		});
		// Cognito's default access token lifetime, not cognito-local's day.
		expect(claims.exp - claims.iat).toBe(3600);
		const jwks = await fetch(`${stack.endpoints.userPool}/${stack.userPool.userPoolId}/.well-known/jwks.json`);
		expect(((await jwks.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual(["CognitoLocal"]);
	});

	it("a user of the pool in no desk group signs in, and the desk refuses them (403)", async () => {
		const token = await poolUser("nogroup@example.com", []);
		const err = await bearerAuthenticator(userPoolConfig())(`Bearer ${token}`).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(NotADeskUserError);
		expect((err as Error).message).toContain("nogroup@example.com is not a desk user");
	});

	it("a new user with a temporary password (as deployed) must set their own at the desk's sign-in first", async () => {
		const pool: UserPoolServices = { cognito, ...stack.userPool, permanentPasswords: false };
		const added = await addUser(pool, { email: "temp@example.com", role: "billing" });
		expect(added).toMatchObject({ email: "temp@example.com", role: "billing", status: "FORCE_CHANGE_PASSWORD" });
		expect(added.password).toBeUndefined();
		// Cognito emails its own temporary password; the test sets one it knows, temporary as well.
		await cognito.send(
			new AdminSetUserPasswordCommand({
				UserPoolId: pool.userPoolId,
				Username: "temp@example.com",
				Password: "Temp-pass-1",
				Permanent: false,
			}),
		);
		const refused = await userToken(pool, "temp@example.com", "Temp-pass-1").catch((e: unknown) => e);
		expect(refused).toMatchObject({ statusCode: 403 });
		expect((refused as Error).message).toContain("sign in to the desk once");

		// What the desk's sign-in form does: answer NEW_PASSWORD_REQUIRED with the new password.
		const challenge = await cognito.send(
			new InitiateAuthCommand({
				ClientId: stack.userPool.clientId,
				AuthFlow: "USER_PASSWORD_AUTH",
				AuthParameters: { USERNAME: "temp@example.com", PASSWORD: "Temp-pass-1" },
			}),
		);
		expect(challenge.ChallengeName).toBe("NEW_PASSWORD_REQUIRED");
		const answered = await cognito.send(
			new RespondToAuthChallengeCommand({
				ClientId: stack.userPool.clientId,
				ChallengeName: "NEW_PASSWORD_REQUIRED",
				Session: challenge.Session,
				ChallengeResponses: { USERNAME: "temp@example.com", NEW_PASSWORD: "Chosen-pass-2" },
			}),
		);
		const caller = await bearerAuthenticator(userPoolConfig())(`Bearer ${answered.AuthenticationResult?.AccessToken}`);
		expect(caller).toMatchObject({ role: "billing", email: "temp@example.com" });
		expect(await userToken(pool, "temp@example.com", "Chosen-pass-2")).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
	});
});

/** The processes (cognito-local and its watchdog) working in this data dir's user pool folder. */
function userPoolProcesses(dataDir: string): number[] {
	const dir = join(dataDir, "user-pool");
	return readdirSync("/proc")
		.filter((d) => /^\d+$/.test(d))
		.filter((pid) => {
			try {
				return readlinkSync(`/proc/${pid}/cwd`) === dir && readFileSync(`/proc/${pid}/cmdline`, "utf8") !== "";
			} catch {
				return false;
			}
		})
		.map(Number);
}

describe("billing serve's user pool", () => {
	it("dies with a killed serve, and the next serve on the data dir has the same pool, users and passwords", async () => {
		const dataDir = mkdtempSync(join(tmpdir(), "billing-user-pool-serve-"));
		dataDirs.push(dataDir);
		const first = await startServe(dataDir);
		expect(first.endpoints.userPool).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		const added = await runCliCaptured(["users", "add", "ops@example.com", "--role", "admin", "--json", "--data-dir", dataDir]);
		expect(added.code).toBe(0);
		const { password, subject } = JSON.parse(added.stdout) as { password: string; subject: string };
		const pool = JSON.parse(readFileSync(join(dataDir, "serve.json"), "utf8")).userPool;
		expect(userPoolProcesses(dataDir)).not.toEqual([]);

		await killHard(first.child);
		await vi.waitFor(() => expect(userPoolProcesses(dataDir)).toEqual([]), { timeout: 15_000, interval: 100 });

		const next = await startServe(dataDir);
		expect(JSON.parse(readFileSync(join(dataDir, "serve.json"), "utf8")).userPool).toEqual(pool);
		const signedIn = await runCliCaptured(["users", "token", "ops@example.com", "--password-stdin", "--data-dir", dataDir], {
			stdin: password,
		});
		expect(signedIn.code).toBe(0);
		// The new serve's pool URL is the issuer now; the token is checked against it.
		expect(userPoolConfig().issuer).toBe(`${next.endpoints.userPool}/${pool.userPoolId}`);
		expect(await bearerAuthenticator(userPoolConfig())(`Bearer ${signedIn.stdout.trim()}`)).toMatchObject({
			role: "admin",
			email: "ops@example.com",
			subject,
		});

		next.child.kill("SIGTERM");
		expect(await new Promise((resolve) => next.child.once("exit", resolve))).toBe(0);
		expect(userPoolProcesses(dataDir)).toEqual([]);
	}, 120_000);
});
