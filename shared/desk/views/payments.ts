import pMap from "p-map";
import { BillingError } from "../../core/errors.js";
import { type Payment, paymentSchema } from "../../core/model.js";
import { paymentView } from "../../events/views.js";
import { GSI2 } from "../../store/keys.js";
import { type Page, queryPage } from "../../store/pages.js";
import { getPayment } from "../../store/payments.js";
import { listInvoicesOfAccount, parseRecord, type TableDeps } from "../../store/records.js";
import { paymentActions } from "../allowed.js";
import type { Role } from "../roles.js";

/** The invoices unapplied cash could pay: the paying account's open ones in the payment's currency, oldest due first. */
async function candidates(deps: TableDeps, payment: Payment) {
	if (!payment.accountId) return [];
	const invoices = await listInvoicesOfAccount(deps, payment.accountId);
	return invoices
		.filter((i) => i.amountDue > 0 && i.currency === payment.currency && (i.status === "open" || i.status === "partially_paid"))
		.sort((a, b) => a.dueDate.localeCompare(b.dueDate))
		.map((i) => ({ number: i.number, amountDue: i.amountDue, currency: i.currency, dueDate: i.dueDate }));
}

/** One payment as the apply dialog shows it: what is unapplied, and the invoices it could pay. */
export async function paymentDetail(deps: TableDeps, provider: string, paymentId: string, role: Role) {
	const payment = await getPayment(deps, provider, paymentId);
	if (!payment) throw new BillingError(`no payment ${provider}:${paymentId}`, 404);
	return {
		...paymentView(payment),
		allowedActions: paymentActions(payment, role),
		candidates: await candidates(deps, payment),
	};
}

/** Unapplied cash, oldest first, a page at a time, each with the invoices it could pay. */
export async function unappliedPaymentsPage(deps: TableDeps, request: { readonly cursor?: string; readonly limit: number }, role: Role) {
	const page: Page<Record<string, unknown>> = await queryPage(
		deps,
		{ IndexName: GSI2, KeyConditionExpression: "gsi2pk = :pk", ExpressionAttributeValues: { ":pk": "UNAPPLIED_PAYMENTS" } },
		{ limit: request.limit, ...(request.cursor ? { cursor: request.cursor } : {}) },
	);
	const items = await pMap(
		page.items.map((item) => parseRecord(paymentSchema, item)),
		async (payment) => ({
			...paymentView(payment),
			allowedActions: paymentActions(payment, role),
			candidates: await candidates(deps, payment),
		}),
		{ concurrency: 4 },
	);
	return { items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}
