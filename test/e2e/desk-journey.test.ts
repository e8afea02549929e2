import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
	AdminAddUserToGroupCommand,
	AdminCreateUserCommand,
	CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../../desk/e2e/a11y.js";
import { ModalObject } from "../../desk/e2e/modal.js";
import { DeskShell } from "../../desk/e2e/shell.js";
import { SignInPage } from "../../desk/e2e/sign-in-page.js";
import { TableObject } from "../../desk/e2e/table.js";
import { LOCAL_REGION } from "../../local/emulator/lambda-runtime.js";
import { recordPayment } from "../../shared/payments/recording.js";
import { createClients } from "../../shared/platform/clients.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { listPeriodCloses } from "../../shared/store/books.js";
import { getPayment } from "../../shared/store/payments.js";
import { getInvoice, listInvoicesOfAccount, listLedgerEntries } from "../../shared/store/records.js";
import { getWebhookEndpoint } from "../../shared/store/webhooks.js";
import { testAccount } from "../support/accounts.js";
import { findChromium } from "../support/chromium.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

/**
 * The web desk end to end (issue 21's journeys, and issue 23's webhook endpoints), in a real
 * headless Chromium against the embedded stack: the app served by `billing serve`'s front,
 * sign-in against the local user pool, the desk API's real handler, DynamoDB Local. Each
 * journey signs in once. Every page is scanned by axe (no serious or critical violation);
 * screenshots go to test-output/desk/.
 */

const OUTPUT_DIR = join(fileURLToPath(new URL("../../", import.meta.url)), "test-output", "desk");
const chromiumPath = findChromium();
const skip = !chromiumPath && !process.env.CI;
if (skip) process.stderr.write("desk-journey.test.ts: SKIPPED: no Chromium binary (set CHROMIUM_PATH, or `apt-get install chromium`)\n");

const plan = { code: "p", description: "Plan", unitAmount: 10_000, quantity: 1 };
const NEWCOMER = { email: "bea@example.com", temporary: "Temporary-pass-1", chosen: "Beas-own-pass-1" };

