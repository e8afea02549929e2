import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
	ACCOUNT_DETAIL,
	ACCOUNT_PAGES,
	capabilitiesOf,
	EXECUTIONS,
	executionDetail,
	type FakeRole,
	INVOICE,
	INVOICE_DETAIL,
	INVOICES,
	PAYMENT,
	TRIAL_BALANCE,
	WORKLIST,
} from "./desk-fake-records.js";

/**
 * A stand-in for the desk API and the user pool, for the desk app's browser smoke test only
 * (test/local/desk-app.test.ts): the records of desk-fake-records.ts, tokens that the fake
 * pool issued, and every mutating call recorded. The real API and cognito-local are
 * exercised by the end-to-end journey, not here.
 */

export interface FakeUser {
	readonly email: string;
	readonly role: FakeRole;
	password: string;
	/** A temporary password: the first sign-in must set a new one. */
	mustChange: boolean;
}

export interface RecordedCall {
	readonly method: string;
	readonly path: string;
	readonly body: unknown;
}

interface CognitoRequest {
	readonly AuthParameters?: Record<string, string>;
	readonly ChallengeResponses?: Record<string, string>;
	readonly Session?: string;
}

/** An answer: JSON, unless the body is already text (an export). */
interface Answer {
	readonly status: number;
	readonly body: unknown;
	readonly headers?: Readonly<Record<string, string>>;
}

const answer = (status: number, body: unknown, headers?: Record<string, string>): Answer => ({
	status,
	body,
	...(headers ? { headers } : {}),
});

