import { BillingError } from "../core/errors.js";
import type { Caller } from "./roles.js";
import type { DeskServices } from "./services.js";

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
}

export function json(status: number, body: unknown): DeskResponse {
	return { status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** Errors as `{ error, details }`: 4xx say what was wrong, 5xx say nothing of the internals. */
export function errorResponse(err: unknown): DeskResponse {
	if (err instanceof BillingError && err.statusCode < 500) {
		const details = (err as { details?: unknown }).details;
		return json(err.statusCode, { error: err.message, ...(details !== undefined ? { details } : {}) });
	}
	return json(500, { error: "Internal Server Error" });
}
