import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SESClient, SendRawEmailCommand } from "@aws-sdk/client-ses";
import { afterAll, describe, expect, it } from "vitest";
import { killAll, killHard, startServe } from "../support/serve.js";

/**
 * The embedded SES keeps its mail log as SES does: each message on disk as it is accepted.
 * A `billing serve` killed with SIGKILL right after SES accepted a message leaves the
 * message's .eml and its line in sent.jsonl (recipients and the send's tags) in the data dir.
 */

const dataDir = mkdtempSync(join(tmpdir(), "billing-mail-log-"));

afterAll(async () => {
	await killAll();
	rmSync(dataDir, { recursive: true, force: true });
});

const raw = (to: string) =>
	Buffer.from(
		[
			"From: Billing <billing@example.com>",
			`To: ${to}`,
			"Subject: Invoice INV-2026-000042",
			"MIME-Version: 1.0",
			"Content-Type: text/plain; charset=utf-8",
			"",
			"Your invoice is attached.",
			"",
		].join("\r\n"),
	);

describe("the embedded SES's mail log", () => {
	it("is on disk as each message is accepted, so a killed stack loses none of it", async () => {
		const { child, endpoints } = await startServe(dataDir);
		const ses = new SESClient({
			endpoint: endpoints.ses,
			region: "us-east-1",
			credentials: { accessKeyId: "local", secretAccessKey: "local" },
		});
		const message = raw("ap@hudson.example.com");
		const out = await ses.send(
			new SendRawEmailCommand({
				Source: "billing@example.com",
				Destinations: ["ap@hudson.example.com"],
				RawMessage: { Data: message },
				ConfigurationSetName: "billing-events",
				Tags: [
					{ Name: "delivery", Value: "INVOICE_INV-2026-000042_DELIVERY_email" },
					{ Name: "account", Value: "NYC-001" },
				],
			}),
		);
		const messageId = out.MessageId as string;
		expect(messageId).toMatch(/.+/);

		await killHard(child);

		const eml = join(dataDir, "mail", `${messageId}.eml`);
		expect(existsSync(eml)).toBe(true);
		expect(readFileSync(eml).equals(message)).toBe(true);
		const lines = readFileSync(join(dataDir, "mail", "sent.jsonl"), "utf8")
			.trim()
			.split("\n");
		expect(lines.map((l) => JSON.parse(l))).toEqual([
			{
				messageId,
				configurationSet: "billing-events",
				destinations: ["ap@hudson.example.com"],
				tags: { delivery: "INVOICE_INV-2026-000042_DELIVERY_email", account: "NYC-001" },
				at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			},
		]);
	}, 120_000);
});
