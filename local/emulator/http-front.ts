import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { keepConnections } from "./keep-alive.js";
import { invokeLocalFunction, LOCAL_ACCOUNT, localFunctionArn } from "./lambda-runtime.js";

/** API Gateway's own payload cap; the webhook function enforces the product's 256 KB limit (MAX_WEBHOOK_BODY_BYTES). */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface HttpFront {
	readonly url: string;
	close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > GATEWAY_MAX_BODY_BYTES) return undefined;
		chunks.push(chunk as Buffer);
	}
	return Buffer.concat(chunks);
}

/** The same event shape API Gateway HTTP APIs (payload format 2.0) hand the deployed function. */
export function toApiGatewayEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
	const url = new URL(req.url ?? "/", "http://localhost");
	const headers: Record<string, string> = {};
	for (const [key, value] of Object.entries(req.headers)) {
		if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
	}
	const isText = /json|text|x-www-form-urlencoded|xml/i.test(headers["content-type"] ?? "application/json");
	const now = new Date();
	return {
		version: "2.0",
		routeKey: `${req.method} ${url.pathname}`,
		rawPath: url.pathname,
		rawQueryString: url.searchParams.toString(),
		headers,
		requestContext: {
			accountId: LOCAL_ACCOUNT,
			apiId: "local",
			domainName: headers.host ?? "localhost",
			domainPrefix: "local",
			http: {
				method: req.method ?? "GET",
				path: url.pathname,
				protocol: "HTTP/1.1",
				sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
				userAgent: headers["user-agent"] ?? "",
			},
			requestId: crypto.randomUUID(),
			routeKey: `${req.method} ${url.pathname}`,
			stage: "$default",
			time: now.toUTCString(),
			timeEpoch: now.getTime(),
		},
		body: isText ? body.toString("utf8") : body.toString("base64"),
		isBase64Encoded: !isText,
	};
}

function send(res: ServerResponse, status: number, body: string, contentType = "application/json"): void {
	res.writeHead(status, { "content-type": contentType });
	res.end(body);
}

/** The request to a function as API Gateway would hand it over (413 over the gateway's cap), its answer written back. */
async function forwardTo(functionId: string, req: IncomingMessage, res: ServerResponse, tooLarge: string): Promise<void> {
	const body = await readBody(req);
	if (!body) return send(res, 413, tooLarge);
	const result = (await invokeLocalFunction(
		localFunctionArn(functionId),
		toApiGatewayEvent(req, body),
	)) as APIGatewayProxyStructuredResultV2;
	res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
	res.end(result.body ?? "");
}

export async function startHttpFront(options: {
	port: number;
	host?: string;
	console?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
	/** The document links' stand-in for CloudFront (document-links.ts); true when it answered. */
	documents?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
	/** The desk app under /desk/ (desk-front.ts); true when it answered. */
	desk?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}): Promise<HttpFront> {
	const server: Server = keepConnections(
		createServer((req, res) => {
			void (async () => {
				try {
					const path = new URL(req.url ?? "/", "http://localhost").pathname;
					if (/^\/webhooks\/[^/]+\/?$/.test(path)) {
						if (req.method !== "POST") return send(res, 405, JSON.stringify({ message: "use POST" }));
						return await forwardTo("PaymentWebhook", req, res, JSON.stringify({ message: "Request Entity Too Large" }));
					}
					if (path === "/desk/api" || path.startsWith("/desk/api/")) {
						return await forwardTo("DeskApi", req, res, JSON.stringify({ error: "Request Entity Too Large" }));
					}
					if (options.documents && (await options.documents(req, res))) return;
					if (options.desk && (await options.desk(req, res))) return;
					if (req.method === "GET" && options.console && (await options.console(req, res))) return;
					send(res, 404, JSON.stringify({ message: "Not Found" }));
				} catch (err) {
					send(res, 500, JSON.stringify({ message: "Internal Server Error" }));
					process.stderr.write(`http front: ${(err as Error).stack ?? String(err)}\n`);
				}
			})();
		}),
	);
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
	});
	const address = server.address();
	const port = typeof address === "object" && address ? address.port : options.port;
	return {
		url: `http://${options.host ?? "127.0.0.1"}:${port}`,
		close: () =>
			new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
