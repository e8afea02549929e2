import type { Payment } from "../core/model.js";
import { auditPut } from "../store/audit.js";
import {
	type EventBody,
	newPayment,
	nothingParkedFor,
	type ProviderEvent,
	paymentReceivedEvents,
	storedEvent,
	storeIgnoredEvent,
} from "../store/payments.js";
import type { TableDeps } from "../store/records.js";
import {
	conditionFailedAt,
	isCancelled,
	RETRY,
	RETRY_NOW,
	type TransactItem,
	transactionSize,
	transactWrite,
	type WriteDeps,
	withOptimisticRetry,
} from "../store/transact.js";
import { applyParkedAdjustments } from "./adjustments.js";
import { decidePaymentApplication, loadMatchContext } from "./matching.js";
import { loadedInvoiceWrite, settledRecord, settlementItems } from "./settlement.js";
import type { PaymentDecision, PaymentReceived, WebhookOutcome } from "./types.js";

/** Stores an event that carries no payment (kept for audit) exactly once. */
export async function recordIgnoredEvent(deps: TableDeps, event: ProviderEvent): Promise<WebhookOutcome> {
	const stored = await storeIgnoredEvent(deps, event);
	return stored
		? { result: "ignored", eventId: event.eventId, eventType: event.eventType }
		: { result: "duplicate_event", eventId: event.eventId };
}

/**
 * Stores the raw event, the payment and its application in one transaction: the event's
 * id makes a redelivery change nothing, the payment's id makes a second event for the same
 * payment (payment_intent.succeeded and charge.succeeded) apply it only once. Refunds and
 * disputes that arrived first are applied right after: the transaction checks that no
 * parked marker exists, so only a payment with parked events pays for reading them.
 */
export async function recordPayment(
	deps: WriteDeps,
	payment: PaymentReceived,
	eventType: string,
	/** The raw body (a bank row, the desk's input), or where the webhook's is kept and until when. */
	body: string | EventBody,
	/** A person recording it by hand (a cheque at the desk): named on the account's and the invoices' audit entries. */
	options: { readonly actor?: string; readonly reference?: string } = {},
): Promise<WebhookOutcome> {
	const event: ProviderEvent = {
		provider: payment.provider,
		eventId: payment.eventId,
		eventType,
		...(typeof body === "string" ? { rawBody: body } : body),
	};
	let parkedEvents = false;
	let assumeAccount = true;
	return withOptimisticRetry(`payment ${payment.paymentId} could not be recorded`, async () => {
		// The invoice a payment names is read, not presumed: its events carry it as it is after the payment.
		const context = await loadMatchContext(deps, payment, { assumeAccount });
		const invoiceWrite = loadedInvoiceWrite(deps.tableName, context);
		const at = new Date().toISOString();
		const itemsFor = (decision: PaymentDecision): { record: Payment; items: TransactItem[] } => {
			const record = settledRecord(
				{
					provider: payment.provider,
					paymentId: payment.paymentId,
					eventId: payment.eventId,
					...(payment.invoiceNumber ? { invoiceNumber: payment.invoiceNumber } : {}),
					amount: payment.amount,
					currency: payment.currency,
					receivedAt: payment.receivedAt,
					refundedAmount: 0,
					chargebackAmount: 0,
					returnedUnapplied: 0,
				},
				decision,
			);
			const items: TransactItem[] = [
				storedEvent(deps.tableName, event, { handling: "payment", paymentId: payment.paymentId }),
				newPayment(deps.tableName, record),
				...(parkedEvents ? [] : [nothingParkedFor(deps.tableName, payment.provider, payment.paymentId)]),
				...recordedBy(deps.tableName, payment, options, at),
				...paymentReceivedEvents(deps.tableName, record, at),
				// Its last item checks the account (see below): it stays last.
				...settlementItems(deps.tableName, decision, invoiceWrite, payment, {
					at,
					effectiveDate: payment.receivedAt.slice(0, 10),
					...(options.actor ? { actor: options.actor } : {}),
				}),
			];
			return { record, items };
		};
		const decision = decidePaymentApplication(payment, context, (d) => transactionSize(itemsFor(d).items));
		if (assumeAccount && context.account && decision.applications.length === 0 && decision.creditedAmount === 0) {
			// Nothing to write to the account would check the assumption: read it for the reason.
			assumeAccount = false;
			return RETRY_NOW;
		}
		const { record, items } = itemsFor(decision);
		try {
			await transactWrite(deps, items);
		} catch (err) {
			if (conditionFailedAt(err, 0)) return { result: "duplicate_event", eventId: payment.eventId } as const;
			if (conditionFailedAt(err, 1)) {
				const stored = await recordIgnoredEvent(deps, event);
				if (stored.result === "duplicate_event") return stored;
				return { result: "duplicate_payment", eventId: payment.eventId, paymentId: payment.paymentId } as const;
			}
			if (!parkedEvents && conditionFailedAt(err, 2)) {
				// A refund or dispute was parked for this payment: record it without the check, then apply what is parked.
				parkedEvents = true;
				return RETRY_NOW;
			}
			if (!isCancelled(err)) throw err;
			if (assumeAccount && context.account && conditionFailedAt(err, items.length - 1)) {
				// The account is missing or in another currency: decide again on what is stored.
				assumeAccount = false;
				return RETRY_NOW;
			}
			return RETRY;
		}
		if (parkedEvents) await applyParkedAdjustments(deps, { provider: payment.provider, paymentId: payment.paymentId });
		const first = decision.applications[0];
		return {
			result: record.status,
			eventId: payment.eventId,
			paymentId: payment.paymentId,
			...(first ? { invoiceNumber: first.invoiceNumber } : {}),
			invoiceNumbers: decision.applications.map((a) => a.invoiceNumber),
			creditedAmount: decision.creditedAmount,
			...(decision.unappliedReason ? { unappliedReason: decision.unappliedReason } : {}),
		};
	});
}

/** The account's audit entry for a payment a person recorded by hand, naming them; none for a processor's or a bank file's. */
function recordedBy(
	tableName: string,
	payment: PaymentReceived,
	{ actor, reference }: { readonly actor?: string; readonly reference?: string },
	at: string,
): TransactItem[] {
	if (!actor || !payment.accountId) return [];
	const { provider, paymentId, amount, currency, receivedAt } = payment;
	return [
		auditPut(tableName, {
			subject: "account",
			subjectId: payment.accountId,
			action: "payment_recorded",
			actor,
			at,
			...(reference ? { reason: reference } : {}),
			before: null,
			after: { payment: `${provider}:${paymentId}`, amount, currency, receivedAt },
		}),
	];
}
