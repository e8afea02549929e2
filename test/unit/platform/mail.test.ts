import { SESClient, SendRawEmailCommand } from "@aws-sdk/client-ses";
import { mockClient } from "aws-sdk-client-mock";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { decodeTagValue, encodeTagValue, type MailTags, messageTags, readMailTags, sendRawEmail } from "../../../shared/platform/mail.js";

/** Every email is tagged so an SES event about it names its account and delivery records (DESIGN.md section 15). */

const sesMock = mockClient(SESClient);
const ses = new SESClient({ region: "us-east-1", credentials: { accessKeyId: "unit", secretAccessKey: "unit" } });
const email = { to: "ap@acme.example.com", raw: new Uint8Array(Buffer.from("Subject: hi\r\n\r\nhi")) };
/** The tags as an SES event shows them (`mail.tags`: name -> values), beside SES's own. */
const asEventShows = (tags: MailTags) => ({
	"ses:configuration-set": ["billing-events"],
	"ses:from-domain": ["example.com"],
	...Object.fromEntries(messageTags(tags).map((t) => [t.Name, [t.Value]])),
});

beforeEach(() => {
	sesMock.reset();
	sesMock.on(SendRawEmailCommand).resolves({ MessageId: "msg-1" });
});

describe("message tags", () => {
	it("encode any text as a value SES accepts (letters, digits, _ and -), and decode it back", () => {
		fc.assert(
			fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (text) => {
				const value = encodeTagValue(text);
				expect(value).toMatch(/^[A-Za-z0-9_-]*$/);
				expect(decodeTagValue(value)).toBe(text);
			}),
		);
		expect(encodeTagValue("INVOICE#INV-2026-000001")).toBe("INVOICE_0023INV-2026-000001");
	});

	it("carry the kind, the account and the delivery records, and read back from an SES event", () => {
		const keyPart = fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 20 });
		const key = fc.record({ pk: keyPart, sk: keyPart });
		fc.assert(
			fc.property(
				fc.string({ minLength: 1, maxLength: 20 }),
				key,
				fc.array(key, { minLength: 1, maxLength: 2 }),
				(accountId, delivery, attached) => {
					const tags: MailTags = { kind: "invoice", accountId, delivery, attached };
					expect(readMailTags(asEventShows(tags))).toEqual(tags);
				},
			),
		);
		expect(readMailTags(asEventShows({ kind: "collections" }))).toEqual({ kind: "collections" });
		// Another sender's email through the same set: not ours.
		expect(readMailTags({ "ses:configuration-set": ["billing-events"] })).toBeUndefined();
	});

	it("leave out a value longer than SES's 256 characters rather than fail the send", () => {
		const tags = messageTags({ kind: "invoice", accountId: "A".repeat(300), delivery: { pk: "INVOICE#1", sk: "DELIVERY#email" } });
		expect(tags.map((t) => t.Name)).toEqual(["billing-kind", "billing-delivery"]);
	});
});

describe("sendRawEmail", () => {
	it("sends through the configuration set, tagged", async () => {
		const tags: MailTags = { kind: "dunning", accountId: "ACC-1", delivery: { pk: "INVOICE#INV-1", sk: "DUNNING#reminder" } };
		expect(await sendRawEmail(ses, { email: "billing@example.com", configurationSet: "billing-events" }, email, tags)).toBe("msg-1");
		const [input] = sesMock.commandCalls(SendRawEmailCommand).map((c) => c.args[0].input);
		expect(input).toMatchObject({ Source: "billing@example.com", Destinations: [email.to], ConfigurationSetName: "billing-events" });
		expect(input?.Tags).toEqual(messageTags(tags));
	});

	it("names no configuration set when there is none", async () => {
		await sendRawEmail(ses, { email: "billing@example.com" }, email, { kind: "collections" });
		const [input] = sesMock.commandCalls(SendRawEmailCommand).map((c) => c.args[0].input);
		expect(input).not.toHaveProperty("ConfigurationSetName");
		expect(input?.Tags).toEqual([{ Name: "billing-kind", Value: "collections" }]);
	});
});
