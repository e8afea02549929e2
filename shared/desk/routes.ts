import type { z } from "zod";
import { BillingError, ValidationError } from "../core/errors.js";
import { parsePeriod } from "../core/period.js";
import { readStoredEinvoice } from "../einvoicing/issue.js";
import { endpointView } from "../publishing/endpoints.js";
import { exportJournal } from "../reporting/book-files.js";
import { periodBooks } from "../reporting/books.js";
import { EXPORT_FORMATS, type ExportFormat } from "../reporting/export-formats.js";
import { chartOfAccounts } from "../reporting/journal.js";
import { getImportRun } from "../store/imports.js";
import { listDeliveries, listWebhookEndpoints, requireWebhookEndpoint } from "../store/webhooks.js";
import { json, type RouteContext, route } from "./api.js";
import { deskOperations } from "./catalog.js";
import { RoleRequiredError } from "./errors.js";
import { type DeskOperation, perform } from "./operation.js";
import { closeAccountOperation, refundCredit, updateAccount } from "./operations/accounts.js";
import { closeBooks } from "./operations/books.js";
import { today } from "./operations/fields.js";
import { importUploaded } from "./operations/imports.js";
import {
	creditMemo,
	hold,
	issueInvoice,
	reissue,
	release,
	resend,
	reverseWriteOffOperation,
	voidOperation,
	writeOff,
} from "./operations/invoices.js";
import { applyPayment, recordPayment, unapplyPayment } from "./operations/payments.js";
import { addUserOperation, disableUserOperation } from "./operations/users.js";
import {
	addWebhookEndpoint,
	disableWebhookEndpoint,
	enableWebhookEndpoint,
	replayWebhookEvents,
	rotateWebhookSecret,
} from "./operations/webhooks.js";
import { assignItem } from "./operations/worklist.js";
import { PAYMENT_REF_FORM, parsePaymentRef } from "./payment-ref.js";
import { roleAllows } from "./roles.js";
import { listUsers, requireUserPool } from "./users.js";
import { accountDetail, accountsPage } from "./views/accounts.js";
import { invoiceDetail, invoicePdfLink, invoicesPage } from "./views/invoices.js";
import { paymentDetail, unappliedPaymentsPage } from "./views/payments.js";
import { runDetail, runsPage } from "./views/runs.js";
import { worklistView } from "./views/worklist.js";

/** Lists answer this many records a page unless asked for fewer (`limit`, at most MAX_LIMIT). */
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

function limitOf(query: URLSearchParams): number {
	const raw = query.get("limit");
	if (raw === null) return DEFAULT_LIMIT;
	const n = Number(raw);
	if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new ValidationError(`limit: a whole number from 1 to ${MAX_LIMIT}`);
	return n;
}

function optional(query: URLSearchParams, name: string): string | undefined {
	const value = query.get(name)?.trim();
	return value ? value : undefined;
}

function paymentOf(id: string): { provider: string; paymentId: string } {
	const payment = parsePaymentRef(id);
	if (!payment) throw new ValidationError(`payment: ${PAYMENT_REF_FORM}`);
	return payment;
}

/** A route that performs an operation: its input is the body with the path's names over it, so a body cannot retarget the path. */
function operationRoute<Schema extends z.ZodType, Result>(
	method: string,
	path: string,
	operation: DeskOperation<Schema, Result>,
	input: (context: RouteContext) => Record<string, unknown> = (c) => ({ ...c.body, ...c.params }),
	status = 200,
) {
	return route(method, path, async (context) => {
		const performed = await perform(operation, context.deps.services, context.caller, input(context));
		return json(status, { result: performed.result, notes: performed.notes });
	});
}

