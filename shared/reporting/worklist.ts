import pMap from "p-map";
import { daysBetween } from "../core/period.js";
import { isCurrentAddressUndeliverable, undeliverableWhat } from "../documents/email-address.js";
import { listOpenCases } from "../store/collections.js";
import { getDelivery, listDeliveriesOutcomeUnknown } from "../store/deliveries.js";
import { type EinvoiceRecord, listRefusedEinvoices } from "../store/einvoices.js";
import { listUndeliverableAccounts } from "../store/email-feedback.js";
import { keys } from "../store/keys.js";
import { getLedgerChecks } from "../store/ledger-checks.js";
import { listParkedEvents } from "../store/payments.js";
import { getAccount, getInvoiceNumberForPeriod, listUnappliedPayments, type TableDeps } from "../store/records.js";
import { listRunFailures } from "../store/run-failures.js";
import { listDeadLetteringEndpoints } from "../store/webhooks.js";
import { listAssignments } from "../store/worklist.js";
import { fillWorklistQueues, listHeldInvoices, listOpenDisputes } from "../store/worklist-queues.js";
import type { InvariantViolation } from "./invariants.js";

/**
 * Every open exception in one list (DESIGN.md section 10), read from where each one lives,
 * so an item leaves the list when its cause is resolved: cash no one applied, refunds and
 * disputes waiting for their payment, deliveries and invoicing that failed, open disputes,
 * invoices held by hand, collections cases, broken ledger invariants. Each says the command
 * that resolves it. An address SES reported bouncing or complained from is listed too: nothing is
 * emailed to it until a person corrects it.
 */

export const WORKLIST_KINDS = [
	"unapplied_payment",
	"parked_event",
	"failed_delivery",
	"delivery_outcome_unknown",
	"undeliverable_address",
	"einvoice_refused",
	"failed_invoicing",
	"open_dispute",
	"invoice_on_hold",
	"collections_case",
	"invariant_violation",
	"webhook_dead_letters",
] as const;
export type WorklistKind = (typeof WORKLIST_KINDS)[number];

export interface WorklistItem {
	/** Stable while the exception is open: what `billing worklist assign` names. */
	readonly id: string;
	readonly kind: WorklistKind;
	readonly accountId?: string;
	readonly amount?: number;
	readonly currency?: string;
	/** The day it became an exception. */
	readonly since: string;
	readonly ageDays: number;
	readonly detail: string;
	readonly resolve: string;
	readonly assignee?: string;
}

type Draft = Omit<WorklistItem, "ageDays" | "assignee">;

/** The periods whose run failures are looked at: the twelve months up to the day's. */
function recentPeriods(asOf: string): string[] {
	const [year, month] = asOf.split("-").map(Number) as [number, number];
	return Array.from({ length: 12 }, (_, i) => {
		const d = new Date(Date.UTC(year, month - 1 - i, 1));
		return d.toISOString().slice(0, 7);
	});
}

async function failuresStillOpen(deps: TableDeps, asOf: string): Promise<Draft[]> {
	const failures = (await pMap(recentPeriods(asOf), (p) => listRunFailures(deps, p), { concurrency: 4 })).flat();
	const open = await pMap(
		failures,
		async (f): Promise<Draft | undefined> => {
			if (f.stage === "invoice") {
				if (await getInvoiceNumberForPeriod(deps, f.accountId, f.period)) return undefined;
				return {
					id: `invoicing:${f.period}:${f.accountId}`,
					kind: "failed_invoicing",
					accountId: f.accountId,
					since: f.at.slice(0, 10),
					detail: f.reason,
					resolve: `fix what the reason says, then: billing run --period ${f.period} --rerun`,
				};
			}
			if (f.stage !== "deliver") return undefined;
			const invoiceNumber = /invoice (\S+)/.exec(f.reason)?.[1];
			if (!invoiceNumber) return undefined;
			const account = await getAccount(deps, f.accountId);
			const channel = account?.delivery ?? "email";
			const delivery = await getDelivery(deps, keys.delivery(invoiceNumber, channel));
			if (delivery && (delivery.status === "sent" || delivery.status === "queued_for_print")) return undefined;
			return {
				id: `delivery:${invoiceNumber}`,
				kind: "failed_delivery",
				accountId: f.accountId,
				since: f.at.slice(0, 10),
				detail: f.reason,
				resolve: `billing accounts update ${f.accountId} --email <address>, then billing invoices resend ${invoiceNumber} --reason "<why>"`,
			};
		},
		{ concurrency: 8 },
	);
	return open.filter((d): d is Draft => d !== undefined);
}

/** A claim younger than this is a send in flight, not yet an exception. */
const IN_FLIGHT_MS = 15 * 60 * 1000;

