import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, verify } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { documentObjects } from "../../functions/catalog.js";

/**
 * The embedded stand-in for the document links' CloudFront distribution (DESIGN.md section
 * 15): the HTTP front serves the issued documents (invoices/, credit-memos/, statements/) from
 * the local S3 to a URL signed as CloudFront signs it, and refuses anything else with 403, as
 * CloudFront does: the key pair is generated once per data dir, and the handlers get its
 * private key as configuration (DOCUMENT_LINK_PRIVATE_KEY), as deployed ones read theirs from
 * Secrets Manager.
 */

/** The private key (PKCS#8 PEM), generated on the stack's first start and kept beside its data. */
export const DOCUMENT_LINK_KEY_FILE = "document-link-key.pem";

export interface DocumentLinkKey {
	/** Like a CloudFront public key id: "K" and 13 capitals and digits, derived from the public key. */
	readonly keyPairId: string;
	readonly privateKeyPem: string;
	readonly publicKey: KeyObject;
}

/** The data dir's signing key, generated (RSA 2048, as CloudFront takes) the first time. */
export function localDocumentLinkKey(dataDir: string): DocumentLinkKey {
	const path = join(dataDir, DOCUMENT_LINK_KEY_FILE);
	let privateKeyPem: string;
	try {
		privateKeyPem = readFileSync(path, "utf8");
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
		const generated = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
		try {
			writeFileSync(path, generated, { flag: "wx", mode: 0o600 });
			privateKeyPem = generated;
		} catch (raced) {
			// Another process on the same data dir wrote it first: use theirs.
			if ((raced as NodeJS.ErrnoException).code !== "EEXIST") throw raced;
			privateKeyPem = readFileSync(path, "utf8");
		}
	}
	const publicKey = createPublicKey(privateKeyPem);
	const digest = createHash("sha256")
		.update(publicKey.export({ type: "spki", format: "der" }))
		.digest("hex");
	return { keyPairId: `K${digest.slice(0, 13).toUpperCase()}`, privateKeyPem, publicKey };
}

/** The handlers' configuration for document links (shared/platform/config.ts, documentLinkConfig). */
export function documentLinkEnvironment(key: DocumentLinkKey, baseUrl: string): Record<string, string> {
	return {
		DOCUMENT_LINK_BASE_URL: baseUrl,
		DOCUMENT_LINK_KEY_PAIR_ID: key.keyPairId,
		DOCUMENT_LINK_PRIVATE_KEY: key.privateKeyPem,
	};
}

/** The key prefixes the distribution has a behaviour for (functions/catalog.ts, documentObjects). */
export const DOCUMENT_PREFIXES: readonly string[] = Object.values(documentObjects).map((o) => o.keys.replace(/\*$/, ""));

const SIGNING_PARAMETERS = new Set(["Expires", "Signature", "Key-Pair-Id", "Hash-Algorithm", "Policy"]);

/** CloudFront's URL-safe base64: `-` for `+`, `_` for `=`, `~` for `/`. */
function fromCloudFrontBase64(value: string): Buffer {
	return Buffer.from(value.replace(/-/g, "+").replace(/_/g, "=").replace(/~/g, "/"), "base64");
}

export type SignedUrlCheck = { readonly ok: true; readonly key: string } | { readonly ok: false; readonly reason: string };

/**
 * Checks a request URL as CloudFront checks a signed URL with a canned policy: the key pair
 * is the one it trusts, `now` is before `Expires` (seconds since the epoch), and `Signature`
 * is the key's RSA signature (SHA-1, or SHA-256 with `Hash-Algorithm=SHA256`) of the policy
 * `{"Statement":[{"Resource":"<the URL without the signing parameters>","Condition":{"DateLessThan":{"AWS:EpochTime":<Expires>}}}]}`.
 * `url` is the URL as requested (scheme, host and the raw, still-encoded path and query).
 */
