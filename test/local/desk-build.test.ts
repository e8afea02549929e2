import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDesk, type DeskBuild, FIRST_LOAD_LIMIT_BYTES } from "../../desk/build.js";
import { deskFront } from "../../local/emulator/desk-front.js";
import { deskContentSecurityPolicy } from "../../shared/desk/page-headers.js";

/**
 * The desk's build (desk/build.ts) and how the embedded front serves it
 * (local/emulator/desk-front.ts): one entry script and stylesheet named by their content,
 * an index.html with the /desk/ base, the first load's gzipped JavaScript measured and kept
 * under 1 MB, the sources type-checked against the browser's DOM; config.json from the
 * front's options, index.html for every deep link, and /desk/api left to the API.
 */

const text = (build: DeskBuild, path: string) => new TextDecoder().decode(build.files.find((f) => f.path === path)?.contents);

describe("the desk's build", () => {
	let build: DeskBuild;

	beforeAll(async () => {
		build = await buildDesk({});
	});

	it("bundles desk/src into one entry script and its stylesheet, named by their content, and an index.html based at /desk/", () => {
		expect(build.entry).toMatch(/^main-[A-Z0-9]{8}\.js$/);
		const paths = build.files.map((f) => f.path);
		const css = paths.find((p) => p.endsWith(".css")) as string;
		expect(css).toMatch(/^main-[A-Z0-9]{8}\.css$/);
		expect(paths.sort()).toEqual(["index.html", build.entry, css].sort());
		const index = text(build, "index.html");
		expect(index).toContain('<base href="/desk/">');
		expect(index).toContain(`<script type="module" src="${build.entry}"></script>`);
		expect(index).toContain(`<link rel="stylesheet" href="${css}">`);
		// Cloudscape's production build: React's development warnings are gone.
		expect(text(build, build.entry)).not.toContain("react-dom.development");
	});

	it("measures the first load's JavaScript: the entry, gzipped, under 1 MB", () => {
		const entry = build.files.find((f) => f.path === build.entry)?.contents as Uint8Array;
		expect(build.firstLoadBytes).toBe(entry.length);
		expect(build.firstLoadGzipBytes).toBe(gzipSync(entry, { level: 9 }).length);
		expect(build.firstLoadGzipBytes).toBeLessThan(FIRST_LOAD_LIMIT_BYTES);
		// About 500 KB today, nearly all React and Cloudscape: far less would mean they fell out of the bundle.
		expect(build.firstLoadGzipBytes).toBeGreaterThan(300_000);
		process.stdout.write(`desk first load: ${build.firstLoadBytes} bytes of JavaScript, ${build.firstLoadGzipBytes} gzipped\n`);
	});

	it("writes the same files to an outdir when asked", async () => {
		const outdir = mkdtempSync(join(tmpdir(), "desk-build-"));
		try {
			const written = await buildDesk({ outdir });
			expect(written.entry).toBe(build.entry);
			for (const file of written.files) expect(readFileSync(join(outdir, file.path)).equals(Buffer.from(file.contents))).toBe(true);
		} finally {
			rmSync(outdir, { recursive: true, force: true });
		}
	});
});

describe("the desk on the embedded HTTP front", () => {
	let server: Server;
	let base: string;
	let builds = 0;
	const files = new Map<string, string>([
		["index.html", '<!doctype html><base href="/desk/"><script type="module" src="main-TEST.js"></script>'],
		["main-TEST.js", "console.log('desk')"],
		["main-TEST.css", "body{}"],
	]);

	beforeAll(async () => {
		const front = deskFront({
			apiBase: "/desk/api",
			userPool: { endpoint: "http://127.0.0.1:9229/", region: "us-east-1", clientId: "client-1" },
			build: async () => {
				builds++;
				return {
					files: [...files].map(([path, body]) => ({ path, contents: new TextEncoder().encode(body) })),
					entry: "main-TEST.js",
					firstLoadBytes: 0,
					firstLoadGzipBytes: 0,
				};
			},
		});
		server = createServer((req, res) => {
			void front(req, res).then((answered) => {
				if (answered) return;
				res.writeHead(404, { "x-answered-by": "the next handler" });
				res.end();
			});
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		const address = server.address();
		base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
	});

	afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

	it("answers config.json from its options", async () => {
		const response = await fetch(`${base}/desk/config.json`);
		expect(response.headers.get("cache-control")).toBe("no-store");
		expect(await response.json()).toEqual({
			apiBase: "/desk/api",
			userPool: { endpoint: "http://127.0.0.1:9229/", region: "us-east-1", clientId: "client-1" },
		});
	});

	it("serves the built files, and index.html for /desk and every deep link, building once", async () => {
		const script = await fetch(`${base}/desk/main-TEST.js`);
		expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
		expect(script.headers.get("cache-control")).toContain("immutable");
		expect(await script.text()).toBe("console.log('desk')");
		expect((await fetch(`${base}/desk/main-TEST.css`)).headers.get("content-type")).toBe("text/css; charset=utf-8");
		for (const path of ["/desk", "/desk/", "/desk/index.html", "/desk/invoices/INV-2026-000042", "/desk/accounts?query=acme"]) {
			const page = await fetch(`${base}${path}`);
			expect(page.status, path).toBe(200);
			expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
			expect(page.headers.get("cache-control")).toBe("no-cache");
			expect(await page.text()).toContain('<base href="/desk/">');
		}
		expect(builds).toBe(1);
	});

	it("answers 404 for a script or stylesheet the build does not have, rather than the page", async () => {
		const stale = await fetch(`${base}/desk/main-OLD.js`);
		expect(stale.status).toBe(404);
		expect(stale.headers.get("x-answered-by")).toBeNull();
	});

	it("answers every desk path with the security headers CloudFront adds deployed, the local user pool its one other origin", async () => {
		const policy = deskContentSecurityPolicy({ userPool: "http://127.0.0.1:9229" });
		for (const path of ["/desk/", "/desk/invoices/INV-2026-000042", "/desk/main-TEST.js", "/desk/config.json", "/desk/main-OLD.js"]) {
			const response = await fetch(`${base}${path}`);
			expect(Object.fromEntries(response.headers), path).toMatchObject({
				"content-security-policy": policy,
				"x-content-type-options": "nosniff",
				"x-frame-options": "DENY",
				"referrer-policy": "no-referrer",
				"permissions-policy": "camera=(), microphone=(), geolocation=()",
			});
		}
		const directives = policy.split("; ");
		expect(directives).toEqual(
			expect.arrayContaining([
				"script-src 'self'",
				"connect-src 'self' http://127.0.0.1:9229",
				"frame-src 'self'",
				"object-src 'none'",
				"frame-ancestors 'none'",
			]),
		);
	});

	it("leaves /desk/api, other paths and other methods to the next handler", async () => {
		for (const [method, path] of [
			["GET", "/desk/api/me"],
			["GET", "/desk/api"],
			["GET", "/desks"],
			["GET", "/"],
			["POST", "/desk/invoices"],
		] as const) {
			const response = await fetch(`${base}${path}`, { method });
			expect(response.headers.get("x-answered-by"), `${method} ${path}`).toBe("the next handler");
		}
	});
});