/** Deliveries claimed and never confirmed sent or failed (a crash between the claim and the send): a person checks, then resends. */
async function outcomesUnknown(deps: TableDeps, asOf: string): Promise<Draft[]> {
	const unknown = (await pMap(recentPeriods(asOf), (p) => listDeliveriesOutcomeUnknown(deps, p), { concurrency: 4 })).flat();
	return unknown
		.filter((d) => Date.parse(d.claimedAt) < Date.now() - IN_FLIGHT_MS)
		.map((d) => {
			const invoiceNumber = d.key.pk.startsWith("INVOICE#") ? d.key.pk.slice("INVOICE#".length) : undefined;
			return {
				id: `unknown:${d.key.pk}:${d.key.sk}`,
				kind: "delivery_outcome_unknown" as const,
				since: d.claimedAt.slice(0, 10),
				detail: `${invoiceNumber ? `invoice ${invoiceNumber}` : d.key.pk.toLowerCase()} claimed for ${d.channel} delivery at ${d.claimedAt}, never confirmed sent or failed`,
				resolve: invoiceNumber
					? `check the mail log for it, then billing invoices resend ${invoiceNumber} --reason "outcome unknown, checked"`
					: "check the mail log for it; the invoice's resend carries the statement",
			};
		});
}

/** Accounts whose address SES reported bouncing or complained from, while it is still their address. */
async function undeliverableAddresses(deps: TableDeps): Promise<Draft[]> {
	return (await listUndeliverableAccounts(deps)).flatMap((account) => {
		const mark = account.undeliverable;
		if (!mark || !isCurrentAddressUndeliverable(account)) return [];
		const email = mark.document ? ` (the email of ${mark.document})` : "";
		return [
			{
				id: `undeliverable:${account.accountId}`,
				kind: "undeliverable_address" as const,
				accountId: account.accountId,
				since: mark.at.slice(0, 10),
				detail: `${undeliverableWhat(mark)}${email}; nothing is emailed to it until it is corrected`,
				resolve: `billing accounts update ${account.accountId} --email <new address> (or --email-confirmed once the customer confirmed this one works)`,
			},
		];
	});
}

/** The fatal findings a refused e-invoice's record keeps, as the item lists them. */
function refusedBecause(record: EinvoiceRecord): string {
	const fatal = record.findings.filter((f) => f.severity === "fatal");
	const more = record.findingCount - record.findings.length;
	return `${fatal.map((f) => `${f.ruleId}: ${f.message}`).join("; ")}${more > 0 ? `; and ${more} more findings` : ""}`;
}

/** Documents not delivered because the rules refused their e-invoice: the account is corrected, then the document sent again. */
async function refusedEinvoices(deps: TableDeps): Promise<Draft[]> {
	return (await listRefusedEinvoices(deps)).map((r) => {
		const what = r.document === "invoice" ? `invoice ${r.number}` : `credit memo ${r.number}`;
		const again =
			r.document === "invoice"
				? `billing invoices resend ${r.number} --reason "e-invoice corrected"`
				: `billing credit-memo einvoice ${r.number}`;
		return {
			id: `einvoice:${r.number}`,
			kind: "einvoice_refused" as const,
			accountId: r.accountId,
			since: r.at.slice(0, 10),
			detail: `${what} not delivered: its ${r.profile} e-invoice is refused by the rules: ${refusedBecause(r)}`,
			resolve: `correct what the rules name (billing accounts update ${r.accountId} --city/--postal-code/--country/--vat-id/--peppol-id/--buyer-reference, or the seller's SELLER_* configuration), then: ${again}`,
		};
	});
}

/** Broken invariants as the last check of the ledger found them. */
async function invariantViolations(deps: TableDeps): Promise<Draft[]> {
	return (await getLedgerChecks(deps)).flatMap((check) => {
		const when = `the ledger check of ${check.checkedAt}`;
		const listed = check.violations.map((v) => violationItem(v, check.checkedAt.slice(0, 10), when));
		const unlisted = check.violationCount - check.violations.length;
		return unlisted > 0
			? [
					...listed,
					{
						id: `invariant:more:${check.scope}`,
						kind: "invariant_violation" as const,
						since: check.checkedAt.slice(0, 10),
						detail: `${unlisted} more ${check.scope} invariant violations found by ${when}`,
						resolve: "billing reconcile --period <YYYY-MM> lists them all",
					},
				]
			: listed;
	});
}

function violationItem(v: InvariantViolation, since: string, foundBy: string): Draft {
	return {
		id: `invariant:${v.rule}:${v.subject}`,
		kind: "invariant_violation" as const,
		since,
		detail: `${v.rule} on ${v.subject}: ${v.detail} (found by ${foundBy})`,
		resolve: "investigate with billing ledger and billing invoices history; the reconcile step checks it every run",
	};
}

