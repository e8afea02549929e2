import {
	type EventBody,
	getPayment,
	listParkedEvents,
	type ProviderEvent,
	parkedAdjustment,
	parkedAdjustmentApplied,
	storedEvent,
} from "../store/payments.js";
import type { TableDeps } from "../store/records.js";
import {
	conditionFailedAt,
	isCancelled,
	MAX_TRANSACTION_ITEMS,
	RETRY,
	type TransactItem,
	transactionSize,
	transactWrite,
	withOptimisticRetry,
} from "../store/transact.js";
import { planAdjustment } from "./reversals.js";
import type { PaymentAdjustment, WebhookOutcome } from "./types.js";

/**
 * A refund or dispute: stored with its effects in one transaction. One that refers to a
 * payment not yet recorded is parked and applied when the payment arrives (or by the
 * reconcile step), claimed from the parked queue so it takes effect once. One whose effects
 * do not fit one transaction is parked too, with that reason, rather than half applied: it
 * stays on the worklist for a person, and the reconcile step tries it again on what is then
 * stored.
 */
export async function recordAdjustment(
	deps: TableDeps,
	adjustment: PaymentAdjustment,
	eventType: string,
	body: EventBody,
	options: { fromParked?: boolean } = {},
): Promise<WebhookOutcome> {
	const { provider, eventId, paymentId } = adjustment;
	const event: ProviderEvent = { provider, eventId, eventType, ...body };
	return withOptimisticRetry(`event ${eventId} for payment ${paymentId} could not be applied`, async () => {
		const payment = await getPayment(deps, provider, paymentId);
		if (!payment) {
			const reason = `payment ${provider}:${paymentId} has not arrived yet`;
			if (options.fromParked) return { result: "parked", eventId, paymentId, reason } as const;
			try {
				await transactWrite(deps, [
					storedEvent(deps.tableName, event, { handling: "parked", paymentId }),
					...parkedAdjustment(deps.tableName, { adjustment, eventType }),
				]);
			} catch (err) {
				if (conditionFailedAt(err, 0)) return { result: "duplicate_event", eventId } as const;
				throw err;
			}
			// The payment may have been recorded between the read above and the parking; it then missed this event.
			if (await getPayment(deps, provider, paymentId)) await applyParkedAdjustments(deps, { provider, paymentId });
			return { result: "parked", eventId, paymentId, reason } as const;
		}
		const plan = await planAdjustment(deps, payment, adjustment);
		const eventWrites: TransactItem[] = options.fromParked
			? parkedAdjustmentApplied(deps.tableName, adjustment, plan.outcome)
			: [storedEvent(deps.tableName, event, { handling: "adjustment", paymentId, outcome: plan.outcome })];
		const items = [...eventWrites, ...plan.items];
		const size = transactionSize(items);
		if (size > MAX_TRANSACTION_ITEMS) {
			const what = plan.outcome === "refunded" || plan.outcome === "dispute_lost" ? "reversing it" : "recording it";
			const reason = `${what} takes ${size} items, more than the ${MAX_TRANSACTION_ITEMS} of one transaction`;
			if (options.fromParked) return { result: "parked", eventId, paymentId, reason } as const;
			try {
				await transactWrite(deps, [
					storedEvent(deps.tableName, event, { handling: "parked", paymentId, reason }),
					...parkedAdjustment(deps.tableName, { adjustment, eventType, reason }),
				]);
			} catch (err) {
				if (conditionFailedAt(err, 0)) return { result: "duplicate_event", eventId } as const;
				throw err;
			}
			return { result: "parked", eventId, paymentId, reason } as const;
		}
		try {
			await transactWrite(deps, items);
			return { result: plan.outcome, eventId, paymentId, amount: plan.amount, invoiceNumbers: plan.invoiceNumbers } as const;
		} catch (err) {
			if (conditionFailedAt(err, 0)) return { result: "duplicate_event", eventId } as const;
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}

/** Applies parked refunds and disputes whose payment is now recorded, oldest first; all of them when no payment is named. */
export async function applyParkedAdjustments(
	deps: TableDeps,
	payment?: { provider: string; paymentId: string },
): Promise<{ applied: number; stillParked: number }> {
	const parked = await listParkedEvents(deps, payment);
	let applied = 0;
	for (const item of parked) {
		// Its event was stored when it was parked: nothing of the body is written again.
		const outcome = await recordAdjustment(deps, item.adjustment as unknown as PaymentAdjustment, item.eventType, {}, { fromParked: true });
		if (outcome.result !== "parked" && outcome.result !== "duplicate_event") applied += 1;
	}
	return { applied, stillParked: parked.length - applied };
}
