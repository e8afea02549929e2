import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startSesMailLog } from "../../local/emulator/ses-mail-log.js";

const mailDir = mkdtempSync(join(tmpdir(), "billing-mail-pending-"));
let server: Server | undefined;

afterAll(async () => {
	await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
	rmSync(mailDir, { recursive: true, force: true });
});

describe("the embedded SES's mail log after a crash mid-write", () => {
	it("puts in place a message whose log line was written, and drops one whose line was not (its sender sends it again)", async () => {
		// A crash after the line of "accepted-1" and before its rename; one before the line of "unanswered-2".
		const line = { messageId: "accepted-1", destinations: ["ap@example.com"], tags: { delivery: "INV-1" }, at: "2026-11-01T00:00:00Z" };
		writeFileSync(join(mailDir, "sent.jsonl"), `${JSON.stringify(line)}\n`);
		writeFileSync(join(mailDir, "accepted-1.eml.pending"), "Subject: INV-1\r\n\r\nbody");
		writeFileSync(join(mailDir, "unanswered-2.eml.pending"), "Subject: INV-2\r\n\r\nbody");

		server = await startSesMailLog({ upstream: "http://127.0.0.1:9", port: 0, mailDir });

		expect(readdirSync(mailDir).sort()).toEqual(["accepted-1.eml", "sent.jsonl"]);
		expect(existsSync(join(mailDir, "unanswered-2.eml"))).toBe(false);
	});
});
