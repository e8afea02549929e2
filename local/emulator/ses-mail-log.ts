import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { keepConnections } from "./keep-alive.js";

/**
 * The embedded SES endpoint: aws-ses-v2-local behind a small front that keeps the mail log
 * as SES does, on disk as each message is accepted. aws-ses-v2-local holds mail in memory
 * only, so a crash of the stack lost every message it had accepted; now each accepted
 * SendRawEmail is written to `<mailDir>/<message id>.eml` and one line of
 * `<mailDir>/sent.jsonl` (message id, recipients, the send's tags, when), synced to disk
 * before the sender hears "accepted". `GET /sent?since=N` answers the lines from N on: what
 * SES's send events say deployed (the message went out, with its tags). Every other request
 * passes through unchanged (`/store` and the rest of the server's own API).
 *
 * With `maxSendRate`, it keeps a sending rate as SES keeps an account's: a send that would
 * make more than that many in the last second is answered with SES's throttling error
 * (HTTP 400, `Throttling`, "Maximum sending rate exceeded.") and not passed on; `GET
 * /sending-rate` answers when each send came and whether it was throttled.
 */

export interface AcceptedMessage {
	readonly messageId: string;
	/** The configuration set the send named: whose events these are, as SES routes them deployed. */
	readonly configurationSet?: string;
	readonly destinations: readonly string[];
	/** The send's SES message tags (`Tags` of SendRawEmail), by name. */
	readonly tags: Readonly<Record<string, string>>;
	readonly at: string;
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
	new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => resolve(Buffer.concat(chunks)));
		req.on("error", reject);
	});

/** Written (or appended) and synced: the bytes are on disk before this returns. */
function writeDurably(path: string, data: Buffer | string, flag: "w" | "a"): void {
	const fd = openSync(path, flag);
	try {
		writeFileSync(fd, data);
		fsyncSync(fd);
	} finally {
		closeSync(fd);
	}
}

/** The accepted message of a SendRawEmail request (SES's query protocol) and its answer, if it was accepted. */
function acceptedMessage(body: Buffer, status: number, answer: string): { message: AcceptedMessage; raw: Buffer } | undefined {
	const form = new URLSearchParams(body.toString("utf8"));
	if (form.get("Action") !== "SendRawEmail" || status !== 200) return undefined;
	const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(answer)?.[1];
	if (!messageId) return undefined;
	const destinations: string[] = [];
	const tags: Record<string, string> = {};
	for (let i = 1; form.has(`Destinations.member.${i}`); i++) destinations.push(form.get(`Destinations.member.${i}`) as string);
	for (let i = 1; form.has(`Tags.member.${i}.Name`); i++)
		tags[form.get(`Tags.member.${i}.Name`) as string] = form.get(`Tags.member.${i}.Value`) ?? "";
	return {
		message: {
			messageId,
			...(form.get("ConfigurationSetName") ? { configurationSet: form.get("ConfigurationSetName") as string } : {}),
			destinations,
			tags,
			at: new Date().toISOString(),
		},
		raw: Buffer.from(form.get("RawMessage.Data") ?? "", "base64"),
	};
}

/** SES's answer to a send over the account's sending rate (its query protocol's error document). */
const THROTTLED = `<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error><RequestId>throttled</RequestId></ErrorResponse>`;

const SEND_ACTIONS = new Set(["SendRawEmail", "SendEmail"]);

/** The sends of the last second: whether one more keeps within `perSecond`, and if so it counts. */
function sendingWindow(perSecond: number, now: () => number = Date.now): () => boolean {
	const recent: number[] = [];
	return () => {
		const at = now();
		while (recent.length > 0 && (recent[0] as number) <= at - 1000) recent.shift();
		if (recent.length >= perSecond) return false;
		recent.push(at);
		return true;
	};
}

const PENDING = ".eml.pending";

/**
 * What a crash left between writing a message aside and putting it in place: a message whose
 * line is in the log was accepted and goes in place; one without was never answered, so its
 * sender sends it again, and it is dropped.
 */
