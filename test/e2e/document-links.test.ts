import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/cloudfront-signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBillingCycle } from "../../local/cli/operations.js";
import { buildSeedData, seedDemoData } from "../../local/demo/seed.js";
import type { Invoice } from "../../shared/core/model.js";
import { createClients } from "../../shared/platform/clients.js";
import { listInvoicesOfPeriod } from "../../shared/store/records.js";
import { type StoredMail, sentMail, startTestStack } from "../support/embedded.js";

/**
 * DESIGN.md section 15: a link in an email works for as long as the email says. The invoice
 * email promises its download link until the end of a day; the link is a CloudFront-style
 * signed URL (canned policy) whose `Expires` is the end of that very day, served embedded by
 * the HTTP front, which checks the signature and the expiry against its own (here: the test's) clock.
 */

const PERIOD = "2026-10";
const DAY = 24 * 3600 * 1000;
/** Where the embedded stack keeps the key it signs document links with (generated once per data dir). */
const LOCAL_KEY_FILE = "document-link-key.pem";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
/** The front's clock; undefined: the real time. */
let clock: number | undefined;
let s3: ReturnType<typeof createClients>["s3"];
let invoices: Invoice[];
let mail: StoredMail[];
let sentFrom: number;
let sentUntil: number;

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface EmailedLink {
	readonly invoice: Invoice;
	readonly message: StoredMail;
	readonly link: string;
	readonly promisedDay: string;
}

function linkOf(invoice: Invoice): EmailedLink {
	const message = mail.find((m) => m.subject.includes(invoice.number));
	if (!message) throw new Error(`no email for ${invoice.number}`);
	const text = message.body.text ?? "";
	const link = /Download invoice \S+ \(PDF\): (\S+)/.exec(text)?.[1];
	const promisedDay = /\(the link works until (\d{4}-\d{2}-\d{2})/.exec(text)?.[1];
	expect(link, `${invoice.number}'s link`).toBeDefined();
	expect(promisedDay, `${invoice.number}'s promise: ${text}`).toBeDefined();
	return { invoice, message, link: link as string, promisedDay: promisedDay as string };
}

async function storedPdf(invoice: Invoice): Promise<Buffer> {
	const object = await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: invoice.pdfKey }));
	return Buffer.from((await object.Body?.transformToByteArray()) as Uint8Array);
}

/** GET through the front with its clock at `at` (undefined: now). */
async function download(url: string, at?: number): Promise<Response> {
	clock = at;
	try {
		return await fetch(url);
	} finally {
		clock = undefined;
	}
}

function withParam(link: string, name: string, value: string): string {
	const url = new URL(link);
	url.searchParams.set(name, value);
	return url.toString();
}

beforeAll(async () => {
	stack = await startTestStack("links", { http: true, now: () => clock ?? Date.now() });
	({ s3 } = createClients());
	const deps = { ddb: createClients().ddb, tableName: stack.tableName };
	// Three accounts, all emailed.
	const seed = buildSeedData(3, 11, PERIOD, { emailTag: stack.tag });
	await seedDemoData(deps, seed, PERIOD, join(stack.dataDir, "seed"));
	sentFrom = Date.now();
	const result = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: PERIOD, asOf: "2026-11-01" });
	sentUntil = Date.now();
	expect(result.status).toBe("SUCCEEDED");
	invoices = await listInvoicesOfPeriod(deps, PERIOD);
	mail = await sentMail((m) => m.destination.to.some((to) => to.includes(stack.tag)));
	expect(invoices).toHaveLength(3);
	expect(mail).toHaveLength(3);
});

afterAll(async () => {
	await stack?.stop();
});

