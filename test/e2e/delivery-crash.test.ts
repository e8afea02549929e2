import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, describe, expect, it } from "vitest";
import { EMBEDDED_SEND_EVENT_WAIT_SECONDS } from "../../local/emulator/environment.js";
import { writeImportFiles } from "../support/import-files.js";
import { killAll, killHard, runBilling, spawnBilling, startServe } from "../support/serve.js";

/**
 * The embedded stack killed (SIGKILL) while the month's invoices go out, then started again
 * and the run re-driven: SES's send events settle the deliveries whose email went out before
 * the crash, the ones that never reached SES are sent by the re-drive, and the month ends
 * with every invoice emailed exactly once and no delivery left for a person to check.
 */

const ACCOUNTS = 30;
const dataDir = mkdtempSync(join(tmpdir(), "billing-delivery-crash-"));
const mailDir = join(dataDir, "mail");
const accountId = (i: number) => `MAIL-${String(i).padStart(2, "0")}`;

afterAll(async () => {
	await killAll();
	rmSync(dataDir, { recursive: true, force: true });
});

const billing = (...args: string[]) => runBilling(...args, "--data-dir", dataDir);

const emails = () => (existsSync(mailDir) ? readdirSync(mailDir).filter((f) => f.endsWith(".eml")) : []);

describe("a crash while the month's invoices are emailed", () => {
	it("ends, after a re-drive, with every invoice emailed exactly once and no delivery of unknown outcome", async () => {
		const { child: first } = await startServe(dataDir);
		writeImportFiles(
			dataDir,
			{ count: ACCOUNTS, accountId },
			Array.from({ length: ACCOUNTS }, (_, i) => `CH-${i},${accountId(i)},2026-10-20,Support,1,${10 + i}.00`),
		);
		expect((await billing("import", join(dataDir, "accounts.csv"), join(dataDir, "charges.csv"))).code).toBe(0);

		const run = spawnBilling(["run", "--period", "2026-10", "--as-of", "2026-11-01", "--data-dir", dataDir]);
		// Killed once a third of the invoices are out, in the middle of the deliveries.
		const deadline = Date.now() + 120_000;
		while (emails().length < ACCOUNTS / 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
		await killHard(first);
		await killHard(run);
		const killedAt = Date.now();
		const beforeCrash = emails().length;
		expect(beforeCrash).toBeGreaterThanOrEqual(ACCOUNTS / 3);
		expect(beforeCrash).toBeLessThan(ACCOUNTS);

		// The restarted stack has fed SES's send events from before the crash once it is up.
		await startServe(dataDir);
		// A claim no send event settles is taken as unsent once the events' wait is over: every
		// claim is older than the crash, so the wait counts from it (the restart took part of it).
		await new Promise((r) => setTimeout(r, Math.max(0, killedAt + EMBEDDED_SEND_EVENT_WAIT_SECONDS * 1000 + 200 - Date.now())));
		const rerun = await billing("run", "--period", "2026-10", "--as-of", "2026-11-01", "--rerun");
		expect(rerun.code, rerun.stderr).toBe(0);
		const output = JSON.parse(rerun.stdout) as { output: { invoicing: { deliveriesOutcomeUnknownCount: number } } };
		expect(output.output.invoicing.deliveriesOutcomeUnknownCount).toBe(0);

		// Every invoice once: the mail log on disk holds each email SES accepted, before and after the crash.
		const invoices = JSON.parse((await billing("invoices", "list", "--json")).stdout) as { number: string; accountId: string }[];
		expect(invoices).toHaveLength(ACCOUNTS);
		const carried = new Map<string, number>();
		for (const file of emails()) {
			const mail = await simpleParser(readFileSync(join(mailDir, file)));
			for (const attachment of mail.attachments) {
				const number = /^(INV-\d{4}-\d{6})\.pdf$/.exec(attachment.filename ?? "")?.[1];
				if (number) carried.set(number, (carried.get(number) ?? 0) + 1);
			}
		}
		expect(Object.fromEntries(carried)).toEqual(Object.fromEntries(invoices.map((inv) => [inv.number, 1])));

		const worklist = JSON.parse((await billing("worklist", "--json")).stdout) as { kind: string }[];
		expect(worklist.filter((item) => item.kind === "delivery_outcome_unknown")).toEqual([]);
	}, 300_000);
});
