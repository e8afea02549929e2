import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The part of Koa's context the middleware reads. */
interface KoaContext {
	readonly method: string;
	readonly path: string;
	readonly querystring: string;
	get(header: string): string;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

/** s3rver 3.7.1 is a Koa application whose object store can say whether a key exists. */
export interface S3rverApp {
	readonly middleware: Middleware[];
	readonly store: { existsObject(bucket: string, key: string): Promise<boolean> };
}

type S3ErrorClass = new (code: string, message: string, detail?: Record<string, string>) => Error & { status: number; expose: boolean };

/**
 * s3rver 3.7.1 honours `If-None-Match` on GET only: a PUT Object carrying `If-None-Match: *`
 * overwrites the key like any PUT (measured, and read in its lib/controllers/object.js). S3
 * refuses it with 412 PreconditionFailed when the key exists, and with 409
 * ConditionalRequestConflict while another conditional write of the key is in flight. This
 * middleware, put in front of s3rver's own, answers the same, so the embedded stack never
 * rewrites an issued document and the handlers need no local-mode branch (DESIGN.md
 * section 4). Only PUT Object with `If-None-Match: *` is checked (no sub-resource query: not
 * a part, ACL, tagging or retention), path-style (`/bucket/key`), as the embedded clients
 * address the server.
 */
export function enforceConditionalPuts(s3rver: S3rverApp): void {
	const S3Error = require("s3rver/lib/models/error") as S3ErrorClass;
	const inFlight = new Set<string>();
	const conditionalPut: Middleware = async (ctx, next) => {
		if (ctx.method !== "PUT" || ctx.get("if-none-match").trim() !== "*" || subresource(ctx.querystring)) return next();
		const [, bucket = "", ...keyParts] = ctx.path.split("/");
		const key = decodeURIComponent(keyParts.join("/"));
		if (!bucket || !key) return next();
		const id = `${bucket}/${key}`;
		if (inFlight.has(id)) {
			const conflict = new S3Error(
				"ConditionalRequestConflict",
				"A conflicting conditional operation is currently in progress against this resource. Please try again.",
				{ Key: key },
			);
			conflict.status = 409;
			conflict.expose = true;
			throw conflict;
		}
		inFlight.add(id);
		try {
			if (await s3rver.store.existsObject(decodeURIComponent(bucket), key)) {
				throw new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", {
					Condition: "If-None-Match",
				});
			}
			await next();
		} finally {
			inFlight.delete(id);
		}
	};
	s3rver.middleware.unshift(conditionalPut);
}

/** A query naming a sub-resource (`?acl`, `?tagging`, `?partNumber=1&uploadId=...`); the SDK's own `x-id=PutObject` is none. */
function subresource(querystring: string): boolean {
	const params = new URLSearchParams(querystring);
	params.delete("x-id");
	return params.size > 0;
}
