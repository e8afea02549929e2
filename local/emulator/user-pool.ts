import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
	CognitoIdentityProviderClient,
	CreateGroupCommand,
	CreateUserPoolClientCommand,
	CreateUserPoolCommand,
	paginateListGroups,
	paginateListUserPoolClients,
	paginateListUserPools,
} from "@aws-sdk/client-cognito-identity-provider";
import { ROLES, type Role } from "../../shared/desk/roles.js";
import { keepConnections } from "./keep-alive.js";
import { LOCAL_REGION } from "./lambda-runtime.js";
import { freePort, waitFor } from "./ports.js";

/**
 * The embedded Cognito user pool: cognito-local (Cognito's JSON API, its tokens and JWKS) in
 * a child process, behind a small front in this process. The front is the endpoint and the
 * tokens' issuer; it passes every request through and makes two answers what Cognito gives:
 * - cognito-local signs a disabled user in; Cognito refuses with NotAuthorizedException
 *   "User is disabled.", which the front answers instead of the tokens;
 * - a wrong password is InvalidPasswordException there; Cognito says NotAuthorizedException
 *   "Incorrect username or password.".
 * cognito-local signs its tokens with a key shipped in its package: embedded only.
 */

export interface LocalUserPool {
	/** Base URL of the Cognito API, and of `/<poolId>/.well-known/jwks.json`. */
	readonly endpoint: string;
	stop(): Promise<void>;
}

/** Runs cognito-local and ends it when this process ends, however it ends (see watchdog.mjs). */
const WATCHDOG = fileURLToPath(new URL("./watchdog.mjs", import.meta.url));
const TARGET_PREFIX = "AWSCognitoIdentityProviderService.";
/** Headers the front does not pass on: they describe one connection, not the message (fetch has decoded the body). */
const HOP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive", "content-encoding"]);

function cognitoLocalStart(): string {
	const require = createRequire(import.meta.url);
	return join(dirname(require.resolve("cognito-local/package.json")), "lib", "bin", "start.js");
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

function cognitoError(type: string, message: string): { status: number; body: string } {
	return { status: 400, body: JSON.stringify({ __type: type, message }) };
}

async function callUpstream(upstream: string, target: string, input: unknown): Promise<Response> {
	return fetch(upstream, {
		method: "POST",
		headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `${TARGET_PREFIX}${target}` },
		body: JSON.stringify(input),
	});
}

/** The pool and user an access token names: its issuer ends with the pool id. */
function tokenUser(accessToken: string): { userPoolId: string; username: string } | undefined {
	try {
		const payload = JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString("utf8")) as {
			iss?: string;
			username?: string;
		};
		if (!payload.iss || !payload.username) return undefined;
		return { userPoolId: payload.iss.slice(payload.iss.lastIndexOf("/") + 1), username: payload.username };
	} catch {
		return undefined;
	}
}

/** A sign-in's answer as Cognito would give it (see the file's comment), or undefined to pass cognito-local's on. */
async function signInAnswer(upstream: string, status: number, body: string): Promise<{ status: number; body: string } | undefined> {
	let answer: { __type?: string; AuthenticationResult?: { AccessToken?: string } };
	try {
		answer = JSON.parse(body) as typeof answer;
	} catch {
		return undefined;
	}
	if (status === 400 && answer.__type === "InvalidPasswordException") {
		return cognitoError("NotAuthorizedException", "Incorrect username or password.");
	}
	const user = answer.AuthenticationResult?.AccessToken ? tokenUser(answer.AuthenticationResult.AccessToken) : undefined;
	if (status !== 200 || !user) return undefined;
	const got = await callUpstream(upstream, "AdminGetUser", { UserPoolId: user.userPoolId, Username: user.username });
	if (!got.ok) return undefined;
	const { Enabled } = (await got.json()) as { Enabled?: boolean };
	return Enabled === false ? cognitoError("NotAuthorizedException", "User is disabled.") : undefined;
}

function startFront(upstream: string): Promise<Server> {
	const server = keepConnections(
		createServer((req, res) => {
			void (async () => {
				const body = await readBody(req);
				const headers = Object.fromEntries(
					Object.entries(req.headers).filter(([name, value]) => !HOP_HEADERS.has(name) && typeof value === "string"),
				) as Record<string, string>;
				const target = String(req.headers["x-amz-target"] ?? "").replace(TARGET_PREFIX, "");
				const answer = await fetch(`${upstream}${req.url ?? "/"}`, {
					method: req.method,
					headers,
					...(req.method === "GET" || req.method === "HEAD" ? {} : { body }),
				});
				const answerBody = Buffer.from(await answer.arrayBuffer());
				const replaced = ["InitiateAuth", "RespondToAuthChallenge"].includes(target)
					? await signInAnswer(upstream, answer.status, answerBody.toString("utf8"))
					: undefined;
				const passed = Object.fromEntries([...answer.headers].filter(([name]) => !HOP_HEADERS.has(name)));
				res.writeHead(replaced?.status ?? answer.status, replaced ? { ...passed, "content-type": "application/x-amz-json-1.1" } : passed);
				res.end(replaced?.body ?? answerBody);
			})().catch((err: unknown) => {
				res.writeHead(502, { "content-type": "text/plain" });
				res.end(`user pool front: ${(err as Error).message}`);
			});
		}),
	);
	return new Promise((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => resolve(server));
	});
}

