import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SESClient, SendRawEmailCommand } from "@aws-sdk/client-ses";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The embedded SES keeps its mail log as SES does: each message on disk as it is accepted.
 * A `billing serve` killed with SIGKILL right after SES accepted a message leaves the
 * message's .eml and its line in sent.jsonl (recipients and the send's tags) in the data dir.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let child: ChildProcess | undefined;
const dataDir = mkdtempSync(join(tmpdir(), "billing-mail-log-"));

afterAll(async () => {
	if (child && child.exitCode === null && child.signalCode === null) {
		child.kill("SIGKILL");
		await new Promise((r) => child?.once("exit", r));
	}
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
		child = spawn(process.execPath, ["bin/billing.mjs", "serve", "--data-dir", dataDir, "--port", "0"], {
			cwd: ROOT,
			stdio: ["ignore", "pipe", "pipe"],
		});
		let stdout = "";
		const endpoints = await new Promise<{ ses: string }>((resolve, reject) => {
			child?.stdout?.on("data", (d: Buffer) => {
				stdout += d.toString();
				if (stdout.includes("\n")) resolve(JSON.parse(stdout.split("\n")[0] as string) as { ses: string });
			});
			child?.once("exit", (code) => reject(new Error(`billing serve exited ${code} before it was up`)));
		});
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
				Tags: [
					{ Name: "delivery", Value: "INVOICE_INV-2026-000042_DELIVERY_email" },
					{ Name: "account", Value: "NYC-001" },
				],
			}),
		);
		const messageId = out.MessageId as string;
		expect(messageId).toMatch(/.+/);

		child.kill("SIGKILL");
		await new Promise((r) => child?.once("exit", r));

		const eml = join(dataDir, "mail", `${messageId}.eml`);
		expect(existsSync(eml)).toBe(true);
		expect(readFileSync(eml).equals(message)).toBe(true);
		const lines = readFileSync(join(dataDir, "mail", "sent.jsonl"), "utf8")
			.trim()
			.split("\n");
		expect(lines.map((l) => JSON.parse(l))).toEqual([
			{
				messageId,
				destinations: ["ap@hudson.example.com"],
				tags: { delivery: "INVOICE_INV-2026-000042_DELIVERY_email", account: "NYC-001" },
				at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			},
		]);
	}, 120_000);
});