function settlePending(mailDir: string, logged: ReadonlySet<string>): void {
	for (const file of readdirSync(mailDir).filter((f) => f.endsWith(PENDING))) {
		const messageId = file.slice(0, -PENDING.length);
		if (logged.has(messageId)) renameSync(join(mailDir, file), join(mailDir, `${messageId}.eml`));
		else rmSync(join(mailDir, file));
	}
}

/** Listens on `port` in front of the SES server at `upstream`; with `mailDir`, the log is kept there, else in memory. */
export async function startSesMailLog(options: {
	readonly upstream: string;
	readonly port: number;
	readonly mailDir?: string;
	/** Sends a second the front accepts before it answers SES's throttling error; unset: no limit. */
	readonly maxSendRate?: number;
}): Promise<Server> {
	const { upstream, mailDir } = options;
	const withinRate = options.maxSendRate === undefined ? undefined : sendingWindow(options.maxSendRate);
	const sends: { at: string; throttled: boolean }[] = [];
	const log = mailDir ? join(mailDir, "sent.jsonl") : undefined;
	if (mailDir) mkdirSync(mailDir, { recursive: true });
	const inMemory: AcceptedMessage[] = [];
	const accepted = (): AcceptedMessage[] => {
		if (!log) return inMemory;
		let text = "";
		try {
			text = readFileSync(log, "utf8");
		} catch {
			return [];
		}
		// A line a crash tore mid-append is skipped, not a reason to answer nothing.
		return text.split("\n").flatMap((line) => {
			try {
				return line === "" ? [] : [JSON.parse(line) as AcceptedMessage];
			} catch {
				return [];
			}
		});
	};

	if (mailDir) settlePending(mailDir, new Set(accepted().map((m) => m.messageId)));

	const server = keepConnections(
		createServer((req, res) => {
			void (async () => {
				const url = new URL(req.url ?? "/", "http://ses.local");
				if (req.method === "GET" && url.pathname === "/sent") {
					const since = Number(url.searchParams.get("since") ?? "0");
					res.writeHead(200, { "content-type": "application/json" });
					res.end(JSON.stringify({ sent: accepted().slice(since) }));
					return;
				}
				if (req.method === "GET" && url.pathname === "/sending-rate") {
					res.writeHead(200, { "content-type": "application/json" });
					res.end(JSON.stringify({ sends }));
					return;
				}
				const body = await readBody(req);
				if (withinRate && req.method === "POST" && SEND_ACTIONS.has(new URLSearchParams(body.toString("utf8")).get("Action") ?? "")) {
					const within = withinRate();
					sends.push({ at: new Date().toISOString(), throttled: !within });
					if (!within) {
						res.writeHead(400, { "content-type": "text/xml" });
						res.end(THROTTLED);
						return;
					}
				}
				const headers = Object.fromEntries(
					Object.entries(req.headers).filter(([name]) => !["host", "content-length", "connection"].includes(name)),
				) as Record<string, string>;
				const answer = await fetch(`${upstream}${req.url ?? "/"}`, {
					method: req.method,
					headers,
					...(req.method === "GET" || req.method === "HEAD" ? {} : { body }),
				});
				const answerBody = Buffer.from(await answer.arrayBuffer());
				const sent = req.method === "POST" ? acceptedMessage(body, answer.status, answerBody.toString("utf8")) : undefined;
				if (sent) {
					if (mailDir && log) {
						// The log's line is the commit: the message is written aside first and put in place after
						// it, so a crash never leaves an email on disk that no send event reports (its sender,
						// seeing no event, would send it again).
						const pending = join(mailDir, `${sent.message.messageId}${PENDING}`);
						writeDurably(pending, sent.raw, "w");
						writeDurably(log, `${JSON.stringify(sent.message)}\n`, "a");
						renameSync(pending, join(mailDir, `${sent.message.messageId}.eml`));
					} else inMemory.push(sent.message);
				}
				res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/octet-stream" });
				res.end(answerBody);
			})().catch((err: unknown) => {
				res.writeHead(502, { "content-type": "text/plain" });
				res.end(`SES front: ${(err as Error).message}`);
			});
		}),
	);
	await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
	return server;
}
