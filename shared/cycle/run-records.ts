import { maskEmailAddresses } from "../core/redact.js";
import { type DeliveryOutcomeUnknown, getDelivery, listDeliveriesOutcomeUnknown } from "../store/deliveries.js";
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
	/**
	 * Deliveries claimed and never confirmed sent or failed (a crash between the claim and the
	 * send): whether the customer got them is unknown, and no retry sends them (DESIGN.md
	 * section 10). Someone checks and resends them (billing invoices resend).
	 */
	readonly deliveriesOutcomeUnknownCount: number;
	/** At most 50 of them, the rest in the table. */
	readonly deliveriesOutcomeUnknown: readonly { readonly document: string; readonly channel: string; readonly claimedAt: string }[];
}

const MAX_LISTED_FAILURES = 50;
const MAX_LISTED_DELIVERIES = 50;

/** "invoice INV-2026-000001" or "statement ACC-0001 2026-10", from the delivery record's key. */
function documentOf(delivery: DeliveryOutcomeUnknown): string {
	const [kind, ...rest] = delivery.key.pk.split("#");
	return kind === "INVOICE" ? `invoice ${rest.join("#")}` : `${kind?.toLowerCase()} ${rest.join(" ")}`;
}

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
	const unknown = await listDeliveriesOutcomeUnknown(deps, period);
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
		deliveriesOutcomeUnknownCount: unknown.length,
		deliveriesOutcomeUnknown: unknown
			.slice(0, MAX_LISTED_DELIVERIES)
			.map((d) => ({ document: documentOf(d), channel: d.channel, claimedAt: d.claimedAt })),
	};
}