describe("the invoice email's download link", () => {
	it("expires at the end of the day the email promises, at least 7 days after it was sent, and carries no AWS credentials", () => {
		for (const invoice of invoices) {
			const { link, promisedDay, message } = linkOf(invoice);
			const url = new URL(link);
			// A CloudFront signed URL with a canned policy: Expires, Signature, Key-Pair-Id.
			expect(url.searchParams.get("Expires"), link).toMatch(/^\d+$/);
			expect(url.searchParams.get("Signature"), link).toMatch(/^[A-Za-z0-9~_-]+$/);
			expect(url.searchParams.get("Key-Pair-Id"), link).toMatch(/^K[A-Z0-9]+$/);
			expect(link).not.toMatch(/X-Amz-/);
			const expires = Number(url.searchParams.get("Expires")) * 1000;
			const endOfPromisedDay = Date.parse(`${promisedDay}T00:00:00Z`) + DAY;
			// It works through the whole promised day (CloudFront refuses from Expires on), and not a day longer.
			expect(expires).toBe(endOfPromisedDay);
			// Seven days: the promised day is the 7th after the day it was sent (UTC).
			expect([utcDay(sentFrom + 7 * DAY), utcDay(sentUntil + 7 * DAY)]).toContain(promisedDay);
			expect(expires - sentUntil).toBeGreaterThan(7 * DAY);
			// The promise names the hour and the time zone: a bare date would read as the customer's whole day.
			expect(message.body.text).toContain(`(the link works until ${promisedDay} 23:59 UTC)`);
			// The HTML part links the same URL and makes the same promise.
			const html = message.body.html ?? "";
			expect(html).toContain(`href="${link.replace(/&/g, "&amp;")}"`);
			expect(html).toContain(`(the link works until ${promisedDay} 23:59 UTC)`);
		}
	});

	it("downloads the invoice's PDF byte for byte through the embedded front, now and 6 days later", async () => {
		for (const invoice of invoices) {
			const { link } = linkOf(invoice);
			const pdf = await storedPdf(invoice);
			expect(link.startsWith(`${stack.endpoints.http}/invoices/`), link).toBe(true);
			for (const at of [undefined, Date.now() + 6 * DAY]) {
				const response = await download(link, at);
				expect(response.status, `${invoice.number} at ${at ?? "now"}`).toBe(200);
				expect(response.headers.get("content-type")).toBe("application/pdf");
				expect(Buffer.from(await response.arrayBuffer()).equals(pdf)).toBe(true);
			}
		}
	});

	it("works until the last second of the promised day and is refused with 403 from the moment it expires", async () => {
		const { link } = linkOf(invoices[0] as Invoice);
		const expires = Number(new URL(link).searchParams.get("Expires")) * 1000;
		expect((await download(link, expires - 1000)).status).toBe(200);
		for (const at of [expires, expires + 1000, expires + 30 * DAY]) {
			const response = await download(link, at);
			expect(response.status, `at ${new Date(at).toISOString()}`).toBe(403);
			expect(await response.text()).not.toContain("%PDF");
		}
	});

	it("refuses a tampered link with 403: signature, key pair id, a later expiry, another document's path, no signature", async () => {
		const [first, second] = invoices as [Invoice, Invoice];
		const { link } = linkOf(first);
		const url = new URL(link);
		const signature = url.searchParams.get("Signature") as string;
		const flipped = `${signature.slice(0, 20)}${signature[20] === "A" ? "B" : "A"}${signature.slice(21)}`;
		const tampered = {
			signature: withParam(link, "Signature", flipped),
			"key pair id": withParam(link, "Key-Pair-Id", "KOTHERKEYPAIRID"),
			"a later expiry": withParam(link, "Expires", String(Number(url.searchParams.get("Expires")) + 86_400)),
			"another invoice's path": `${stack.endpoints.http}/${second.pdfKey}${url.search}`,
			"no signature": `${url.origin}${url.pathname}`,
		};
		for (const [what, tamperedLink] of Object.entries(tampered)) {
			const response = await download(tamperedLink);
			expect(response.status, what).toBe(403);
		}
		// The untouched link still works.
		expect((await download(link)).status).toBe(200);
	});

	it("serves only issued documents: a statement signed with the stack's key works, anything else (or another key) is refused", async () => {
		const { link } = linkOf(invoices[0] as Invoice);
		const keyPairId = new URL(link).searchParams.get("Key-Pair-Id") as string;
		const privateKey = readFileSync(join(stack.dataDir, LOCAL_KEY_FILE), "utf8");
		const dateLessThan = new Date(Date.now() + DAY).toISOString();
		const sign = (key: string, with_ = privateKey) =>
			getSignedUrl({ url: `${stack.endpoints.http}/${key}`, keyPairId, privateKey: with_, dateLessThan });

		const statements = await s3.send(new ListObjectsV2Command({ Bucket: stack.bucketName, Prefix: `statements/${PERIOD}/` }));
		const statementKey = statements.Contents?.[0]?.Key as string;
		expect(statementKey).toBeDefined();
		const statement = await download(sign(statementKey));
		expect(statement.status).toBe(200);
		expect(
			Buffer.from(await statement.arrayBuffer())
				.subarray(0, 5)
				.toString(),
		).toBe("%PDF-");

		const listed = await s3.send(new ListObjectsV2Command({ Bucket: stack.bucketName, Prefix: "manifests/" }));
		const manifestKey = listed.Contents?.[0]?.Key as string;
		expect(manifestKey).toBeDefined();
		expect((await download(sign(manifestKey))).status).toBe(403);

		const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;
		expect((await download(sign((invoices[0] as Invoice).pdfKey, other))).status).toBe(403);
	});
});
