import type { S3Client } from "@aws-sdk/client-s3";
import pMap from "p-map";
import * as z from "zod";
import { maskEmailAddresses } from "../core/redact.js";
import { type DeliveryOutcomeUnknown, getDelivery, listDeliveriesOutcomeUnknown } from "../store/deliveries.js";
import { keys } from "../store/keys.js";
import { getInvoice, getInvoiceNumberForPeriod, type TableDeps } from "../store/records.js";
import { listRunFailures } from "../store/run-failures.js";
import { accountsOfFailedChild, foldMapResults, type MapResultsLocation } from "./map-results.js";

export interface InvoicingSummary {
	readonly period: string;
	readonly invoicesIssued: number;
	readonly totalsByCurrency: Record<string, { readonly invoices: number; readonly total: number }>;
	readonly emailsSent: number;
	readonly postalInvoices: number;
	/**
	 * Invoices not delivered because the rules refused their e-invoice (DESIGN.md section 13):
	 * each is also among the failed accounts (stage einvoice) and on the worklist.
	 */
	readonly einvoicesRefused: number;
	readonly failedAccountCount: number;
	/**
	 * At most 50 failures, so the state's output stays small; the rest are in the table. Their
	 * reasons have email addresses masked: this output stays in the execution's history; the
	 * run-failure records keep the address for the billing desk.
	 */
	readonly failedAccounts: readonly { readonly accountId: string; readonly stage: string; readonly reason: string }[];
	/**
	 * Deliveries claimed and never confirmed sent or failed (a crash between the claim and the
	 * send), that SES's send event has not settled yet: a re-drive after the events' wait sends
	 * those that never reached SES (DESIGN.md section 10); until then they are listed for a person.
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
	// Batches delivered before e-invoices existed say nothing of them.
	delivered: z.object({
		invoiceEmailsSent: z.number().int(),
		postalInvoices: z.number().int(),
		einvoicesRefused: z.number().int().default(0),
	}),
});

/**
 * Adds up the batches' counts from the Invoice Accounts map's results in S3, so the step
 * reads one small record per batch rather than every invoice; the failures and the
 * unconfirmed deliveries are exceptions, read from their own listings. A batch that failed
 * may have stored its invoices (and sent some) before it failed: its accounts' invoices for
 * the period and their deliveries are read one by one, failures being few.
 */
export async function summarizeInvoicing(
	deps: TableDeps & { readonly s3: S3Client },
	period: string,
	results: MapResultsLocation,
): Promise<InvoicingSummary> {
	const totalsByCurrency: Record<string, { invoices: number; total: number }> = {};
	const count = (currency: string, invoices: number, total: number) => {
		const bucket = totalsByCurrency[currency] ?? { invoices: 0, total: 0 };
		totalsByCurrency[currency] = { invoices: bucket.invoices + invoices, total: bucket.total + total };
	};
	let emailsSent = 0;
	let postalInvoices = 0;
	let einvoicesRefused = 0;
	const ofFailedBatches: string[] = [];
	await foldMapResults(
		deps.s3,
		results,
		invoicedBatchSchema,
		({ generated, delivered }) => {
			for (const [currency, batch] of Object.entries(generated.totalsByCurrency)) count(currency, batch.invoices, batch.total);
			emailsSent += delivered.invoiceEmailsSent;
			postalInvoices += delivered.postalInvoices;
			einvoicesRefused += delivered.einvoicesRefused;
		},
		// Each account of a failed batch is also a run failure (Record Batch Failure), listed below.
		(child) => ofFailedBatches.push(...accountsOfFailedChild(child)),
	);
	const stored = await pMap(
		ofFailedBatches,
		async (accountId) => {
			const number = await getInvoiceNumberForPeriod(deps, accountId, period);
			return number ? getInvoice(deps, number) : undefined;
		},
		{ concurrency: 8 },
	);
	for (const invoice of stored) {
		if (!invoice) continue;
		count(invoice.currency, 1, invoice.total);
		const [email, postal] = await Promise.all(
			(["email", "postal"] as const).map((channel) => getDelivery(deps, keys.delivery(invoice.number, channel))),
		);
		if (email?.status === "sent") emailsSent += 1;
		if (postal) postalInvoices += 1;
	}
	const invoicesIssued = Object.values(totalsByCurrency).reduce((n, t) => n + t.invoices, 0);
	const failures = await listRunFailures(deps, period);
	const unknown = await listDeliveriesOutcomeUnknown(deps, period);
	return {
		period,
		invoicesIssued,
		totalsByCurrency,
		emailsSent,
		postalInvoices,
		einvoicesRefused,
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
