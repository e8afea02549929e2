import type { IncomingMessage, ServerResponse } from "node:http";
import { extname } from "node:path";
import { buildDesk, type DeskBuild } from "../../desk/build.js";
import { deskPageHeaders } from "../../shared/desk/page-headers.js";

/**
 * The desk app on the embedded HTTP front (DESIGN.md section 12): `/desk/config.json` tells
 * the app where its API and user pool are, the built files are served from memory (built
 * once, at the first request), and every other path under /desk/ answers index.html so a
 * deep link such as /desk/invoices/INV-2026-000042 works on reload. /desk/api/ is not
 * answered here: the desk API's handler owns it. Every answer carries the security headers
 * CloudFront adds deployed (shared/desk/page-headers.ts), the user pool's origin the one
 * difference; invoice PDFs come from this same front, so frames need no other origin.
 */

export interface DeskFrontOptions {
	/** Where the app calls its API, e.g. `/desk/api`. */
	readonly apiBase: string;
	/** The Cognito-compatible user pool the sign-in form calls. */
	readonly userPool: { readonly endpoint: string; readonly region: string; readonly clientId: string };
	/** The build to serve; the default builds desk/src with esbuild, in memory. */
	readonly build?: () => Promise<DeskBuild>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".json": "application/json",
	".woff2": "font/woff2",
	".woff": "font/woff",
	".ttf": "font/ttf",
	".svg": "image/svg+xml",
};

/** A request for one of these that is not in the build is a stale or mistyped asset: 404, not the app's HTML. */
const ASSET_EXTENSIONS = new Set([".js", ".css", ".map", ".woff2", ".woff", ".ttf", ".svg", ".png", ".ico"]);

export function deskFront(options: DeskFrontOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
	const config = JSON.stringify({ apiBase: options.apiBase, userPool: options.userPool });
	const pageHeaders = deskPageHeaders({ userPool: new URL(options.userPool.endpoint).origin });
	const answer = (
		req: IncomingMessage,
		res: ServerResponse,
		status: number,
		headers: Record<string, string>,
		body: Uint8Array | string,
	) => {
		res.writeHead(status, { ...pageHeaders, ...headers });
		res.end(req.method === "HEAD" ? undefined : body);
	};
	const build = options.build ?? (() => buildDesk());
	let files: Promise<Map<string, Uint8Array>> | undefined;
	const builtFiles = () => {
		if (!files) {
			files = build().then((b) => new Map(b.files.map((f) => [f.path, f.contents])));
			// A failed build is not kept: the next request tries again, after the sources are fixed.
			files.catch(() => {
				files = undefined;
			});
		}
		return files;
	};

	return async (req, res) => {
		const path = new URL(req.url ?? "/", "http://localhost").pathname;
		if (path !== "/desk" && !path.startsWith("/desk/")) return false;
		if (path === "/desk/api" || path.startsWith("/desk/api/")) return false;
		if (req.method !== "GET" && req.method !== "HEAD") return false;
		if (path === "/desk/config.json") {
			answer(req, res, 200, { "content-type": "application/json", "cache-control": "no-store" }, config);
			return true;
		}
		const built = await builtFiles();
		const name = path.slice("/desk/".length);
		const file = name === "index.html" ? undefined : built.get(name);
		if (file) {
			// Every built file but index.html has its content's hash in its name.
			const type = CONTENT_TYPES[extname(name)] ?? "application/octet-stream";
			answer(req, res, 200, { "content-type": type, "cache-control": "public, max-age=31536000, immutable" }, file);
			return true;
		}
		if (ASSET_EXTENSIONS.has(extname(name))) {
			answer(req, res, 404, { "content-type": "text/plain; charset=utf-8" }, `no desk file ${name}\n`);
			return true;
		}
		const index = built.get("index.html") ?? new Uint8Array();
		answer(req, res, 200, { "content-type": CONTENT_TYPES[".html"] as string, "cache-control": "no-cache" }, index);
		return true;
	};
}