/** Endpoints that missed events for good: the receiver is fixed, then the events sent again. */
async function webhookDeadLetters(deps: TableDeps): Promise<Draft[]> {
	return (await listDeadLetteringEndpoints(deps)).map((e) => ({
		id: `webhook:${e.endpointId}`,
		kind: "webhook_dead_letters" as const,
		since: (e.deadLetteredSince ?? e.createdAt).slice(0, 10),
		detail: `webhook endpoint ${e.endpointId} (${e.url}) missed ${e.deadLettered ?? 0} events after 3 days of retries${e.status === "disabled" ? `; ${e.disabledReason}` : ""}`,
		resolve: `fix the receiver, then${e.status === "disabled" ? ` billing webhooks enable ${e.endpointId} --reason "<what was fixed>" and` : ""} billing events replay --endpoint ${e.endpointId} --since ${e.deadLetteredSince ?? e.createdAt}`,
	}));
}

/**
 * The worklist as of `asOf`. Broken invariants come from the last check of the ledger (the
 * billing cycle and `billing reconcile` check every account and payment, and keep what they
 * found), so a look at the worklist reads queues, not every ledger.
 */
export async function buildWorklist(deps: TableDeps, asOf: string): Promise<WorklistItem[]> {
	await fillWorklistQueues(deps);
	const [unapplied, parked, disputed, held, cases, failures, unknown, undeliverable, refused, violations, deadLetters, assignments] =
		await Promise.all([
			listUnappliedPayments(deps),
			listParkedEvents(deps),
			listOpenDisputes(deps),
			listHeldInvoices(deps),
			listOpenCases(deps),
			failuresStillOpen(deps, asOf),
			outcomesUnknown(deps, asOf),
			undeliverableAddresses(deps),
			refusedEinvoices(deps),
			invariantViolations(deps),
			webhookDeadLetters(deps),
			listAssignments(deps),
		]);
	const drafts: Draft[] = [
		...unapplied.map((p) => ({
			id: `payment:${p.provider}:${p.paymentId}`,
			kind: "unapplied_payment" as const,
			...(p.accountId ? { accountId: p.accountId } : {}),
			amount: p.unappliedAmount,
			currency: p.currency,
			since: p.receivedAt.slice(0, 10),
			detail: `${p.provider} payment ${p.paymentId}: ${p.unappliedAmount} of ${p.amount} minor units applied to no invoice`,
			resolve: `billing payments apply ${p.provider}:${p.paymentId} --invoice <number>`,
		})),
		...parked.map((e) => ({
			id: `parked:${e.adjustment.provider}:${e.adjustment.eventId}`,
			kind: "parked_event" as const,
			since: e.adjustment.occurredAt.slice(0, 10),
			...(e.reason
				? {
						detail: `${e.eventType} for ${e.adjustment.provider} payment ${e.adjustment.paymentId}: ${e.reason}`,
						resolve: `not booked: the money moved at ${e.adjustment.provider}, but no invoice, ledger entry or balance shows it; no desk action books it in parts, so escalate it to engineering (billing reconcile tries it again every run)`,
					}
				: {
						detail: `${e.eventType} for ${e.adjustment.provider} payment ${e.adjustment.paymentId}, which has not arrived`,
						resolve: `it is applied when payment ${e.adjustment.paymentId} arrives; if it never does, look the payment up in ${e.adjustment.provider}'s dashboard`,
					}),
		})),
		...disputed.map((p) => ({
			id: `dispute:${p.provider}:${p.dispute?.disputeId}`,
			kind: "open_dispute" as const,
			...(p.accountId ? { accountId: p.accountId } : {}),
			amount: p.dispute?.amount ?? 0,
			currency: p.currency,
			since: (p.dispute?.since ?? p.receivedAt).slice(0, 10),
			detail: `dispute ${p.dispute?.disputeId} on ${p.provider} payment ${p.paymentId}: ${p.dispute?.reason}`,
			resolve: `answer it in ${p.provider}'s dashboard; its outcome arrives as a webhook and releases the hold`,
		})),
		...held
			.filter((i) => i.hold && (i.hold.disputeIds?.length ?? 0) === 0)
			.map((i) => ({
				id: `hold:${i.number}`,
				kind: "invoice_on_hold" as const,
				accountId: i.accountId,
				amount: i.amountDue,
				currency: i.currency,
				since: (i.hold?.since ?? i.issueDate).slice(0, 10),
				detail: `invoice ${i.number} held: ${i.hold?.reason}`,
				resolve: `billing invoices release ${i.number} --reason "<how it was resolved>"`,
			})),
		...cases.map((c) => ({
			id: `case:${c.caseId}`,
			kind: "collections_case" as const,
			accountId: c.accountId,
			amount: c.amountDue,
			currency: c.currency,
			since: c.openedOn,
			detail: `collections case for ${c.invoices.length} invoice(s)`,
			resolve: `the agency's payment closes it; or billing write-off --invoice <number> --reason "<why>"`,
		})),
		...failures,
		...unknown,
		...undeliverable,
		...refused,
		...violations,
		...deadLetters,
	];
	return drafts
		.map((d) => {
			const assignee = assignments.get(d.id)?.assignee;
			return { ...d, ageDays: Math.max(0, daysBetween(d.since, asOf)), ...(assignee ? { assignee } : {}) };
		})
		.sort((a, b) => a.since.localeCompare(b.since) || a.id.localeCompare(b.id));
}
