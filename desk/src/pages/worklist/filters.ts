import { z } from "zod";

/** The kinds of exception the worklist gathers (shared/reporting/worklist.ts), as a person reads them. */
export const KIND_LABELS: Readonly<Record<string, string>> = {
	unapplied_payment: "Unapplied payment",
	parked_event: "Parked payment event",
	failed_delivery: "Failed delivery",
	delivery_outcome_unknown: "Delivery outcome unknown",
	undeliverable_address: "Undeliverable address",
	einvoice_refused: "E-invoice refused",
	failed_invoicing: "Failed invoicing",
	open_dispute: "Open dispute",
	invoice_on_hold: "Invoice on hold",
	collections_case: "Collections case",
	invariant_violation: "Ledger invariant broken",
	webhook_dead_letters: "Webhook events dead-lettered",
};

export const kindLabel = (kind: string) => KIND_LABELS[kind] ?? kind.replaceAll("_", " ");

export const worklistFilters = z.object({
	kind: z
		.string()
		.refine((k) => k in KIND_LABELS)
		.optional()
		.catch(undefined),
	assignee: z.string().trim().min(1).max(200).optional().catch(undefined),
});
