import { BillingError, TransientError, ValidationError } from "../core/errors.js";
import { isCancelled } from "../store/transact.js";
import type { Caller } from "./roles.js";
import type { DeskServices } from "./services.js";
import type { RunsSource } from "./views/runs.js";

/**
 * The desk API (DESIGN.md section 12), the second adapter over the operation catalog: one
 * request in (the path under /desk/api), one JSON answer out. The deployed DeskApi function
 * and the embedded HTTP front both call it with the same event, so the routes, the role
 * checks and the errors are the same in both modes.
 */
export interface DeskRequest {
	readonly method: string;
	/** The path under /desk/api, e.g. `/invoices/INV-2026-000042/void` (still percent-encoded). */
	readonly path: string;
	readonly query: URLSearchParams;
	/** The Authorization header, if any. */
	readonly authorization?: string;
	readonly body?: string;
}

export interface DeskResponse {
	readonly status: number;
	readonly headers: Readonly<Record<string, string>>;
	readonly body: string;
}

export interface DeskApiDeps {
	readonly services: DeskServices;
	/** The caller of a bearer token: 401 (UnauthenticatedError) for none or a bad one. */
	authenticate(authorization: string | undefined): Promise<Caller>;
	/** The billing cycle's runs, for the runs page. */
	readonly runs: RunsSource;
	/** Where a failure of ours goes (the function's error log, which is alarmed). */
	reportFailure(err: unknown): void;
}

export function json(status: number, body: unknown): DeskResponse {
	return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/**
 * Errors as `{ error, details }`: 4xx say what was wrong; a record that kept changing while
 * it was written is 409 (send it again); anything else is ours, reported, and answered 500
 * without its internals.
 */
export function errorResponse(err: unknown, report: (err: unknown) => void): DeskResponse {
	if (err instanceof BillingError && err.statusCode < 500) {
		const details = (err as { details?: unknown }).details;
		return json(err.statusCode, { error: err.message, ...(details !== undefined ? { details } : {}) });
	}
	if (isCancelled(err) || err instanceof TransientError) {
		return json(409, { error: "the record kept changing while this was being written; look at it again and retry" });
	}
	report(err);
	return json(500, { error: "Internal Server Error" });
}

type Params = Readonly<Record<string, string>>;

interface Route {
	readonly method: string;
	/** `/invoices/{number}/void`: each `{name}` matches one path segment, decoded. */
	readonly path: string;
	readonly handle: (context: RouteContext) => Promise<DeskResponse>;
}

export interface RouteContext {
	readonly deps: DeskApiDeps;
	readonly caller: Caller;
	readonly params: Params;
	readonly query: URLSearchParams;
	readonly body: Record<string, unknown>;
}

function match(route: Route, method: string, path: string): Params | undefined {
	if (route.method !== method) return undefined;
	const want = route.path.split("/");
	const got = path.replace(/\/+$/, "").split("/");
	if (want.length !== got.length) return undefined;
	const params: Record<string, string> = {};
	for (const [i, segment] of want.entries()) {
		const value = got[i] as string;
		if (segment.startsWith("{")) {
			try {
				params[segment.slice(1, -1)] = decodeURIComponent(value);
			} catch {
				return undefined;
			}
			if (params[segment.slice(1, -1)] === "") return undefined;
		} else if (segment !== value) return undefined;
	}
	return params;
}

function parseBody(body: string | undefined): Record<string, unknown> {
	if (body === undefined || body.trim() === "") return {};
	let parsed: unknown;
	try {
		parsed = JSON.parse(body);
	} catch {
		throw new ValidationError("the body is not JSON");
	}
	if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ValidationError("the body must be a JSON object");
	return parsed as Record<string, unknown>;
}

/**
 * Answers one desk request: the route, then the caller (401 without a valid token, before
 * anything is read), then the route's own work, whose operations check the role (403).
 */
export async function handleDeskRequest(deps: DeskApiDeps, routes: readonly Route[], request: DeskRequest): Promise<DeskResponse> {
	try {
		const method = request.method.toUpperCase();
		let found: { route: Route; params: Params } | undefined;
		for (const route of routes) {
			const params = match(route, method, request.path);
			if (params) {
				found = { route, params };
				break;
			}
		}
		if (!found) {
			const elsewhere = routes.some((r) => match(r, r.method, request.path) && r.method !== method);
			return elsewhere ? json(405, { error: `${method} is not allowed here` }) : json(404, { error: "no such desk route" });
		}
		const caller = await deps.authenticate(request.authorization);
		return await found.route.handle({
			deps,
			caller,
			params: found.params,
			query: request.query,
			body: parseBody(request.body),
		});
	} catch (err) {
		return errorResponse(err, (e) => deps.reportFailure(e));
	}
}

export function route(method: string, path: string, handle: Route["handle"]): Route {
	return { method, path, handle };
}