/** Every desk route of DESIGN.md section 12, under /desk/api. */
export const deskRoutes = [
	route("GET", "/me", async ({ caller }) =>
		json(200, {
			email: caller.email ?? caller.actor,
			subject: caller.subject ?? null,
			role: caller.role,
			capabilities: (deskOperations as readonly DeskOperation[]).filter((o) => roleAllows(caller.role, o.role)).map((o) => o.name),
		}),
	),

	route("GET", "/worklist", async ({ deps, caller, query }) =>
		json(
			200,
			await worklistView(
				deps.services,
				{
					asOf: optional(query, "asOf") ?? today(() => new Date()),
					...(optional(query, "kind") ? { kind: optional(query, "kind") } : {}),
					...(optional(query, "assignee") ? { assignee: optional(query, "assignee") } : {}),
				},
				caller.role,
			),
		),
	),
	operationRoute("POST", "/worklist/{itemId}/assign", assignItem),

	route("GET", "/accounts", async ({ deps, query }) =>
		json(
			200,
			await accountsPage(deps.services, {
				limit: limitOf(query),
				...(optional(query, "query") ? { query: optional(query, "query") } : {}),
				...(optional(query, "cursor") ? { cursor: optional(query, "cursor") } : {}),
			}),
		),
	),
	route("GET", "/accounts/{accountId}", async ({ deps, caller, params }) =>
		json(200, await accountDetail(deps.services, params.accountId as string, caller.role)),
	),
	operationRoute("PATCH", "/accounts/{accountId}", updateAccount),
	operationRoute("POST", "/accounts/{accountId}/close", closeAccountOperation),
	operationRoute("POST", "/accounts/{accountId}/refund-credit", refundCredit),

	route("GET", "/invoices", async ({ deps, caller, query }) =>
		json(
			200,
			await invoicesPage(
				deps.services,
				{
					limit: limitOf(query),
					...(optional(query, "status") ? { status: optional(query, "status") } : {}),
					...(optional(query, "period") ? { period: optional(query, "period") } : {}),
					...(optional(query, "account") ? { account: optional(query, "account") } : {}),
					...(optional(query, "cursor") ? { cursor: optional(query, "cursor") } : {}),
				},
				caller.role,
			),
		),
	),
	operationRoute("POST", "/invoices", issueInvoice, (c) => c.body, 201),
	route("GET", "/invoices/{number}", async ({ deps, caller, params }) =>
		json(200, await invoiceDetail(deps.services, params.number as string, caller.role)),
	),
	route("GET", "/invoices/{number}/pdf", async ({ deps, params }) =>
		json(200, await invoicePdfLink(deps.services, params.number as string, new Date())),
	),
	route("GET", "/invoices/{number}/einvoice", async ({ deps, params }) => {
		const einvoice = await readStoredEinvoice(deps.services, "invoice", params.number as string);
		return {
			status: 200,
			headers: {
				"content-type": "application/xml; charset=utf-8",
				"content-disposition": `attachment; filename="${einvoice.filename}"`,
			},
			body: Buffer.from(einvoice.xml).toString("utf8"),
		};
	}),
	operationRoute("POST", "/invoices/{number}/void", voidOperation),
	operationRoute("POST", "/invoices/{number}/reissue", reissue),
	operationRoute("POST", "/invoices/{number}/hold", hold),
	operationRoute("POST", "/invoices/{number}/release", release),
	operationRoute("POST", "/invoices/{number}/resend", resend),
	operationRoute("POST", "/invoices/{number}/write-off", writeOff),
	operationRoute("POST", "/invoices/{number}/reverse-write-off", reverseWriteOffOperation),
	operationRoute("POST", "/invoices/{number}/credit-memo", creditMemo),

	route("GET", "/payments", async ({ deps, caller, query }) => {
		const status = optional(query, "status") ?? "unapplied";
		if (status !== "unapplied") throw new ValidationError("status: the desk lists unapplied payments (status=unapplied)");
		return json(
			200,
			await unappliedPaymentsPage(
				deps.services,
				{ limit: limitOf(query), ...(optional(query, "cursor") ? { cursor: optional(query, "cursor") } : {}) },
				caller.role,
			),
		);
	}),
	operationRoute("POST", "/payments", recordPayment, (c) => c.body, 201),
	route("GET", "/payments/{payment}", async ({ deps, caller, params }) => {
		const { provider, paymentId } = paymentOf(params.payment as string);
		return json(200, await paymentDetail(deps.services, provider, paymentId, caller.role));
	}),
	operationRoute("POST", "/payments/{payment}/apply", applyPayment, (c) => ({ ...c.body, ...paymentOf(c.params.payment as string) })),
	operationRoute("POST", "/payments/{payment}/unapply", unapplyPayment, (c) => ({
		...c.body,
		...paymentOf(c.params.payment as string),
	})),

	operationRoute("POST", "/imports", importUploaded, (c) => c.body),
	route("GET", "/imports/{importId}", async ({ deps, params }) => {
		const run = await getImportRun(deps.services, params.importId as string);
		if (!run) throw new BillingError(`no import ${params.importId}`, 404);
		return json(200, run);
	}),

	route("GET", "/books/{period}/trial-balance", async ({ deps, params }) => {
		const { trialBalance } = await periodBooks(deps.services, parsePeriod(params.period), chartOfAccounts());
		return json(200, trialBalance);
	}),
	route("GET", "/books/{period}/export", async ({ deps, params, query }) => {
		const format = (optional(query, "format") ?? "csv") as ExportFormat;
		if (!EXPORT_FORMATS.includes(format)) throw new ValidationError(`format: one of ${EXPORT_FORMATS.join(", ")}`);
		const period = parsePeriod(params.period);
		const chart = chartOfAccounts();
		const text = exportJournal(await periodBooks(deps.services, period, chart), format, chart);
		return {
			status: 200,
			headers: {
				"content-type": "text/csv; charset=utf-8",
				"content-disposition": `attachment; filename="journal-${period}-${format}.csv"`,
			},
			body: text,
		};
	}),
	operationRoute("POST", "/books/{period}/close", closeBooks),

	route("GET", "/users", async ({ deps, caller }) => {
		if (!roleAllows(caller.role, "admin")) throw new RoleRequiredError("users.list", "admin", caller.role);
		return json(200, { items: await listUsers(requireUserPool(deps.services)) });
	}),
	operationRoute("POST", "/users", addUserOperation, (c) => c.body, 201),
	operationRoute("POST", "/users/{email}/disable", disableUserOperation),

	route("GET", "/webhooks", async ({ deps, caller }) => {
		if (!roleAllows(caller.role, "admin")) throw new RoleRequiredError("webhooks.list", "admin", caller.role);
		return json(200, { items: (await listWebhookEndpoints(deps.services)).map(endpointView) });
	}),
	operationRoute("POST", "/webhooks", addWebhookEndpoint, (c) => c.body, 201),
	route("GET", "/webhooks/{endpointId}/deliveries", async ({ deps, caller, params, query }) => {
		if (!roleAllows(caller.role, "admin")) throw new RoleRequiredError("webhooks.list", "admin", caller.role);
		await requireWebhookEndpoint(deps.services, params.endpointId as string);
		return json(200, { items: await listDeliveries(deps.services, params.endpointId as string, limitOf(query)) });
	}),
	operationRoute("POST", "/webhooks/{endpointId}/disable", disableWebhookEndpoint),
	operationRoute("POST", "/webhooks/{endpointId}/enable", enableWebhookEndpoint),
	operationRoute("POST", "/webhooks/{endpointId}/rotate-secret", rotateWebhookSecret),
	operationRoute("POST", "/webhooks/{endpointId}/replay", replayWebhookEvents),

	route("GET", "/executions", async ({ deps, query }) =>
		json(
			200,
			await runsPage(deps.runs, { limit: limitOf(query), ...(optional(query, "cursor") ? { cursor: optional(query, "cursor") } : {}) }),
		),
	),
	route("GET", "/executions/{name}", async ({ deps, params }) => json(200, await runDetail(deps.runs, params.name as string))),
];
