import type { Invoice, Payment } from "../core/model.js";
import { balanceChange } from "../store/accounts.js";
import { creditApplicationReversed, type Hold, holdOnInvoice, paymentOnInvoice } from "../store/invoices.js";
import { ledgerEntryPut } from "../store/ledger.js";
import { disputeClosedOnPayment, disputeOpenedOnPayment, refundOnPayment } from "../store/payments.js";
import { getAccount, getInvoice, listInvoicesOfAccount, type TableDeps } from "../store/records.js";
import type { TransactItem } from "../store/transact.js";
import { paymentAudit } from "./settlement.js";
import type { PaymentAdjustment, PaymentApplication } from "./types.js";

interface Reversal {
	readonly fromUnapplied: number;
	readonly fromCredit: number;
	readonly fromInvoices: readonly PaymentApplication[];
}

/**
 * Where money taken back (refund or lost dispute) comes from: unapplied cash first (never
 * booked, so it reverses no ledger entry, and it leaves the unapplied queue), then account
 * credit (the overpayment), then the applications newest first. Earlier reversals already
 * used the first `alreadyReversed` of that order, so a second partial refund continues where
 * the first stopped.
 */
export function allocateReversal(payment: Payment, amount: number): Reversal {
	let skip = payment.refundedAmount + payment.chargebackAmount;
	let left = amount;
	const take = (layer: number): number => {
		const available = Math.max(layer - skip, 0);
		skip = Math.max(skip - layer, 0);
		const taken = Math.min(available, left);
		left -= taken;
		return taken;
	};
	const fromUnapplied = take(payment.unappliedAmount + payment.returnedUnapplied);
	const fromCredit = take(payment.creditedAmount);
	const fromInvoices: PaymentApplication[] = [];
	for (const application of [...payment.applications].reverse()) {
		const taken = take(application.amount);
		if (taken > 0) fromInvoices.push({ invoiceNumber: application.invoiceNumber, amount: taken });
	}
	return { fromUnapplied, fromCredit, fromInvoices };
}

/** The invoice's hold with this dispute added: it stays on hold while any dispute of a payment that paid it is open. */
export function holdWithDispute(current: Invoice["hold"], disputeId: string, reason: string, since: string): Hold | undefined {
	const ids = current?.disputeIds ?? [];
	if (ids.includes(disputeId)) return undefined;
	return { reason: current ? `${current.reason}; ${reason}` : reason, since: current?.since ?? since, disputeIds: [...ids, disputeId] };
}

/** The invoice's hold without this dispute: null when no other dispute keeps it on hold, undefined when nothing changes. */
export function holdWithoutDispute(current: Invoice["hold"], disputeId: string): Hold | null | undefined {
	if (!current) return undefined;
	const ids = (current.disputeIds ?? []).filter((id) => id !== disputeId);
	if (ids.length === 0) return null;
	if (ids.length === current.disputeIds?.length) return undefined;
	const reason = current.reason
		.split("; ")
		.filter((r) => !r.startsWith(`dispute ${disputeId} `))
		.join("; ");
	return { ...current, reason, disputeIds: ids };
}

/**
 * The money an adjustment takes back now: a refund's increase over what was refunded before,
 * a lost dispute's amount; never more than is left of the payment after earlier reversals.
 */
function adjustmentAmount(payment: Payment, adjustment: PaymentAdjustment): number {
	const left = payment.amount - payment.refundedAmount - payment.chargebackAmount;
	if (adjustment.kind === "refund")
		return Math.min(left, Math.max(0, Math.min(adjustment.refundedTotal, payment.amount) - payment.refundedAmount));
	if (adjustment.kind === "dispute_closed" && adjustment.outcome === "lost") return Math.min(adjustment.amount, left);
	return 0;
}

export interface AdjustmentPlan {
	readonly outcome: "refunded" | "dispute_opened" | "dispute_won" | "dispute_lost" | "no_change";
	readonly amount: number;
	readonly items: TransactItem[];
	readonly invoiceNumbers: readonly string[];
}

