import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../../desk/e2e/a11y.js";
import { ModalObject } from "../../desk/e2e/modal.js";
import { desk } from "../../desk/e2e/selectors.js";
import { DeskShell } from "../../desk/e2e/shell.js";
import { SignInPage } from "../../desk/e2e/sign-in-page.js";
import { TableObject } from "../../desk/e2e/table.js";
import { deskFront } from "../../local/emulator/desk-front.js";
import { findChromium } from "../support/chromium.js";
import { DeskFake, startFakeCognito } from "./desk-fake.js";
import { TINY_PDF } from "./desk-fake-records.js";

/**
 * The desk app in a real headless Chromium, served by the embedded front (desk-front.ts)
 * with a fake API and user pool (desk-fake.ts): sign-in with a first-time password change,
 * every page of the navigation scanned by axe (no serious or critical violation), a reason
 * dialog's refusal and success, applying cash, and a 401 that goes through sign-in and back.
 * Screenshots go to test-output/desk/. Skipped without a Chromium binary, except under CI.
 */

const OUTPUT_DIR = join(fileURLToPath(new URL("../../", import.meta.url)), "test-output", "desk");
const chromiumPath = findChromium();
const skip = !chromiumPath && !process.env.CI;
if (skip) process.stderr.write("desk-app.test.ts: SKIPPED: no Chromium binary (set CHROMIUM_PATH, or `apt-get install chromium`)\n");

const ADMIN = { email: "admin@example.com", password: "Admin-pass-1" };
const NEWCOMER = { email: "new.billing@example.com", password: "Temporary-1" };

