import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BillingError } from "../../shared/core/errors.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { type DeskRequest, handleDeskRequest } from "../../shared/desk/api.js";
import { type Caller, userActor } from "../../shared/desk/roles.js";
import { deskRoutes } from "../../shared/desk/routes.js";
import { deskServices } from "../../shared/desk/services.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { recordPayment } from "../../shared/payments/recording.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { getPayment } from "../../shared/store/payments.js";
import { getAccount, getInvoice, listLedgerEntries } from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

/**
 * The desk API's routes against a real embedded stack. Who is calling comes from a token
 * table here (the user pool's tokens are verified in their own tests and in the browser
 * journey); everything after that is the route, the role check and the operation as deployed.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let billing: (...args: string[]) => Promise<CliResult>;
const invoices: Record<string, string> = {};

const USERS: Record<string, Caller> = {
	"token-viewer": { role: "viewer", email: "vic@example.com", subject: "sub-vic", actor: userActor("vic@example.com", "sub-vic") },
	"token-billing": { role: "billing", email: "bea@example.com", subject: "sub-bea", actor: userActor("bea@example.com", "sub-bea") },
	"token-admin": { role: "admin", email: "ada@example.com", subject: "sub-ada", actor: userActor("ada@example.com", "sub-ada") },
};

async function call(method: string, path: string, options: { token?: string; body?: unknown; query?: string } = {}) {
	const request: DeskRequest = {
		method,
		path,
		query: new URLSearchParams(options.query ?? ""),
		...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
		...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
	};
	const response = await handleDeskRequest(
		{
			services: deskServices(createClients(), stack),
			runs: stack,
			reportFailure: (err) => {
				throw err;
			},
			authenticate: async (authorization) => {
				const caller = USERS[authorization?.replace(/^Bearer /, "") ?? ""];
				if (!caller) throw new BillingError("sign in: no valid token", 401);
				return caller;
			},
		},
		deskRoutes,
		request,
	);
	return { status: response.status, body: JSON.parse(response.body) as Record<string, unknown> & { result?: Record<string, unknown> } };
}

const plan = { code: "p", description: "Plan", unitAmount: 10_000, quantity: 1 };

async function snapshot() {
	return {
		accounts: await Promise.all(["API-A", "API-B"].map((id) => getAccount(table, id))),
		invoices: await Promise.all(Object.values(invoices).map((n) => getInvoice(table, n))),
		ledger: await listLedgerEntries(table, "API-A"),
		audit: await listAuditEntries(table, "invoice", invoices.A as string),
		payment: await getPayment(table, "stripe", "pi_api"),
	};
}

beforeAll(async () => {
	stack = await startTestStack("desk-api");
	billing = cliInProcess(stack);
	const clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	for (const id of ["API-A", "API-B", "API-C", "API-D"]) await putAccount(table, testAccount(id, { plan }));
	const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
	for (const id of ["API-A", "API-B", "API-C", "API-D"]) {
		const issued = await issueInvoiceForAccount(
			{ ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() },
			id,
			period,
		);
		invoices[id.slice(-1)] = "invoiceNumber" in issued ? issued.invoiceNumber : "";
	}
	await recordPayment(
		table,
		{
			provider: "stripe",
			eventId: "evt_api",
			paymentId: "pi_api",
			amount: 4000,
			currency: "USD",
			receivedAt: "2026-11-05T10:00:00.000Z",
			accountId: "API-A",
		},
		"payment_intent.succeeded",
		"{}",
	);
}, 60_000);

afterAll(() => stack?.stop());

/** Every write route with a body a billing user could send. */
const WRITES = (): [string, string, unknown][] => [
	["POST", "/worklist/payment:stripe:pi_api/assign", { to: "bea" }],
	["PATCH", "/accounts/API-A", { email: "new@api.example" }],
	["POST", "/accounts/API-A/close", { on: "2026-12-31" }],
	["POST", "/accounts/API-A/refund-credit", { amount: 100, reason: "asked" }],
	["POST", "/invoices", { accountId: "API-A", lines: [{ description: "Setup", quantity: 1, unitPrice: "10.00" }] }],
	["POST", `/invoices/${invoices.A}/void`, { reason: "wrong" }],
	["POST", `/invoices/${invoices.A}/reissue`, {}],
	["POST", `/invoices/${invoices.A}/hold`, { reason: "complaint" }],
	["POST", `/invoices/${invoices.A}/release`, {}],
	["POST", `/invoices/${invoices.A}/resend`, { reason: "asked" }],
	["POST", `/invoices/${invoices.A}/write-off`, { reason: "gone" }],
	["POST", `/invoices/${invoices.A}/reverse-write-off`, { reason: "back" }],
	["POST", `/invoices/${invoices.A}/credit-memo`, { amount: 500, reason: "goodwill" }],
	["POST", "/payments", { accountId: "API-A", amount: "10.00", currency: "USD", reference: "cheque 1" }],
	["POST", "/payments/stripe%3Api_api/apply", { invoiceNumber: invoices.A }],
	["POST", "/payments/stripe%3Api_api/unapply", { invoiceNumber: invoices.A, reason: "wrong" }],
	["POST", "/imports", { files: [{ name: "accounts.csv", content: "account_id,name\n" }] }],
	["POST", "/books/2026-10/close", {}],
];