/** What a refund or dispute changes, on the payment and its invoices as read now. */
export async function planAdjustment(deps: TableDeps, payment: Payment, adjustment: PaymentAdjustment): Promise<AdjustmentPlan> {
	const { tableName } = deps;
	const ref = `${payment.provider}:${payment.paymentId}`;
	const at = new Date().toISOString();
	const noChange: AdjustmentPlan = { outcome: "no_change", amount: 0, items: [], invoiceNumbers: [] };
	if (adjustment.currency !== payment.currency) return noChange;
	const loaded = new Map<string, Invoice>();
	for (const number of new Set(payment.applications.map((a) => a.invoiceNumber))) {
		const invoice = await getInvoice(deps, number);
		if (invoice) loaded.set(number, invoice);
	}
	const audit = (action: Parameters<typeof paymentAudit>[1]) => paymentAudit(payment, action, at);
	// Taking back an overpayment takes back the credit it gave: what the account still has, then what its invoices consumed.
	const creditTaken = payment.accountId ? allocateReversal(payment, adjustmentAmount(payment, adjustment)).fromCredit : 0;
	const account = creditTaken > 0 && payment.accountId ? await getAccount(deps, payment.accountId) : undefined;
	const creditLeft = account?.creditBalance ?? 0;
	// Only credit the account no longer has needs the invoices that consumed it.
	const creditConsumers =
		account && creditLeft < creditTaken
			? (await listInvoicesOfAccount(deps, account.accountId))
					.filter((i) => (i.creditApplied ?? 0) > 0 && i.status !== "void")
					.sort((a, b) => b.issueDate.localeCompare(a.issueDate) || b.number.localeCompare(a.number))
			: [];
	/** A closed dispute's release of its part of the invoice's hold; undefined when the hold does not change. */
	const released = (invoice: Invoice, disputeId: string | undefined) =>
		disputeId ? holdWithoutDispute(invoice.hold, disputeId) : undefined;
	/** The hold releases of a closed dispute on the invoices whose amount paid does not change as well. */
	const holdReleases = (disputeId: string, amountsChanged: ReadonlySet<string> = new Set()): TransactItem[] =>
		[...loaded.values()].flatMap((invoice) => {
			const hold = released(invoice, disputeId);
			return amountsChanged.has(invoice.number) || hold === undefined
				? []
				: holdOnInvoice(tableName, invoice, hold, audit("dispute_closed"));
		});
	const effectiveDate = adjustment.occurredAt.slice(0, 10);
	const entry = (accountId: string, type: "refund" | "chargeback", amount: number, reference: string, invoiceNumber?: string) =>
		ledgerEntryPut(tableName, {
			accountId,
			type,
			amount,
			currency: payment.currency,
			reference,
			...(invoiceNumber ? { invoiceNumber } : {}),
			effectiveDate,
			recordedAt: at,
		});
	const reversalItems = (reversal: Reversal, type: "refund" | "chargeback", closedDispute?: string): TransactItem[] => {
		const items: TransactItem[] = [];
		const touched = new Set<string>();
		for (const part of reversal.fromInvoices) {
			const invoice = loaded.get(part.invoiceNumber);
			if (!invoice) continue;
			touched.add(part.invoiceNumber);
			const hold = released(invoice, closedDispute);
			items.push(
				...paymentOnInvoice(tableName, invoice, { paidDelta: -part.amount, ...(hold === undefined ? {} : { hold }) }, audit(type)),
			);
			items.push(entry(invoice.accountId, type, part.amount, `${ref} ${type} <- ${invoice.number}`, invoice.number));
		}
		if (closedDispute) items.push(...holdReleases(closedDispute, touched));
		const booked = reversal.fromCredit + reversal.fromInvoices.reduce((acc, p) => acc + p.amount, 0);
		if (payment.accountId && booked > 0) {
			const fromBalance = Math.min(reversal.fromCredit, creditLeft);
			// Credit a later invoice already consumed is due on that invoice again, newest first.
			let owedAgain = reversal.fromCredit - fromBalance;
			for (const invoice of creditConsumers) {
				if (owedAgain === 0) break;
				// One write per invoice and transaction: the payment's own invoices change elsewhere in it.
				if (loaded.has(invoice.number)) continue;
				const amount = Math.min(owedAgain, invoice.creditApplied ?? 0);
				owedAgain -= amount;
				items.push(...creditApplicationReversed(tableName, invoice, amount, audit(type)));
				items.push(entry(payment.accountId, type, amount, `${ref} ${type} of account credit used on ${invoice.number}`, invoice.number));
			}
			// What no invoice took back stays on the account's credit line, so the ledger still sums to the balance.
			const offCredit = fromBalance + owedAgain;
			if (offCredit > 0) items.push(entry(payment.accountId, type, offCredit, `${ref} ${type} of account credit`));
			items.push(
				balanceChange(tableName, { accountId: payment.accountId, balanceDelta: booked, creditDelta: -fromBalance, recordedAt: at }),
			);
		}
		return items;
	};
	switch (adjustment.kind) {
		case "refund": {
			const amount = adjustmentAmount(payment, adjustment);
			if (amount <= 0) return noChange;
			const reversal = allocateReversal(payment, amount);
			return {
				outcome: "refunded",
				amount,
				invoiceNumbers: reversal.fromInvoices.map((p) => p.invoiceNumber),
				items: [...refundOnPayment(tableName, payment, amount, reversal.fromUnapplied, at), ...reversalItems(reversal, "refund")],
			};
		}
		case "dispute_opened": {
			if (payment.dispute?.disputeId === adjustment.disputeId) return noChange;
			const reason = `dispute ${adjustment.disputeId} (${adjustment.reason}) on ${ref}`;
			const dispute = {
				disputeId: adjustment.disputeId,
				status: "open" as const,
				amount: adjustment.amount,
				reason: adjustment.reason,
				since: adjustment.occurredAt,
			};
			return {
				outcome: "dispute_opened",
				amount: adjustment.amount,
				invoiceNumbers: [...loaded.keys()],
				items: [
					...disputeOpenedOnPayment(tableName, payment, dispute, at),
					...[...loaded.values()].flatMap((invoice) => {
						const hold = holdWithDispute(invoice.hold, adjustment.disputeId, reason, adjustment.occurredAt);
						return hold ? holdOnInvoice(tableName, invoice, hold, audit("dispute_opened")) : [];
					}),
				],
			};
		}
		case "dispute_closed": {
			if (payment.dispute && payment.dispute.status !== "open") return noChange;
			const dispute = {
				disputeId: adjustment.disputeId,
				status: adjustment.outcome,
				amount: adjustment.amount,
				reason: payment.dispute?.reason ?? "unspecified",
				since: payment.dispute?.since ?? adjustment.occurredAt,
			};
			const lost = adjustment.outcome === "lost";
			const amount = adjustmentAmount(payment, adjustment);
			const reversal = allocateReversal(payment, amount);
			return {
				outcome: lost ? "dispute_lost" : "dispute_won",
				amount,
				invoiceNumbers: [...loaded.keys()],
				items: [
					...disputeClosedOnPayment(tableName, payment, dispute, amount, reversal.fromUnapplied, at),
					...(lost ? reversalItems(reversal, "chargeback", adjustment.disputeId) : holdReleases(adjustment.disputeId)),
				],
			};
		}
	}
}