export function checkSignedUrl(url: string, trusted: Pick<DocumentLinkKey, "keyPairId" | "publicKey">, nowMs: number): SignedUrlCheck {
	const queryStart = url.indexOf("?");
	const base = queryStart === -1 ? url : url.slice(0, queryStart);
	const pairs = queryStart === -1 ? [] : url.slice(queryStart + 1).split("&");
	const params = new Map<string, string>();
	const others: string[] = [];
	try {
		for (const pair of pairs) {
			const name = decodeURIComponent(pair.split("=")[0] ?? "");
			if (SIGNING_PARAMETERS.has(name)) params.set(name, decodeURIComponent(pair.slice(pair.indexOf("=") + 1)));
			else if (pair !== "") others.push(pair);
		}
	} catch {
		// A query that is not URL-encoded text: CloudFront refuses it as it refuses any unsigned request.
		return { ok: false, reason: "malformed query" };
	}
	if (params.has("Policy")) return { ok: false, reason: "custom policies are not supported here; document links use canned ones" };
	const expires = params.get("Expires");
	const signature = params.get("Signature");
	const keyPairId = params.get("Key-Pair-Id");
	if (expires === undefined || signature === undefined || keyPairId === undefined) return { ok: false, reason: "not signed" };
	if (keyPairId !== trusted.keyPairId) return { ok: false, reason: `key pair ${keyPairId} is not trusted` };
	if (!/^\d+$/.test(expires)) return { ok: false, reason: "Expires is not a time" };
	if (Math.floor(nowMs / 1000) >= Number(expires)) return { ok: false, reason: "expired" };
	const algorithm = params.get("Hash-Algorithm") ?? "SHA1";
	if (algorithm !== "SHA1" && algorithm !== "SHA256") return { ok: false, reason: `unknown Hash-Algorithm ${algorithm}` };
	const resource = others.length > 0 ? `${base}?${others.join("&")}` : base;
	const policy = JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { "AWS:EpochTime": Number(expires) } } }] });
	if (!verify(`RSA-${algorithm}`, Buffer.from(policy), trusted.publicKey, fromCloudFrontBase64(signature))) {
		return { ok: false, reason: "signature does not match" };
	}
	const path = new URL(base).pathname.slice(1);
	let key: string;
	try {
		key = path.split("/").map(decodeURIComponent).join("/");
	} catch {
		return { ok: false, reason: "malformed path" };
	}
	return { ok: true, key };
}

/** CloudFront's answer to a URL it refuses. */
function refuse(res: ServerResponse): void {
	res.writeHead(403, { "content-type": "application/xml" });
	res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>');
}

export interface DocumentFrontOptions {
	readonly s3: S3Client;
	readonly bucketName: string;
	readonly key: Pick<DocumentLinkKey, "keyPairId" | "publicKey">;
	/** The front's clock (ms since the epoch), injectable for tests; the real time by default. */
	readonly now?: () => number;
}

/**
 * The HTTP front's route for document links: a GET or HEAD under a document prefix with a
 * valid signature gets the object (200, its bytes and content type); without one, 403. A
 * signed URL to any other path gets 403, as the distribution's default behaviour answers; an
 * unsigned one is not this route's business (false: the webhooks and the console share the port).
 */
export function documentFront(options: DocumentFrontOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
	const now = options.now ?? Date.now;
	return async (req, res) => {
		if (req.method !== "GET" && req.method !== "HEAD") return false;
		const raw = req.url ?? "/";
		const path = raw.split("?")[0] ?? "/";
		if (!DOCUMENT_PREFIXES.some((prefix) => path.startsWith(`/${prefix}`))) {
			if (!/[?&](Signature|Key-Pair-Id)=/.test(raw)) return false;
			refuse(res);
			return true;
		}
		const checked = checkSignedUrl(`http://${req.headers.host ?? "127.0.0.1"}${raw}`, options.key, now());
		if (!checked.ok) {
			refuse(res);
			return true;
		}
		try {
			const object = await options.s3.send(new GetObjectCommand({ Bucket: options.bucketName, Key: checked.key }));
			const body = Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
			res.writeHead(200, {
				"content-type": object.ContentType ?? "application/octet-stream",
				"content-length": String(body.length),
				...(object.ETag ? { etag: object.ETag } : {}),
			});
			res.end(req.method === "HEAD" ? undefined : body);
		} catch (err) {
			// Deployed, the distribution may not list the bucket, so S3 answers a missing key with 403 too.
			if ((err as { name?: string }).name !== "NoSuchKey") throw err;
			refuse(res);
		}
		return true;
	};
}