describe("the desk API", () => {
	it("answers every write route 401 without a valid token and 403 for a viewer, naming the role, and changes nothing", async () => {
		const before = await snapshot();
		for (const [method, path, body] of WRITES()) {
			const anonymous = await call(method, path, { body });
			expect(anonymous.status, `${method} ${path}`).toBe(401);
			expect(anonymous.body).toMatchObject({ error: expect.any(String) });
			const forged = await call(method, path, { body, token: "token-forged" });
			expect(forged.status, `${method} ${path}`).toBe(401);
			const viewer = await call(method, path, { body, token: "token-viewer" });
			expect(viewer.status, `${method} ${path}`).toBe(403);
			expect(viewer.body.details).toMatchObject({ roleNeeded: expect.stringMatching(/^(billing|admin)$/), role: "viewer" });
		}
		expect(await snapshot()).toEqual(before);
	});

	it("lets a viewer read what a billing user reads, without the actions", async () => {
		const me = await call("GET", "/me", { token: "token-viewer" });
		expect(me).toMatchObject({ status: 200, body: { email: "vic@example.com", role: "viewer", capabilities: [] } });
		const billingMe = await call("GET", "/me", { token: "token-billing" });
		expect(billingMe.body.capabilities).toEqual(expect.arrayContaining(["invoices.void", "payments.apply"]));
		expect(billingMe.body.capabilities).not.toContain("books.close");
		const detail = await call("GET", `/invoices/${invoices.A}`, { token: "token-viewer" });
		expect(detail.status).toBe(200);
		expect(detail.body).toMatchObject({ invoice: { number: invoices.A, total: 10_000, currency: "USD" }, allowedActions: [] });
		const asBilling = await call("GET", `/invoices/${invoices.A}`, { token: "token-billing" });
		expect(asBilling.body.allowedActions).toEqual(expect.arrayContaining(["invoices.void", "invoices.hold", "invoices.credit-memo"]));
	});

	it("pages the accounts with a cursor, each account once, and searches them", async () => {
		const seen: string[] = [];
		let cursor: string | undefined;
		do {
			const page = await call("GET", "/accounts", { token: "token-viewer", query: `limit=3${cursor ? `&cursor=${cursor}` : ""}` });
			expect(page.status).toBe(200);
			const items = page.body.items as { accountId: string }[];
			expect(items.length).toBeLessThanOrEqual(3);
			seen.push(...items.map((a) => a.accountId));
			cursor = page.body.nextCursor as string | undefined;
		} while (cursor);
		expect(seen).toEqual(["API-A", "API-B", "API-C", "API-D"]);
		const found = await call("GET", "/accounts", { token: "token-viewer", query: "query=api-c" });
		expect((found.body.items as { accountId: string }[]).map((a) => a.accountId)).toEqual(["API-C"]);
		const bad = await call("GET", "/accounts", { token: "token-viewer", query: "cursor=not-a-cursor" });
		expect(bad.status).toBe(400);
	});

	it("refuses a bad input with every field's problem and changes nothing", async () => {
		const before = await snapshot();
		const refused = await call("POST", `/invoices/${invoices.A}/credit-memo`, {
			token: "token-billing",
			body: { amount: "12.50", reason: " " },
		});
		expect(refused.status).toBe(400);
		expect((refused.body.details as { field: string }[]).map((d) => d.field).sort()).toEqual(["amount", "reason"]);
		const notJson = await handleDeskRequest(
			{
				services: deskServices(createClients(), stack),
				runs: stack,
				reportFailure: (err) => {
					throw err;
				},
				authenticate: async () => USERS["token-billing"] as Caller,
			},
			deskRoutes,
			{ method: "POST", path: `/invoices/${invoices.A}/hold`, query: new URLSearchParams(), authorization: "Bearer x", body: "{" },
		);
		expect(notJson.status).toBe(400);
		expect(await snapshot()).toEqual(before);
	});

	it("sets an account's e-invoice fields, refuses a bad one beside its field, and clears one with null", async () => {
		const refused = await call("PATCH", "/accounts/API-D", {
			token: "token-billing",
			body: { einvoice: "ubl", vatId: "GR123456789", peppolId: "9999:1" },
		});
		expect(refused.status).toBe(400);
		expect(refused.body.details).toEqual([
			{ field: "einvoice", message: expect.stringMatching(/none.*peppol.*xrechnung.*facturx/) },
			{ field: "vatId", message: "Greek VAT ids start with EL, not GR: EL123456789" },
			{ field: "peppolId", message: expect.stringMatching(/^scheme "9999" is not a Peppol participant identifier scheme/) },
		]);
		const set = await call("PATCH", "/accounts/API-D", {
			token: "token-billing",
			body: { einvoice: "peppol", vatId: "BE0403170701", peppolId: "0208:0403170701" },
		});
		expect(set.status).toBe(200);
		const cleared = await call("PATCH", "/accounts/API-D", { token: "token-billing", body: { vatId: null } });
		expect(cleared.status).toBe(200);
		const view = await call("GET", "/accounts/API-D", { token: "token-viewer" });
		expect(view.body.account).toMatchObject({ einvoice: "peppol", peppolId: "0208:0403170701" });
		expect(view.body.account).not.toHaveProperty("vatId");
		expect((await listAuditEntries(table, "account", "API-D")).at(-1)).toMatchObject({
			actor: USERS["token-billing"]?.actor,
			before: { vatId: "BE0403170701" },
			after: { vatId: null },
		});
	});

	it("applies unapplied cash to an invoice, naming the signed-in user on the audit entry", async () => {
		const listed = await call("GET", "/payments", { token: "token-billing", query: "status=unapplied" });
		const payment = (
			listed.body.items as { id: string; unappliedAmount: number; candidates: { number: string }[]; allowedActions: string[] }[]
		).find((p) => p.id === "stripe:pi_api");
		expect(payment).toMatchObject({ unappliedAmount: 4000, allowedActions: ["payments.apply"] });
		expect(payment?.candidates.map((c) => c.number)).toEqual([invoices.A]);
		// The worklist's apply dialog reads the one payment with its candidates.
		const one = await call("GET", "/payments/stripe%3Api_api", { token: "token-viewer" });
		expect(one).toMatchObject({ status: 200, body: { id: "stripe:pi_api", unappliedAmount: 4000, allowedActions: [] } });
		expect(one.body.candidates).toEqual([{ number: invoices.A, amountDue: 10_000, currency: "USD", dueDate: expect.any(String) }]);
		expect((await call("GET", "/payments/stripe%3Api_none", { token: "token-viewer" })).status).toBe(404);
		const applied = await call("POST", "/payments/stripe%3Api_api/apply", {
			token: "token-billing",
			body: { invoiceNumber: invoices.A, amount: 2500 },
		});
		expect(applied.status).toBe(200);
		expect(applied.body.result).toMatchObject({ unappliedAmount: 1500, appliedAmount: 2500 });
		expect(await getInvoice(table, invoices.A as string)).toMatchObject({ amountPaid: 2500, amountDue: 7500 });
		expect((await listAuditEntries(table, "invoice", invoices.A as string)).at(-1)).toMatchObject({
			actor: "bea@example.com (sub sub-bea)",
		});
	});

	it("gives the same result through the CLI and the API for the same operation", async () => {
		const viaCli = await billing("invoices", "hold", invoices.B as string, "--reason", "complaint", "--actor", "cli:dana");
		const viaApi = await call("POST", `/invoices/${invoices.C}/hold`, { token: "token-billing", body: { reason: "complaint" } });
		expect(viaCli.code).toBe(0);
		expect(viaApi.status).toBe(200);
		expect(JSON.parse(viaCli.stdout)).toEqual({ ...viaApi.body.result, invoiceNumber: invoices.B });

		const memoCli = JSON.parse(
			(await billing("credit-memo", "create", "--invoice", invoices.B as string, "--amount", "12.50", "--reason", "goodwill", "--json"))
				.stdout,
		);
		const memoApi = (
			await call("POST", `/invoices/${invoices.C}/credit-memo`, { token: "token-billing", body: { amount: 1250, reason: "goodwill" } })
		).body.result as Record<string, unknown>;
		const sameShape = (m: Record<string, unknown>) => ({
			amount: m.amount,
			currency: m.currency,
			reason: m.reason,
			appliedToInvoice: m.appliedToInvoice,
			addedToAccountCredit: m.addedToAccountCredit,
		});
		expect(sameShape(memoApi)).toEqual(sameShape(memoCli));
		expect(await getInvoice(table, invoices.B as string)).toMatchObject({ amountDue: 8750 });
		expect(await getInvoice(table, invoices.C as string)).toMatchObject({ amountDue: 8750 });

		const voidCli = JSON.parse((await billing("invoices", "void", invoices.D as string, "--reason", "wrong account", "--json")).stdout);
		expect(voidCli).toMatchObject({ outcome: "voided", status: "void" });
		const voidAgain = await call("POST", `/invoices/${invoices.D}/void`, { token: "token-billing", body: { reason: "wrong account" } });
		expect(voidAgain.body.result).toMatchObject({ outcome: "already_void", invoice: { status: "void", voidReason: "wrong account" } });
	});

	it("shows a run as the console does: its states and the graph of its definition", async () => {
		const run = await billing("run", "--period", "2026-11", "--as-of", "2026-12-01");
		expect(run.code, run.stderr).toBe(0);
		const listed = await call("GET", "/executions", { token: "token-viewer" });
		expect(listed.body.items).toEqual([expect.objectContaining({ name: "billing-2026-11", status: "SUCCEEDED" })]);
		const detail = await call("GET", "/executions/billing-2026-11", { token: "token-viewer" });
		expect(detail.status).toBe(200);
		expect(detail.body).toMatchObject({ name: "billing-2026-11", status: "SUCCEEDED" });
		expect(detail.body.states).toContainEqual(expect.objectContaining({ name: "Invoice Accounts", status: "SUCCEEDED", runCount: 1 }));
		expect(detail.body.graphSvg).toMatch(/^<svg[\s\S]*Invoice Accounts[\s\S]*<\/svg>$/);
		expect((await call("GET", "/executions/billing-1999-01", { token: "token-viewer" })).status).toBe(404);
	}, 120_000);

	it("lets only an admin close a period, and names the admin", async () => {
		const refused = await call("POST", "/books/2026-10/close", { token: "token-billing", body: { force: true, reason: "month end" } });
		expect(refused).toMatchObject({ status: 403, body: { details: { roleNeeded: "admin", role: "billing" } } });
		const closed = await call("POST", "/books/2026-10/close", { token: "token-admin", body: { force: true, reason: "month end" } });
		expect(closed.status, JSON.stringify(closed.body)).toBe(200);
		expect(closed.body.result).toMatchObject({ period: "2026-10" });
	});
});
