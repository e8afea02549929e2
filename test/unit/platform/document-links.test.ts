import { generateKeyPairSync } from "node:crypto";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { checkSignedUrl } from "../../../local/emulator/document-links.js";
import { invoiceLinkExpiry } from "../../../shared/delivery/email-delivery.js";
import { documentLinkConfig } from "../../../shared/platform/config.js";
import { signedDocumentUrl } from "../../../shared/platform/document-links.js";

/**
 * The invoice email's link (DESIGN.md section 15): the day the email promises and the link's
 * expiry come from one calculation, and the link is a CloudFront signed URL made with a key
 * that is configuration: inline embedded, a Secrets Manager ARN deployed.
 */

const secretsMock = mockClient(SecretsManagerClient);
const secrets = () => new SecretsManagerClient({ region: "us-east-1" });
const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privatePem = keys.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
const trusted = { keyPairId: "KTESTKEYPAIR01", publicKey: keys.publicKey };
const base = { DOCUMENT_LINK_BASE_URL: "https://d111111abcdef8.cloudfront.net", DOCUMENT_LINK_KEY_PAIR_ID: "KTESTKEYPAIR01" };

beforeEach(() => {
	secretsMock.reset();
});

describe("invoiceLinkExpiry", () => {
	it("promises the 7th day after the day of sending and expires at that day's end, whatever the hour", () => {
		for (const sent of ["2026-12-07T00:00:00.000Z", "2026-12-07T13:45:10.123Z", "2026-12-07T23:59:59.999Z"]) {
			const { lastDay, expires } = invoiceLinkExpiry(new Date(sent));
			expect(lastDay, sent).toBe("2026-12-14");
			expect(expires.toISOString(), sent).toBe("2026-12-15T00:00:00.000Z");
		}
	});

	it("crosses months, years and leap days", () => {
		expect(invoiceLinkExpiry(new Date("2026-12-28T09:00:00Z"))).toEqual({
			lastDay: "2027-01-04",
			expires: new Date("2027-01-05T00:00:00Z"),
		});
		expect(invoiceLinkExpiry(new Date("2028-02-22T09:00:00Z"))).toEqual({
			lastDay: "2028-02-29",
			expires: new Date("2028-03-01T00:00:00Z"),
		});
	});
});

describe("documentLinkConfig", () => {
	it("names the variable that is missing or wrong", () => {
		expect(() => documentLinkConfig({})).toThrow(/DOCUMENT_LINK_BASE_URL is required/);
		expect(() => documentLinkConfig({ DOCUMENT_LINK_BASE_URL: "https://d1.cloudfront.net" })).toThrow(
			/DOCUMENT_LINK_KEY_PAIR_ID is required/,
		);
		expect(() => documentLinkConfig(base)).toThrow(
			/DOCUMENT_LINK_PRIVATE_KEY_SECRET_ARN \(or DOCUMENT_LINK_PRIVATE_KEY, embedded\) is required/,
		);
		expect(() => documentLinkConfig({ ...base, DOCUMENT_LINK_BASE_URL: "d1.cloudfront.net" })).toThrow(
			/DOCUMENT_LINK_BASE_URL must be an http\(s\) URL/,
		);
		expect(() => documentLinkConfig({ ...base, DOCUMENT_LINK_BASE_URL: "https://d1.cloudfront.net/?x=1" })).toThrow(/without query/);
	});

	it("takes the key itself embedded, and drops a trailing slash of the address", async () => {
		const config = documentLinkConfig(
			{ ...base, DOCUMENT_LINK_BASE_URL: "http://127.0.0.1:4600/", DOCUMENT_LINK_PRIVATE_KEY: privatePem },
			secrets,
		);
		expect(config.baseUrl).toBe("http://127.0.0.1:4600");
		expect(await config.privateKey()).toBe(privatePem);
		expect(secretsMock.calls()).toHaveLength(0);
	});

	it("reads the key from Secrets Manager deployed, once for many links", async () => {
		const arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:DocumentLinksPrivateKey-1";
		secretsMock.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: privatePem });
		const config = documentLinkConfig({ ...base, DOCUMENT_LINK_PRIVATE_KEY_SECRET_ARN: arn }, secrets);
		const expires = new Date("2026-12-15T00:00:00Z");
		await Promise.all(["a", "b", "c"].map((n) => signedDocumentUrl(config, `invoices/2026-11/${n}.pdf`, expires)));
		expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
	});
});

describe("signedDocumentUrl", () => {
	const config = documentLinkConfig({ ...base, DOCUMENT_LINK_PRIVATE_KEY: privatePem });
	const expires = new Date("2026-12-15T00:00:00Z");

	it("is a CloudFront signed URL with a canned policy (SHA-256) that holds until the second it expires", async () => {
		const url = await signedDocumentUrl(config, "invoices/2026-11/INV-2026-000001.pdf", expires);
		const params = new URL(url).searchParams;
		expect(url.startsWith("https://d111111abcdef8.cloudfront.net/invoices/2026-11/INV-2026-000001.pdf?")).toBe(true);
		expect([...params.keys()].sort()).toEqual(["Expires", "Hash-Algorithm", "Key-Pair-Id", "Signature"]);
		expect(params.get("Expires")).toBe(String(expires.getTime() / 1000));
		expect(params.get("Hash-Algorithm")).toBe("SHA256");
		expect(checkSignedUrl(url, trusted, expires.getTime() - 1)).toEqual({ ok: true, key: "invoices/2026-11/INV-2026-000001.pdf" });
		expect(checkSignedUrl(url, trusted, expires.getTime())).toEqual({ ok: false, reason: "expired" });
	});

	it("encodes a key's unusual characters so the signed path names the same object", async () => {
		const key = "credit-memos/2026-11/CM 1+2 (ä).pdf";
		const url = await signedDocumentUrl(config, key, expires);
		expect(new URL(url).pathname).toBe("/credit-memos/2026-11/CM%201%2B2%20(%C3%A4).pdf");
		expect(checkSignedUrl(url, trusted, Date.parse("2026-12-01T00:00:00Z"))).toEqual({ ok: true, key });
	});

	it("refuses an expiry that is not a whole second (CloudFront's Expires is in seconds)", async () => {
		await expect(signedDocumentUrl(config, "invoices/x.pdf", new Date("2026-12-15T00:00:00.500Z"))).rejects.toThrow(/whole second/);
	});
});
