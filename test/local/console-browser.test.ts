import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runBillingCycle } from "../../local/cli/operations.js";
import { buildSeedData, seedDemoData } from "../../local/demo/seed.js";
import { createClients } from "../../shared/platform/clients.js";
import { allStates, parseAsl } from "../../shared/runs/flow.js";
import { keys } from "../../shared/store/keys.js";
import { findChromium } from "../support/chromium.js";
import { startTestStack } from "../support/embedded.js";

/**
 * The console in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against the embedded stack's HTTP front, the one `billing serve` starts: the graph has
 * every state of the ASL, a failed account opens with its reason, a caught state with its
 * error; a screenshot goes to test-output/console/. Without a Chromium binary the test is
 * skipped, except under CI, where it fails (.ci/run installs Chromium).
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUTPUT_DIR = join(ROOT, "test-output", "console");
const STATE_NAMES = allStates(parseAsl(readFileSync(join(ROOT, "statemachines", "billing-cycle.asl.json"), "utf8"))).map((s) => s.name);

const chromiumPath = findChromium();
const inCi = Boolean(process.env.CI);
const skip = !chromiumPath && !inCi;
if (skip) {
	process.stderr.write(
		"console-browser.test.ts: SKIPPED: no Chromium binary (set CHROMIUM_PATH, or `apt-get install chromium`); under CI this test fails instead\n",
	);
}

type Stack = Awaited<ReturnType<typeof startTestStack>>;

describe.skipIf(skip)("the console in a headless Chromium", () => {
	let stack: Stack;
	let browser: Browser;
	let page: Page;
	let http: string;
	const pageErrors: string[] = [];

	beforeAll(async () => {
		if (!chromiumPath)
			throw new Error("no Chromium binary found (CHROMIUM_PATH or chromium on the PATH); CI must have it: .ci/run installs it");
		const launched = chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
		stack = await startTestStack("console", { http: true });
		http = stack.endpoints.http as string;
		const { ddb } = createClients();
		const deps = { ddb, tableName: stack.tableName };
		// Eight demo accounts; ACC-0007's email address is invalid, so its delivery fails and the run goes on.
		const data = buildSeedData(8, 42, "2026-10", { emailTag: stack.tag, now: new Date("2026-10-01T00:00:00Z") });
		await seedDemoData(deps, data, "2026-10", join(stack.dataDir, "seed"));
		const month = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-10", asOf: "2026-11-01" });
		expect(month.status).toBe("SUCCEEDED");
		// Then an account no step can price: the next month's run is caught and fails through Record Run Failure.
		await ddb.send(
			new PutCommand({
				TableName: stack.tableName,
				Item: { ...keys.account("ACC-BROKEN"), ...keys.accountListing("ACC-BROKEN"), accountId: "ACC-BROKEN", name: "Broken" },
			}),
		);
		const failed = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: "2026-11", asOf: "2026-12-01" });
		expect(failed.status).toBe("FAILED");
		browser = await launched;
		page = await browser.newPage({ viewport: { width: 1400, height: 1500 } });
		page.on("pageerror", (err) => pageErrors.push(err.message));
		mkdirSync(OUTPUT_DIR, { recursive: true });
	});

	afterAll(async () => {
		await browser?.close();
		await stack?.stop();
	});

	afterEach(() => {
		// The page's own script ran without an error.
		expect(pageErrors).toEqual([]);
	});

	it("draws every state of the ASL in the graph and lists the executions", async () => {
		await page.goto(`${http}/`);
		const drawn = await page.$$eval(".flow [data-state]", (nodes) => nodes.map((n) => n.getAttribute("data-state")));
		expect(new Set(drawn)).toEqual(new Set(STATE_NAMES));
		const executions = await page.locator("#executions").textContent();
		expect(executions).toContain("billing-2026-10SUCCEEDED");
		expect(executions).toContain("billing-2026-11FAILED");
	});

	it("colours an execution's states, folds the map's child executions, opens a failed account with its reason", async () => {
		await page.goto(`${http}/`);
		await page.click("text=billing-2026-10");
		await page.waitForSelector(".flow");
		const status = (name: string) => page.getAttribute(`.flow .state[data-state="${name}"]`, "data-status");
		expect(await status("Resolve Billing Period")).toBe("SUCCEEDED");
		expect(await status("Invoice Accounts")).toBe("SUCCEEDED");
		expect(await status("Billing Cycle Complete")).toBe("SUCCEEDED");
		expect(await status("Publish Quarterly Report")).toBe("NOT_REACHED");
		expect(await status("Record Run Failure")).toBe("NOT_REACHED");
		// One map run with counts, no rows of the local engine's helper states.
		expect(await page.textContent('.flow .state[data-state="Invoice Accounts"] .sub')).toMatch(/^\d+ items: \d+ ok · 1 batch$/);
		expect(await page.content()).not.toContain("[local:");

		await page.click('tr.failed-account:has-text("ACC-0007")');
		const details = page.locator("#details");
		await expect.poll(() => details.textContent()).toContain("Account ACC-0007");
		expect(await details.locator(".reason").textContent()).toMatch(/not delivered: invalid email address/);
		expect(await page.getAttribute('.flow .state[data-state="Deliver Invoices"]', "class")).toContain("selected");
		await page.evaluate("window.scrollTo(0, 0)");
		await page.screenshot({ path: join(OUTPUT_DIR, "console.png") });

		await page.click('.flow .state[data-state="Invoice Accounts"]');
		await expect.poll(() => details.textContent()).toMatch(/Map run[\s\S]*Child executions1 \(1 succeeded, 0 failed\)/);
	});

	it("opens the caught state of a failed run with its error and cause", async () => {
		await page.goto(`${http}/executions/billing-2026-11`);
		expect(await page.getAttribute('.flow .state[data-state="Identify Outstanding Accounts"]', "data-status")).toBe("CAUGHT");
		expect(await page.getAttribute('.flow .state[data-state="Billing Run Failed"]', "data-status")).toBe("FAILED");
		expect(await page.getAttribute('.flow .state[data-state="Invoice Accounts"]', "data-status")).toBe("NOT_REACHED");
		await page.click('.flow .state[data-state="Identify Outstanding Accounts"]');
		const details = page.locator("#details");
		await expect.poll(() => details.textContent()).toContain("Identify Outstanding Accounts");
		expect(await details.locator(".error").first().textContent()).toMatch(/CorruptRecordError[\s\S]*ACCOUNT#ACC-BROKEN/);
		expect(await page.locator("#failed-accounts").textContent()).toContain("(run)");
		await page.evaluate("window.scrollTo(0, 0)");
		await page.screenshot({ path: join(OUTPUT_DIR, "console-failed-run.png") });
	});
});