function send(res: ServerResponse, { status, body, headers }: Answer): void {
	const text = typeof body === "string";
	res.writeHead(status, { "content-type": text ? "text/plain" : "application/json", ...headers });
	res.end(text ? body : JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const text = Buffer.concat(chunks).toString("utf8");
	return text ? (JSON.parse(text) as unknown) : undefined;
}

export class DeskFake {
	readonly users = new Map<string, FakeUser>();
	readonly calls: RecordedCall[] = [];
	private readonly tokens = new Map<string, FakeUser>();
	private readonly sessions = new Map<string, FakeUser>();
	private issued = 0;

	constructor(users: readonly FakeUser[]) {
		for (const user of users) this.users.set(user.email, { ...user });
	}

	/** Every token stops working, as when they expire: the next API call answers 401. */
	expireTokens(): void {
		this.tokens.clear();
	}

	private issue(user: FakeUser) {
		const token = `token-${++this.issued}`;
		this.tokens.set(token, user);
		return { AuthenticationResult: { AccessToken: token, RefreshToken: `refresh-${this.issued}`, ExpiresIn: 3600, TokenType: "Bearer" } };
	}

	/** The user pool's InitiateAuth and RespondToAuthChallenge, with the CORS answers a browser needs for another origin. */
	async cognito(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const cors = { "access-control-allow-origin": "*" };
		if (req.method === "OPTIONS") {
			res.writeHead(204, { ...cors, "access-control-allow-methods": "POST", "access-control-allow-headers": "content-type,x-amz-target" });
			res.end();
			return;
		}
		const target = String(req.headers["x-amz-target"] ?? "");
		send(res, { ...this.cognitoAnswer(target, (await readJson(req)) as CognitoRequest), headers: cors });
	}

	private cognitoAnswer(target: string, body: CognitoRequest): Answer {
		const refuse = (type: string, message: string) => answer(400, { __type: type, message });
		if (target.endsWith(".InitiateAuth")) {
			const user = this.users.get(body.AuthParameters?.USERNAME ?? "");
			if (!user || user.password !== body.AuthParameters?.PASSWORD)
				return refuse("NotAuthorizedException", "Incorrect username or password.");
			if (!user.mustChange) return answer(200, this.issue(user));
			const session = `session-${++this.issued}`;
			this.sessions.set(session, user);
			return answer(200, { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: session, ChallengeParameters: {} });
		}
		if (target.endsWith(".RespondToAuthChallenge")) {
			const user = this.sessions.get(body.Session ?? "");
			const password = body.ChallengeResponses?.NEW_PASSWORD ?? "";
			if (!user || user.email !== body.ChallengeResponses?.USERNAME) return refuse("NotAuthorizedException", "Invalid session.");
			if (password.length < 8) return refuse("InvalidPasswordException", "Password does not conform to policy.");
			user.password = password;
			user.mustChange = false;
			return answer(200, this.issue(user));
		}
		return refuse("UnknownOperationException", target);
	}

	/** The desk API under /desk/api: false for any other path. */
	async api(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
		const url = new URL(req.url ?? "/", "http://localhost");
		if (!url.pathname.startsWith("/desk/api/")) return false;
		const segments = url.pathname.slice("/desk/api/".length).split("/").map(decodeURIComponent);
		const user = this.tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
		const method = req.method ?? "GET";
		if (!user) send(res, answer(401, { error: "Unauthorized" }));
		else if (method === "GET") send(res, this.answerRead(segments, url.searchParams, user));
		else {
			const body = await readJson(req);
			this.calls.push({ method, path: segments.join("/"), body });
			send(res, this.answerChange(method, segments.join("/"), body));
		}
		return true;
	}

	private answerRead(segments: readonly string[], query: URLSearchParams, user: FakeUser): Answer {
		const [resource, id, part] = segments;
		switch (resource) {
			case "me":
				return answer(200, { email: user.email, subject: `sub-${user.email}`, role: user.role, capabilities: capabilitiesOf(user.role) });
			case "worklist":
				return answer(200, WORKLIST);
			case "accounts":
				if (id) return answer(200, ACCOUNT_DETAIL);
				return answer(200, query.get("cursor") === "page-2" ? ACCOUNT_PAGES.second : ACCOUNT_PAGES.first);
			case "invoices":
				if (part === "pdf") return answer(200, { url: `/desk-test/${id}.pdf`, expiresAt: new Date(Date.now() + 300_000).toISOString() });
				if (id) return answer(200, INVOICE_DETAIL);
				return answer(200, { items: INVOICES });
			case "payments":
				return answer(200, { items: [PAYMENT] });
			case "books":
				if (part === "export") {
					return answer(200, "date,account,debit,credit\n", {
						"content-type": "text/csv",
						"content-disposition": `attachment; filename="journal-${id}.csv"`,
					});
				}
				return answer(200, TRIAL_BALANCE);
			case "users":
				return answer(200, {
					items: [...this.users.values()].map((u) => ({
						email: u.email,
						role: u.role,
						enabled: true,
						status: u.mustChange ? "FORCE_CHANGE_PASSWORD" : "CONFIRMED",
					})),
				});
			case "executions":
				return answer(200, id ? executionDetail(id) : EXECUTIONS);
			default:
				return answer(404, { error: `no route ${segments.join("/")}` });
		}
	}

	/** A hold is refused (409), a void without a reason too (400 per field); an import whose accounts have "bad@" has a line error. */
	private answerChange(method: string, path: string, body: unknown): Answer {
		const { reason } = (body ?? {}) as { reason?: string };
		if (path.endsWith("/hold")) return answer(409, { error: `${INVOICE.number} has a payment in flight; hold it once it settles` });
		if (path.endsWith("/void") && !reason?.trim()) {
			return answer(400, { error: "invalid input", details: [{ field: "reason", message: "a reason is required" }] });
		}
		if (method === "POST" && path === "users") return answer(200, { ...(body as object), password: "Generated-Pass-1" });
		if (path === "imports") {
			const files = (body as { files: Record<string, string> }).files;
			const errors = (files.accounts ?? "").includes("bad@")
				? [{ file: "accounts", line: 3, field: "email", message: "not an email address" }]
				: [];
			return answer(errors.length > 0 ? 400 : 200, {
				...(errors.length > 0 ? {} : { importId: "imp-1" }),
				counts: { accounts: 2 },
				errors,
			});
		}
		return answer(200, { ok: true });
	}
}

/** The fake pool on its own port, another origin than the desk's, as the real one is. */
export async function startFakeCognito(fake: DeskFake): Promise<{ url: string; close: () => Promise<void> }> {
	const server = createServer((req, res) => void fake.cognito(req, res));
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const address = server.address();
	const port = typeof address === "object" && address ? address.port : 0;
	return {
		url: `http://127.0.0.1:${port}/`,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
