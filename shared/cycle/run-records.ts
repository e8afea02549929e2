import { maskEmailAddresses } from "../core/redact.js";
import { getDelivery } from "../store/deliveries.js";
import { keys } from "../store/keys.js";
import { listInvoicesOfPeriod, type TableDeps } from "../store/records.js";
import { listRunFailures } from "../store/run-failures.js";

export interface InvoicingSummary {
	readonly period: string;
	readonly invoicesIssued: number;
	readonly totalsByCurrency: Record<string, { readonly invoices: number; readonly total: number }>;
	readonly emailsSent: number;
	readonly postalInvoices: number;
	readonly failedAccountCount: number;
	/**
	 * At most 50 failures, so the state's output stays small; the rest are in the table. Their
	 * reasons have email addresses masked: this output stays in the execution's history; the
	 * run-failure records keep the address for the billing desk.
	 */
	readonly failedAccounts: readonly { readonly accountId: string; readonly stage: string; readonly reason: string }[];
}

const MAX_LISTED_FAILURES = 50;

export async function summarizeInvoicing(deps: TableDeps, period: string): Promise<InvoicingSummary> {
	const invoices = await listInvoicesOfPeriod(deps, period);
	const totalsByCurrency: Record<string, { invoices: number; total: number }> = {};
	for (const invoice of invoices) {
		const bucket = totalsByCurrency[invoice.currency] ?? { invoices: 0, total: 0 };
		bucket.invoices += 1;
		bucket.total += invoice.total;
		totalsByCurrency[invoice.currency] = bucket;
	}
	let emailsSent = 0;
	let postalInvoices = 0;
	for (const invoice of invoices) {
		const [email, postal] = await Promise.all(
			(["email", "postal"] as const).map((channel) => getDelivery(deps, keys.delivery(invoice.number, channel))),
		);
		if (email?.status === "sent") emailsSent += 1;
		if (postal) postalInvoices += 1;
	}
	const failures = await listRunFailures(deps, period);
	return {
		period,
		invoicesIssued: invoices.length,
		totalsByCurrency,
		emailsSent,
		postalInvoices,
		failedAccountCount: failures.length,
		failedAccounts: failures
			.slice(0, MAX_LISTED_FAILURES)
			.map(({ accountId, stage, reason }) => ({ accountId, stage, reason: maskEmailAddresses(reason) })),
	};
}