function closeServer(server: Server): Promise<void> {
	return new Promise((resolve) => {
		server.close(() => resolve());
		server.closeAllConnections();
	});
}

/**
 * Starts cognito-local on a free port of 127.0.0.1, its data in `<dataDir>/user-pool/.cognito`
 * (kept across restarts), or in a temporary directory removed on stop when there is no dataDir.
 */
export async function startLocalUserPool(options: { dataDir?: string } = {}): Promise<LocalUserPool> {
	const dir = options.dataDir ? join(options.dataDir, "user-pool") : mkdtempSync(join(tmpdir(), "billing-user-pool-"));
	const port = await freePort();
	const upstream = `http://127.0.0.1:${port}`;
	const front = await startFront(upstream);
	const endpoint = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
	mkdirSync(join(dir, ".cognito"), { recursive: true });
	writeFileSync(
		join(dir, ".cognito", "config.json"),
		`${JSON.stringify(
			{
				// cognito-local's default makes email a username attribute (the username becomes a uuid); the desk signs in with the email itself.
				UserPoolDefaults: { UsernameAttributes: [] },
				// Tokens name the front, where their JWKS is fetched from.
				TokenConfig: { IssuerDomain: endpoint },
			},
			null,
			2,
		)}\n`,
	);
	const child: ChildProcess = spawn(process.execPath, [WATCHDOG, process.execPath, cognitoLocalStart()], {
		cwd: dir,
		env: { ...process.env, HOST: "127.0.0.1", PORT: String(port) },
		// stdin stays open as long as this process lives: its end is the watchdog's signal.
		stdio: ["pipe", "ignore", "pipe"],
	});
	let stderr = "";
	child.stderr?.on("data", (d: Buffer) => {
		stderr = (stderr + d.toString()).slice(-4000);
	});
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

	async function stop(): Promise<void> {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill("SIGTERM");
			const timer = setTimeout(() => child.kill("SIGKILL"), 8_000);
			await exited;
			clearTimeout(timer);
		}
		await closeServer(front);
		if (!options.dataDir) rmSync(dir, { recursive: true, force: true });
	}

	const died = exited.then(() => {
		throw new Error(`the local user pool (cognito-local) exited: ${stderr.trim()}`);
	});
	died.catch(() => undefined);
	try {
		await Promise.race([died, waitFor("the local user pool (cognito-local)", async () => (await fetch(`${upstream}/health`)).ok)]);
	} catch (err) {
		await stop();
		throw err;
	}
	return { endpoint, stop };
}

/** The desk's pool of one embedded stack, as ensureDeskUserPool finds or makes it. */
export interface DeskUserPool {
	readonly userPoolId: string;
	readonly clientId: string;
}

const DESK_CLIENT = "desk";
/** Cognito puts a user's groups in the token ordered by precedence, lowest first: the strongest role first. */
const GROUP_PRECEDENCE: Record<Role, number> = { admin: 0, billing: 1, viewer: 2 };

/**
 * The desk's user pool for a stack, named after its table as the SES configuration set is: the
 * pool (users sign in with their email as the username), its app client (USER_PASSWORD_AUTH, no
 * secret) and a group per role. Found by name when `billing serve` starts again on the same data
 * dir, never made twice.
 */
export async function ensureDeskUserPool(endpoint: string, tableName: string): Promise<DeskUserPool> {
	const cognito = new CognitoIdentityProviderClient({ endpoint, region: LOCAL_REGION });
	try {
		let userPoolId: string | undefined;
		for await (const page of paginateListUserPools({ client: cognito }, { MaxResults: 60 })) {
			userPoolId ??= page.UserPools?.find((p) => p.Name === tableName)?.Id;
		}
		userPoolId ??= (
			await cognito.send(
				new CreateUserPoolCommand({
					PoolName: tableName,
					AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
					UsernameConfiguration: { CaseSensitive: false },
				}),
			)
		).UserPool?.Id;
		if (!userPoolId) throw new Error(`the local user pool did not create a pool for ${tableName}`);

		let clientId: string | undefined;
		for await (const page of paginateListUserPoolClients({ client: cognito }, { UserPoolId: userPoolId, MaxResults: 60 })) {
			clientId ??= page.UserPoolClients?.find((c) => c.ClientName === DESK_CLIENT)?.ClientId;
		}
		clientId ??= (
			await cognito.send(
				new CreateUserPoolClientCommand({
					UserPoolId: userPoolId,
					ClientName: DESK_CLIENT,
					GenerateSecret: false,
					ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
					// Cognito's default: an hour (cognito-local's own is a day).
					AccessTokenValidity: 60,
					TokenValidityUnits: { AccessToken: "minutes" },
				}),
			)
		).UserPoolClient?.ClientId;
		if (!clientId) throw new Error(`the local user pool did not create an app client for ${tableName}`);

		const groups = new Set<string>();
		for await (const page of paginateListGroups({ client: cognito }, { UserPoolId: userPoolId })) {
			for (const group of page.Groups ?? []) if (group.GroupName) groups.add(group.GroupName);
		}
		// One at a time, and only the missing ones: cognito-local's CreateGroup on an existing group empties it.
		for (const role of ROLES.filter((r) => !groups.has(r))) {
			await cognito.send(new CreateGroupCommand({ UserPoolId: userPoolId, GroupName: role, Precedence: GROUP_PRECEDENCE[role] }));
		}
		return { userPoolId, clientId };
	} finally {
		cognito.destroy();
	}
}
