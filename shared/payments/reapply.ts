import { unappliedPaymentSettled } from "../store/payments.js";
import { listUnappliedPayments, type TableDeps } from "../store/records.js";
import { isCancelled, transactionSize, transactWrite } from "../store/transact.js";
import { decidePaymentApplication, loadMatchContext } from "./matching.js";
import { loadedInvoiceWrite, settledRecord, settlementItems } from "./settlement.js";
import type { PaymentDecision } from "./types.js";

export interface ReapplyResult {
	readonly examined: number;
	readonly applied: number;
	readonly amountApplied: Record<string, number>;
	readonly amountCredited: Record<string, number>;
	readonly stillUnapplied: number;
}

/**
 * The reconcile step: an unapplied payment that now has a match (its invoice was issued
 * after it arrived, its customer now has an invoice of that amount) is applied now, in one
 * transaction with its ledger entries. Payments already refunded or disputed stay as they are.
 */
export async function reapplyUnappliedPayments(deps: TableDeps): Promise<ReapplyResult> {
	const unapplied = await listUnappliedPayments(deps);
	let applied = 0;
	const amountApplied: Record<string, number> = {};
	const amountCredited: Record<string, number> = {};
	for (const payment of unapplied) {
		const untouched =
			payment.appliedAmount === 0 &&
			payment.creditedAmount === 0 &&
			payment.refundedAmount === 0 &&
			payment.chargebackAmount === 0 &&
			!payment.dispute &&
			// A person took it back from an invoice: matching it again automatically would undo that.
			!payment.matchByHand;
		if (!untouched) continue;
		const context = await loadMatchContext(deps, payment);
		const at = new Date().toISOString();
		const itemsFor = (decision: PaymentDecision) => [
			...unappliedPaymentSettled(deps.tableName, payment, settledRecord(payment, decision), at),
			// Applied today: the invoice it pays may not have existed when the money arrived.
			...settlementItems(deps.tableName, decision, loadedInvoiceWrite(deps.tableName, context), payment, {
				at,
				effectiveDate: at.slice(0, 10),
			}),
		];
		const decision = decidePaymentApplication(payment, context, (d) => transactionSize(itemsFor(d)));
		const settled = decision.applications.reduce((acc, a) => acc + a.amount, 0);
		if (settled + decision.creditedAmount === 0) continue;
		try {
			await transactWrite(deps, itemsFor(decision));
			applied += 1;
			if (settled > 0) amountApplied[payment.currency] = (amountApplied[payment.currency] ?? 0) + settled;
			if (decision.creditedAmount > 0) amountCredited[payment.currency] = (amountCredited[payment.currency] ?? 0) + decision.creditedAmount;
		} catch (err) {
			if (!isCancelled(err)) throw err;
			// Changed under us (a webhook applied it meanwhile): the next run looks again.
		}
	}
	return { examined: unapplied.length, applied, amountApplied, amountCredited, stillUnapplied: unapplied.length - applied };
}
