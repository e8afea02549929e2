import { currentSession, endSession } from "../auth/session.js";

/**
 * The one way the desk calls its API: JSON in and out, the bearer token on every call, and
 * one error shape. A 401 ends the session, and the shell sends the person to sign in (then
 * back); the server decides everything else, the desk only shows what it answered.
 */

export interface FieldProblem {
	readonly field: string;
	readonly message: string;
}

export interface RoleRefusal {
	readonly operation: string;
	readonly roleNeeded: string;
	readonly role: string;
}

export class ApiError extends Error {
	constructor(
		readonly status: number,
		message: string,
		readonly details?: unknown,
		/** The whole error body, for the answers that carry more than `{ error, details }` (a refused import). */
		readonly body?: unknown,
	) {
		super(message);
		this.name = "ApiError";
	}
}

let apiBase = "/desk/api";

/** Where the API is, from /desk/config.json, before the first call. */
export function configureApi(settings: { readonly apiBase: string }): void {
	apiBase = settings.apiBase.replace(/\/$/, "");
}

/** A path under the API with every interpolated value percent-encoded: apiPath`payments/${id}/apply`. */
export function apiPath(parts: TemplateStringsArray, ...values: readonly (string | number)[]): string {
	return parts.reduce((path, part, i) => path + part + (i < values.length ? encodeURIComponent(String(values[i])) : ""), "");
}

type Query = Readonly<Record<string, string | undefined>>;

function url(path: string, query: Query | undefined): string {
	const search = new URLSearchParams();
	for (const [key, value] of Object.entries(query ?? {})) if (value) search.set(key, value);
	const qs = search.toString();
	return `${apiBase}/${path}${qs ? `?${qs}` : ""}`;
}

async function send(method: string, path: string, init: { query?: Query; body?: unknown; signal?: AbortSignal }): Promise<Response> {
	const headers: Record<string, string> = { accept: "application/json" };
	const token = currentSession()?.accessToken;
	if (token) headers.authorization = `Bearer ${token}`;
	if (init.body !== undefined) headers["content-type"] = "application/json";
	const response = await fetch(url(path, init.query), {
		method,
		headers,
		...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
		...(init.signal ? { signal: init.signal } : {}),
	});
	if (response.ok) return response;
	const body = (await response.json().catch(() => ({}))) as { error?: unknown; details?: unknown };
	if (response.status === 401) endSession();
	const message = typeof body.error === "string" ? body.error : `${method} ${path} answered ${response.status}`;
	throw new ApiError(response.status, message, body.details, body);
}

export async function apiGet<T>(path: string, options: { query?: Query; signal?: AbortSignal } = {}): Promise<T> {
	return (await (await send("GET", path, options)).json()) as T;
}

/**
 * An operation: the API answers `{ result, notes }`, the operation's result as the CLI prints
 * it and where a closed period moved a back-dated change; the notes join the result as `notes`.
 */
export async function apiSend<T>(
	method: "POST" | "PATCH",
	path: string,
	body: unknown,
): Promise<T & { readonly notes?: readonly string[] }> {
	const response = await send(method, path, { body });
	const answer = (await response.json()) as { result: T; notes?: readonly string[] };
	return { ...answer.result, ...(answer.notes?.length ? { notes: answer.notes } : {}) };
}

/** A file the API answers (an export), with the name its Content-Disposition gives. */
export async function apiDownload(path: string, query: Query, fallbackName: string): Promise<{ blob: Blob; name: string }> {
	const response = await send("GET", path, { query });
	const disposition = response.headers.get("content-disposition") ?? "";
	const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
	return { blob: await response.blob(), name };
}

/** A 401: the session already ended and the sign-in page is on its way; nothing else to say. */
export function isSignedOut(err: unknown): boolean {
	return err instanceof ApiError && err.status === 401;
}

/** Refusals the person can correct in the dialog they are in: bad input, a role they lack, a conflict with the record's state. */
export function isExpected(err: unknown): err is ApiError {
	return err instanceof ApiError && (err.status === 400 || err.status === 403 || err.status === 409);
}

function fieldProblems(err: unknown): readonly FieldProblem[] {
	if (!(err instanceof ApiError) || err.status !== 400 || !Array.isArray(err.details)) return [];
	return (err.details as unknown[]).filter(
		(d): d is FieldProblem => typeof (d as FieldProblem)?.field === "string" && typeof (d as FieldProblem)?.message === "string",
	);
}

/**
 * What to say about a refusal: the role it needs for a 403, and for a 400 the problems of
 * fields not shown beside a field of the form (`lines` covers `lines.0.quantity`).
 */
export function refusalText(err: unknown, fieldsShown: readonly string[] = []): string | undefined {
	if (!err) return undefined;
	if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
	if (err.status === 403) {
		const refusal = err.details as Partial<RoleRefusal> | undefined;
		if (refusal?.roleNeeded) return `This needs the ${refusal.roleNeeded} role; you are ${refusal.role ?? "signed in without it"}.`;
	}
	const problems = fieldProblems(err);
	if (problems.length > 0) {
		const others = problems.filter((p) => !fieldsShown.some((f) => p.field === f || p.field.startsWith(`${f}.`)));
		return others.length > 0 ? others.map((p) => `${p.field}: ${p.message}`).join("; ") : "Correct the fields marked above.";
	}
	return err.message;
}

/** The message to show beside one field of a form, from a 400's details. */
export function fieldError(err: unknown, field: string): string | undefined {
	return fieldProblems(err).find((p) => p.field === field)?.message;
}