describe.skipIf(skip)("the desk app in a headless Chromium", () => {
	let browser: Browser;
	let server: Server;
	let base: string;
	let closeCognito: () => Promise<void>;
	const fake = new DeskFake([
		{ ...ADMIN, role: "admin", mustChange: false },
		{ ...NEWCOMER, role: "billing", mustChange: true },
	]);
	const pageErrors: string[] = [];

	beforeAll(async () => {
		if (!chromiumPath) throw new Error("no Chromium binary found (CHROMIUM_PATH or chromium on the PATH); CI must have it");
		const launched = chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
		const cognito = await startFakeCognito(fake);
		closeCognito = cognito.close;
		const front = deskFront({
			apiBase: "/desk/api",
			userPool: { endpoint: cognito.url, region: "us-east-1", clientId: "desk-app-client" },
		});
		server = createServer((req, res) => {
			void (async () => {
				if (await fake.api(req, res)) return;
				if (req.url?.startsWith("/desk-test/")) {
					res.writeHead(200, { "content-type": "application/pdf" });
					res.end(TINY_PDF);
					return;
				}
				if (await front(req, res)) return;
				res.writeHead(404);
				res.end();
			})();
		});
		await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
		const address = server.address();
		base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
		// Built at the first request: done here, so no test pays for it.
		expect((await fetch(`${base}/desk/`)).status).toBe(200);
		browser = await launched;
		mkdirSync(OUTPUT_DIR, { recursive: true });
	});

	afterAll(async () => {
		await browser?.close();
		await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
		await closeCognito?.();
		expect(pageErrors).toEqual([]);
	});

	async function newPage(): Promise<{ page: Page; shell: DeskShell }> {
		const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
		const page = await context.newPage();
		page.on("pageerror", (err) => pageErrors.push(err.message));
		return { page, shell: new DeskShell(page, base) };
	}

	async function signedIn(path: string) {
		const opened = await newPage();
		await opened.shell.open(path);
		await new SignInPage(opened.page).signIn(ADMIN.email, ADMIN.password);
		await opened.page.waitForURL(`${base}/desk${path}`);
		return opened;
	}

	/** A screenshot under test-output/desk/, and axe's serious and critical findings, which must be none. */
	async function scan(page: Page, name: string): Promise<void> {
		await page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });
		expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
	}

	it("signs in with a first-time password change, lands on the deep link it was opened at, and keeps it on reload", async () => {
		const { page, shell } = await newPage();
		await shell.open("/invoices/INV-2026-000042");
		const signIn = new SignInPage(page);
		await signIn.waitFor();
		expect(shell.path()).toBe(`/signin?next=${encodeURIComponent("/invoices/INV-2026-000042")}`);
		await scan(page, "sign-in");

		await signIn.signIn(NEWCOMER.email, "wrong-password");
		expect(await signIn.errorText()).toContain("Incorrect email or password");
		await signIn.signIn(NEWCOMER.email, NEWCOMER.password);
		await page.getByRole("heading", { level: 1, name: "Set a new password" }).waitFor();
		await scan(page, "sign-in-new-password");
		await signIn.setNewPassword("My-own-password-1");

		expect(await shell.heading("INV-2026-000042")).toBe("INV-2026-000042");
		expect(shell.path()).toBe("/invoices/INV-2026-000042");
		expect(await page.title()).toBe("Invoice · Billing desk");
		await page.reload();
		expect(await shell.heading("INV-2026-000042")).toBe("INV-2026-000042");
		// A billing user: no Users page in the navigation.
		expect(await shell.navigationLinks()).not.toContain("Users");
		await page.context().close();
	});

	it("opens every page of the navigation and the records they link to, with no serious or critical axe violation", async () => {
		const { page, shell } = await signedIn("/worklist");
		await shell.heading("Worklist");
		expect(await shell.navigationLinks()).toEqual([
			"Billing desk",
			"Worklist",
			"Accounts",
			"Invoices",
			"Unapplied cash",
			"Imports",
			"Books",
			"Users",
			"Runs",
		]);
		expect(await new TableObject(page, "Worklist").rows().count()).toBe(2);
		await scan(page, "worklist");

		await shell.follow("Accounts");
		await shell.heading("Accounts");
		const accounts = new TableObject(page, "Accounts");
		expect((await accounts.rowTexts()).map((r) => r[0])).toEqual(["ACC-0001", "ACC-0002"]);
		await page.locator(desk.findPagination().findNextPageButton().toSelector()).click();
		await expect.poll(async () => (await accounts.rowTexts()).map((r) => r[0])).toEqual(["ACC-0003"]);
		expect(shell.path()).toBe("/accounts?cursor=page-2");
		await scan(page, "accounts");

		await shell.open("/accounts/ACC-0001");
		await shell.heading("Acme GmbH");
		expect((await new TableObject(page, "Timeline").rowTexts()).map((r) => r[1])).toEqual(["Audit", "Payment", "Invoice"]);
		await scan(page, "account");

		await shell.follow("Invoices");
		await shell.heading("Invoices");
		await scan(page, "invoices");
		await new TableObject(page, "Invoices").row("INV-2026-000042").getByRole("link", { name: "INV-2026-000042" }).click();
		expect(await shell.heading("INV-2026-000042")).toBe("INV-2026-000042");
		await page.locator("iframe[title='Invoice INV-2026-000042 (PDF)']").waitFor();
		await scan(page, "invoice");

		await shell.follow("Unapplied cash");
		await shell.heading("Unapplied cash");
		await scan(page, "payments");

		await shell.follow("Imports");
		await shell.heading("Imports");
		await page
			.locator(desk.findFileUpload().findNativeInput().toSelector())
			.first()
			.setInputFiles({
				name: "accounts.csv",
				mimeType: "text/csv",
				buffer: Buffer.from("accountId,name,email\nACC-9,Nine,nine@example.com\nACC-10,Ten,bad@\n"),
			});
		await page.getByRole("button", { name: "Dry run" }).click();
		await expect.poll(() => new TableObject(page, "Line errors").rowTexts()).toEqual([["accounts", "3", "email", "not an email address"]]);
		expect(fake.calls.at(-1)).toMatchObject({
			path: "imports",
			body: { dryRun: true, files: { accounts: expect.stringContaining("ACC-10") } },
		});
		await scan(page, "imports");

		await shell.follow("Books");
		await shell.heading("Books");
		expect(await page.getByText("Debits equal credits").count()).toBe(1);
		await scan(page, "books");

		await shell.follow("Users");
		await shell.heading("Users");
		await page.getByRole("button", { name: "Add user" }).click();
		const modal = new ModalObject(page);
		await modal.fill("Email", "carol@example.com");
		await modal.submit("Add user");
		await page.getByText("This password is shown once").waitFor();
		expect(await modal.root.textContent()).toContain("Generated-Pass-1");
		await scan(page, "users-added");
		await modal.root.getByRole("button", { name: "Done" }).click();

		await shell.follow("Runs");
		await shell.heading("Runs");
		await scan(page, "runs");
		await page.getByRole("link", { name: "billing-2026-10" }).click();
		await shell.heading("billing-2026-10");
		await page.getByRole("button", { name: "Input and output of Resolve Billing Period" }).click();
		expect(await page.getByText('"period": "2026-10"').count()).toBeGreaterThan(0);
		await scan(page, "run");
		await page.context().close();
	});

	it("takes an invoice action through its reason dialog: a refusal inline, a success in the Flashbar", async () => {
		const { page, shell } = await signedIn("/invoices/INV-2026-000042");
		expect(await shell.heading("INV-2026-000042")).toBe("INV-2026-000042");
		await shell.takeAction("invoices.hold");
		const modal = new ModalObject(page);
		expect(await modal.title()).toBe("Hold invoice INV-2026-000042");
		await modal.fill("Reason", "Customer disputes the usage");
		await modal.submit("Hold invoice");
		expect(await modal.errorText()).toContain("payment in flight");
		await scan(page, "invoice-hold-refused");
		await modal.cancel();

		await shell.takeAction("invoices.void");
		await modal.fill("Reason", "Issued to the wrong entity");
		await modal.submit("Void invoice");
		await modal.closed();
		expect(await shell.notices("success")).toEqual(["INV-2026-000042 voided"]);
		expect(fake.calls.at(-1)).toEqual({
			method: "POST",
			path: "invoices/INV-2026-000042/void",
			body: { reason: "Issued to the wrong entity" },
		});
		await page.context().close();
	});

	it("applies cash across candidate invoices, in minor units, from unapplied cash and in place from the worklist", async () => {
		const { page, shell } = await signedIn("/payments");
		await shell.heading("Unapplied cash");
		await page.getByRole("button", { name: "Apply stripe:pi_1" }).click();
		const modal = new ModalObject(page);
		// Prefilled with what each invoice is owed: €302.50 and €19.99 of €500.00, €177.51 left.
		expect(await modal.field("Amount to apply to INV-2026-000042").inputValue()).toBe("302.50");
		expect(await modal.field("Amount to apply to INV-2026-000043").inputValue()).toBe("19.99");
		expect(await modal.root.textContent()).toContain("€177.51");
		await modal.fill("Amount to apply to INV-2026-000043", "0.1");
		await scan(page, "payments-apply");
		const before = fake.calls.length;
		await modal.submit("Apply payment");
		await modal.closed();
		expect(fake.calls.slice(before)).toEqual([
			{ method: "POST", path: "payments/stripe:pi_1/apply", body: { invoiceNumber: "INV-2026-000042", amount: 30250 } },
			{ method: "POST", path: "payments/stripe:pi_1/apply", body: { invoiceNumber: "INV-2026-000043", amount: 10 } },
		]);

		await shell.follow("Worklist");
		await new TableObject(page, "Worklist")
			.row("Unapplied payment")
			.getByRole("button", { name: /^Apply payment/ })
			.click();
		expect(await modal.title()).toBe("Apply payment stripe:pi_1");
		expect(await modal.field("Amount to apply to INV-2026-000042").inputValue()).toBe("500.00");
		await modal.cancel();
		await page.context().close();
	});

	it("sends the person to sign in when the API answers 401, then back to the page they were on", async () => {
		const { page, shell } = await signedIn("/worklist");
		await shell.heading("Worklist");
		fake.expireTokens();
		await shell.follow("Books");
		const signIn = new SignInPage(page);
		await signIn.signIn(ADMIN.email, ADMIN.password);
		await shell.heading("Books");
		expect(shell.path()).toMatch(/^\/books/);
		await page.context().close();
	});
});