describe.skipIf(skip)("the web desk, signed in, each with a role", () => {
	let stack: Awaited<ReturnType<typeof startTestStack>>;
	let billing: (...args: string[]) => Promise<CliResult>;
	let browser: Browser;
	let base: string;
	let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
	const invoiceOf: Record<string, string> = {};
	const passwords: Record<string, string> = {};
	const pageErrors: string[] = [];
	/** What Chromium refused under the desk's Content-Security-Policy: the app must need nothing it forbids. */
	const cspViolations: string[] = [];

	async function addUser(email: string, role: string): Promise<void> {
		const added = await billing("users", "add", email, "--role", role, "--json");
		expect(added.code, added.stderr).toBe(0);
		passwords[email] = (JSON.parse(added.stdout) as { password: string }).password;
	}

	beforeAll(async () => {
		if (!chromiumPath) throw new Error("no Chromium binary found (CHROMIUM_PATH or chromium on the PATH); CI must have it");
		const launched = chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
		stack = await startTestStack("desk-journey", { http: true });
		base = stack.endpoints.http as string;
		billing = cliInProcess(stack);
		table = { ddb: createClients().ddb, tableName: stack.tableName };
		for (const id of ["JRN-A", "JRN-B", "JRN-C"]) await putAccount(table, testAccount(id, { plan }));
		const run = await billing("run", "--period", "2026-10", "--as-of", "2026-11-01");
		expect(run.code, run.stderr).toBe(0);
		for (const id of ["JRN-A", "JRN-B", "JRN-C"]) invoiceOf[id] = (await listInvoicesOfAccount(table, id))[0]?.number as string;
		// Paid naming the customer but no invoice: unapplied, on the worklist, waiting for a person.
		await recordPayment(
			table,
			{
				provider: "stripe",
				eventId: "evt_jrn",
				paymentId: "pi_jrn",
				amount: 4000,
				currency: "USD",
				receivedAt: "2026-11-05T10:00:00.000Z",
				accountId: "JRN-A",
			},
			"payment_intent.succeeded",
			"{}",
		);
		await addUser("ada@example.com", "admin");
		await addUser("vic@example.com", "viewer");
		// A billing user as Cognito creates one deployed: a temporary password to change at first sign-in.
		const cognito = new CognitoIdentityProviderClient({ endpoint: stack.endpoints.userPool, region: LOCAL_REGION });
		await cognito.send(
			new AdminCreateUserCommand({
				UserPoolId: stack.userPool.userPoolId,
				Username: NEWCOMER.email,
				TemporaryPassword: NEWCOMER.temporary,
				MessageAction: "SUPPRESS",
				UserAttributes: [
					{ Name: "email", Value: NEWCOMER.email },
					{ Name: "email_verified", Value: "true" },
				],
			}),
		);
		await cognito.send(
			new AdminAddUserToGroupCommand({ UserPoolId: stack.userPool.userPoolId, Username: NEWCOMER.email, GroupName: "billing" }),
		);
		cognito.destroy();
		// The app is built at its first request: done here, so no step pays for it.
		const app = await fetch(`${base}/desk/`);
		expect(app.status).toBe(200);
		expect(app.headers.get("content-security-policy")).toContain("script-src 'self'");
		browser = await launched;
		mkdirSync(OUTPUT_DIR, { recursive: true });
	}, 120_000);

	afterAll(async () => {
		await browser?.close();
		await stack?.stop();
		expect(pageErrors).toEqual([]);
		expect(cspViolations).toEqual([]);
	});

	async function newPage(): Promise<{ page: Page; shell: DeskShell }> {
		const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
		const page = await context.newPage();
		page.on("pageerror", (err) => pageErrors.push(err.message));
		page.on("console", (message) => {
			if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
		});
		return { page, shell: new DeskShell(page, base) };
	}

	async function signedIn(email: string, path: string) {
		const opened = await newPage();
		await opened.shell.open(path);
		await new SignInPage(opened.page).signIn(email, passwords[email] as string);
		await opened.page.waitForURL(`${base}/desk${path}`);
		return opened;
	}

	async function scan(page: Page, name: string): Promise<void> {
		await page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });
		expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
	}

	/** The signed-in user's access token, as the app keeps it for the tab. */
	async function tokenOf(page: Page): Promise<string> {
		const stored = await page.evaluate(() => {
			const storage = (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage;
			return storage.getItem("billing-desk.session");
		});
		return (JSON.parse(stored ?? "{}") as { accessToken: string }).accessToken;
	}

	/** The desk API called directly with the signed-in user's token, as a script would. */
	async function callApi(page: Page, method: string, path: string, body?: unknown) {
		const res = await fetch(`${base}/desk/api${path}`, {
			method,
			headers: { authorization: `Bearer ${await tokenOf(page)}`, "content-type": "application/json" },
			...(body !== undefined ? { body: JSON.stringify(body) } : {}),
		});
		return { status: res.status, body: (await res.json()) as Record<string, unknown> };
	}

	/** The signed-in user's subject, as the API knows it. */
	async function me(page: Page): Promise<{ email: string; subject: string; role: string }> {
		return (await callApi(page, "GET", "/me")).body as { email: string; subject: string; role: string };
	}

	it("a billing user sets a password at first sign-in, applies unapplied cash from the worklist and issues a credit memo", async () => {
		const { page, shell } = await newPage();
		await shell.open("/worklist");
		const signIn = new SignInPage(page);
		await signIn.waitFor();
		await scan(page, "sign-in");
		await signIn.signIn(NEWCOMER.email, NEWCOMER.temporary);
		await scan(page, "sign-in-new-password");
		await signIn.setNewPassword(NEWCOMER.chosen);
		await shell.heading("Worklist");
		expect(shell.path()).toBe("/worklist");
		expect(await shell.navigationLinks()).not.toContain("Users");
		expect(await shell.navigationLinks()).not.toContain("Webhooks");
		await scan(page, "worklist");
		const bea = await me(page);
		expect(bea).toMatchObject({ email: NEWCOMER.email, role: "billing" });

		const worklist = new TableObject(page, "Worklist");
		await worklist
			.row(/pi_jrn/)
			.getByRole("button", { name: /^Apply payment/ })
			.click();
		const modal = new ModalObject(page);
		expect(await modal.title()).toBe("Apply payment stripe:pi_jrn");
		await scan(page, "worklist-apply");
		await modal.submit("Apply payment");
		await modal.closed();
		await expect.poll(async () => (await worklist.rowTexts()).some((row) => row.join(" ").includes("pi_jrn"))).toBe(false);
		expect(await getPayment(table, "stripe", "pi_jrn")).toMatchObject({ appliedAmount: 4000, unappliedAmount: 0 });
		expect(await getInvoice(table, invoiceOf["JRN-A"] as string)).toMatchObject({ amountPaid: 4000, amountDue: 6000 });
		expect((await listAuditEntries(table, "invoice", invoiceOf["JRN-A"] as string)).at(-1)).toMatchObject({
			actor: `${NEWCOMER.email} (sub ${bea.subject})`,
		});

		await shell.open(`/invoices/${invoiceOf["JRN-B"]}`);
		await shell.heading(invoiceOf["JRN-B"] as string);
		await scan(page, "invoice");
		await shell.takeAction("invoices.credit-memo");
		expect(await modal.title()).toBe(`Issue credit memo ${invoiceOf["JRN-B"]}`);
		await modal.fill(/^Amount/, "12.50");
		await modal.fill("Reason", "Goodwill for the outage");
		await scan(page, "invoice-credit-memo");
		await modal.submit("Issue credit memo");
		await modal.closed();
		expect(await shell.notices("success")).toEqual([`${invoiceOf["JRN-B"]} credited`]);
		expect(await getInvoice(table, invoiceOf["JRN-B"] as string)).toMatchObject({ credited: 1250, amountDue: 8750 });
		const memoEntry = (await listLedgerEntries(table, "JRN-B")).find((e) => e.type === "credit_memo");
		expect(memoEntry).toMatchObject({ amount: -1250, currency: "USD" });

		await shell.open("/accounts/JRN-B");
		await shell.heading(/JRN-B|Test/);
		const timeline = await new TableObject(page, "Timeline").rowTexts();
		expect(timeline.some((row) => row.join(" ").includes(memoEntry?.reference as string))).toBe(true);
		await scan(page, "account");

		// Webhook endpoints are an admin's: a link leads to a refusal, and so does the API.
		await shell.open("/webhooks");
		await shell.heading("Not available to your role");
		expect(await callApi(page, "GET", "/webhooks")).toMatchObject({
			status: 403,
			body: { details: { roleNeeded: "admin", role: "billing" } },
		});
		await page.context().close();
	}, 120_000);

	it("a viewer sees the same pages without actions, and the server refuses an action called directly, changing nothing", async () => {
		const { page, shell } = await signedIn("vic@example.com", `/invoices/${invoiceOf["JRN-C"]}`);
		await shell.heading(invoiceOf["JRN-C"] as string);
		expect(await page.getByRole("button", { name: "Actions" }).count()).toBe(0);
		// A deep link survives a reload.
		await page.reload();
		await shell.heading(invoiceOf["JRN-C"] as string);
		expect(shell.path()).toBe(`/invoices/${invoiceOf["JRN-C"]}`);
		const before = { invoice: await getInvoice(table, invoiceOf["JRN-C"] as string), ledger: await listLedgerEntries(table, "JRN-C") };
		const refused = await callApi(page, "POST", `/invoices/${invoiceOf["JRN-C"]}/void`, { reason: "trying" });
		expect(refused).toMatchObject({
			status: 403,
			body: { details: { operation: "invoices.void", roleNeeded: "billing", role: "viewer" } },
		});
		expect({ invoice: await getInvoice(table, invoiceOf["JRN-C"] as string), ledger: await listLedgerEntries(table, "JRN-C") }).toEqual(
			before,
		);

		for (const [link, heading, name] of [
			["Accounts", "Accounts", "accounts"],
			["Invoices", "Invoices", "invoices"],
			["Unapplied cash", "Unapplied cash", "payments"],
			["Imports", "Imports", "imports"],
			["Books", "Books", "books"],
			["Runs", "Runs", "runs"],
		] as const) {
			await shell.follow(link);
			await shell.heading(heading);
			await scan(page, name);
		}
		await page.getByRole("link", { name: "billing-2026-10" }).click();
		await shell.heading("billing-2026-10");
		await scan(page, "run");

		// A token the API no longer accepts: the next read answers 401, the person signs in again and is back where they were.
		await page.evaluate(() => {
			const storage = (
				globalThis as unknown as { sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void } }
			).sessionStorage;
			const session = JSON.parse(storage.getItem("billing-desk.session") ?? "{}") as { accessToken: string };
			storage.setItem("billing-desk.session", JSON.stringify({ ...session, accessToken: `${session.accessToken.slice(0, -4)}AAAA` }));
		});
		await page.reload();
		const signIn = new SignInPage(page);
		await signIn.signIn("vic@example.com", passwords["vic@example.com"] as string);
		await shell.heading("billing-2026-10");
		expect(shell.path()).toBe("/runs/billing-2026-10");
		await page.context().close();
	}, 120_000);

	it("an admin adds a webhook endpoint, sees its signing secret once, and disables it with a reason", async () => {
		const { page, shell } = await signedIn("ada@example.com", "/worklist");
		await shell.heading("Worklist");
		await shell.follow("Webhooks");
		await shell.heading("Webhooks");
		// Nothing listens here: the journey is about the endpoint, not its deliveries.
		const url = `${base}/no-receiver-here`;
		await page.getByRole("button", { name: "Add endpoint" }).click();
		const modal = new ModalObject(page);
		await modal.fill("URL", url);
		const events = modal.root.getByRole("button", { name: /^Events/ });
		await events.click();
		await page.getByRole("option", { name: /^Invoice events/ }).click();
		await scan(page, "webhooks-add");
		// The list stays open for more choices, over the dialog's buttons; its trigger closes it.
		await events.click();
		await modal.submit("Add endpoint");
		await modal.root.getByText("This signing secret is shown once").waitFor();
		expect(await modal.root.getByText(/It will not be shown again/).count()).toBe(1);
		const secret = (await modal.root.getByText(/^whsec_/).textContent()) ?? "";
		expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
		await scan(page, "webhooks-secret");
		await modal.root.getByRole("button", { name: "Done" }).click();
		await modal.closed();
		const endpoints = new TableObject(page, "Webhooks");
		await endpoints.row(url).waitFor();
		expect((await endpoints.row(url).locator("td").allInnerTexts()).slice(1, 4)).toEqual([url, "invoice.*", "enabled"]);
		expect(await page.getByText(secret).count()).toBe(0);

		await page.getByRole("link", { name: url }).click();
		await shell.heading(url);
		const endpointId = shell.path().split("/")[2] as string;
		expect(endpointId).toMatch(/^we_/);
		await shell.takeAction("webhooks.disable");
		expect(await modal.title()).toBe(`Disable endpoint ${endpointId}`);
		await modal.fill("Reason", "The CRM moves to a new host");
		await modal.submit("Disable endpoint");
		await modal.closed();
		expect(await shell.notices("success")).toContain(`${endpointId} disabled`);
		await page.getByText("The CRM moves to a new host").waitFor();
		await scan(page, "webhook-endpoint");
		// The secret shown is the one that signs its events.
		expect(await getWebhookEndpoint(table, endpointId)).toMatchObject({
			status: "disabled",
			disabledReason: "The CRM moves to a new host",
			secrets: [{ secret }],
		});
		const ada = await me(page);
		expect(await listAuditEntries(table, "webhook_endpoint", endpointId)).toEqual([
			expect.objectContaining({ action: "webhook_endpoint_added", actor: `ada@example.com (sub ${ada.subject})` }),
			expect.objectContaining({
				action: "webhook_endpoint_disabled",
				actor: `ada@example.com (sub ${ada.subject})`,
				reason: "The CRM moves to a new host",
			}),
		]);

		await shell.follow("Webhooks");
		await shell.heading("Webhooks");
		expect((await endpoints.row(url).locator("td").allInnerTexts()).slice(1, 4)).toEqual([
			url,
			"invoice.*",
			"disabled\nThe CRM moves to a new host",
		]);
		await page.context().close();
	}, 120_000);

	it("an admin adds a user and closes a period, named on the close", async () => {
		const { page, shell } = await newPage();
		await shell.open("/users");
		const signIn = new SignInPage(page);
		await signIn.signIn("ada@example.com", "not-her-password");
		expect(await signIn.errorText()).toMatch(/Incorrect email or password/);
		await signIn.signIn("ada@example.com", passwords["ada@example.com"] as string);
		await shell.heading("Users");
		await scan(page, "users");
		await page.getByRole("button", { name: "Add user" }).click();
		const modal = new ModalObject(page);
		await modal.fill("Email", "carl@example.com");
		await modal.submit("Add user");
		await page.getByText(/password is shown once/i).waitFor();
		await scan(page, "users-added");
		await modal.root.getByRole("button", { name: "Done" }).click();
		expect((await new TableObject(page, "Users").rowTexts()).some((row) => row.join(" ").includes("carl@example.com"))).toBe(true);

		await shell.open("/books?period=2026-10");
		await shell.heading("Books");
		await page.getByRole("button", { name: "Close period" }).click();
		await modal.root.getByText(/I have reviewed the trial balance/).click();
		await modal.root.getByText("Close even though checks fail").click();
		await modal.fill(/^Reason/, "October reviewed with the controller");
		await scan(page, "books-close");
		await modal.submit("Close period");
		await modal.closed();
		expect(await shell.notices("success")).toEqual(["2026-10 closed"]);
		const ada = await me(page);
		expect(await listPeriodCloses(table)).toEqual([
			expect.objectContaining({ period: "2026-10", actor: `ada@example.com (sub ${ada.subject})` }),
		]);
		await page.context().close();
	}, 120_000);
});
