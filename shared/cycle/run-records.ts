import type { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { maskEmailAddresses } from "../core/redact.js";
import { type DeliveryOutcomeUnknown, listDeliveriesOutcomeUnknown } from "../store/deliveries.js";
import type { TableDeps } from "../store/records.js";
import { listRunFailures } from "../store/run-failures.js";
import { foldMapResults, type MapResultsLocation } from "./map-results.js";

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

/** What Summarize Invoicing reads of each Invoice Accounts child's output (the batch's counts). */
const invoicedBatchSchema = z.object({
	generated: z.object({
		totalsByCurrency: z.record(z.string(), z.object({ invoices: z.number().int(), total: z.number().int() })),
	}),
	delivered: z.object({ invoiceEmailsSent: z.number().int(), postalInvoices: z.number().int() }),
});

/**
 * Adds up the batches' counts from the Invoice Accounts map's results in S3, so the step
 * reads one small record per batch rather than every invoice; the failures and the
 * unconfirmed deliveries are exceptions, read from their own listings.
 */
export async function summarizeInvoicing(
	deps: TableDeps & { readonly s3: S3Client },
	period: string,
	results: MapResultsLocation,
): Promise<InvoicingSummary> {
	const totalsByCurrency: Record<string, { invoices: number; total: number }> = {};
	let invoicesIssued = 0;
	let emailsSent = 0;
	let postalInvoices = 0;
	await foldMapResults(
		deps.s3,
		results,
		invoicedBatchSchema,
		({ generated, delivered }) => {
			for (const [currency, batch] of Object.entries(generated.totalsByCurrency)) {
				const bucket = totalsByCurrency[currency] ?? { invoices: 0, total: 0 };
				bucket.invoices += batch.invoices;
				bucket.total += batch.total;
				totalsByCurrency[currency] = bucket;
				invoicesIssued += batch.invoices;
			}
			emailsSent += delivered.invoiceEmailsSent;
			postalInvoices += delivered.postalInvoices;
		},
		// A failed batch recorded each of its accounts as a run failure (Record Batch Failure), listed below.
		() => undefined,
	);
	const failures = await listRunFailures(deps, period);
	const unknown = await listDeliveriesOutcomeUnknown(deps, period);
	return {
		period,
		invoicesIssued,
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
