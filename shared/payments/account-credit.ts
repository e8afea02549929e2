import { balanceChangeAsRead } from "../store/accounts.js";
import { accountCreditOnInvoice } from "../store/invoices.js";
import { creditAppliedEntries } from "../store/ledger.js";
import { getAccount, listInvoicesOfAccount, type TableDeps } from "../store/records.js";
import { isCancelled, RETRY, type TransactItem, transactWrite, withOptimisticRetry } from "../store/transact.js";
import { MAX_INVOICES_PER_PAYMENT } from "./matching.js";

export interface CreditApplied {
	/** Invoice number → what is still due on it after the credit. */
	readonly invoices: ReadonlyMap<string, number>;
	readonly amount: number;
}

const NOTHING: CreditApplied = { invoices: new Map(), amount: 0 };

/**
 * Sets the account's credit against its open invoices, oldest due first, in one
 * transaction with the invoices' and the account's audit entries: credit never sits unused
 * while an invoice of the same customer is chased. Consuming credit moves no balance (the
 * balance is amounts due minus credit, and both drop by it): its ledger entries net to zero.
 * Invoices on hold (disputed) keep what is due until the dispute is settled.
 */
export async function applyAccountCredit(deps: TableDeps & { readonly actor?: string }, accountId: string): Promise<CreditApplied> {
	return withOptimisticRetry(`account ${accountId}'s credit could not be applied`, async () => {
		const account = await getAccount(deps, accountId);
		if (!account || account.creditBalance <= 0) return NOTHING;
		const open = (await listInvoicesOfAccount(deps, accountId))
			.filter((i) => i.amountDue > 0 && !i.hold && (i.status === "open" || i.status === "partially_paid"))
			.sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.number.localeCompare(b.number))
			.slice(0, MAX_INVOICES_PER_PAYMENT);
		let left = account.creditBalance;
		const at = new Date().toISOString();
		const actor = deps.actor ?? "billing-cycle";
		const items: TransactItem[] = [];
		const invoices = new Map<string, number>();
		const applications: { invoiceNumber: string; amount: number }[] = [];
		for (const invoice of open) {
			if (left === 0) break;
			const amount = Math.min(left, invoice.amountDue);
			left -= amount;
			invoices.set(invoice.number, invoice.amountDue - amount);
			applications.push({ invoiceNumber: invoice.number, amount });
			items.push(
				...accountCreditOnInvoice(deps.tableName, invoice, amount, { action: "credit_applied", actor, at, reason: "account credit" }),
			);
		}
		if (items.length === 0) return NOTHING;
		const amount = account.creditBalance - left;
		items.push(
			...balanceChangeAsRead(
				deps.tableName,
				account,
				{ balanceDelta: 0, creditDelta: -amount, recordedAt: at },
				{ action: "credit_applied", actor, at, reason: [...invoices.keys()].join(" ") },
			),
			...creditAppliedEntries(
				deps.tableName,
				{ accountId, currency: account.currency, effectiveDate: at.slice(0, 10), recordedAt: at },
				applications,
			),
		);
		try {
			await transactWrite(deps, items);
			return { invoices, amount };
		} catch (err) {
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}
