import type { Invoice } from "../core/model.js";
import { balanceChangeAsRead } from "../store/accounts.js";
import { accountCreditOnInvoice } from "../store/invoices.js";
import { creditAppliedEntries } from "../store/ledger.js";
import { getAccount, listInvoicesOfAccount, type TableDeps } from "../store/records.js";
import {
	isCancelled,
	MAX_TRANSACTION_ITEMS,
	RETRY,
	type TransactItem,
	transactionSize,
	transactWrite,
	withOptimisticRetry,
} from "../store/transact.js";

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
			.sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.number.localeCompare(b.number));
		const at = new Date().toISOString();
		const actor = deps.actor ?? "billing-cycle";
		/** The credit set against `invoices`, oldest first, until it runs out: what is applied and the transaction that does it. */
		const creditOn = (invoices: readonly Invoice[]) => {
			let left = account.creditBalance;
			const applications: { invoiceNumber: string; amount: number; dueAfter: number }[] = [];
			const items: TransactItem[] = [];
			for (const invoice of invoices) {
				if (left === 0) break;
				const amount = Math.min(left, invoice.amountDue);
				left -= amount;
				applications.push({ invoiceNumber: invoice.number, amount, dueAfter: invoice.amountDue - amount });
				items.push(
					...accountCreditOnInvoice(deps.tableName, invoice, amount, { action: "credit_applied", actor, at, reason: "account credit" }),
				);
			}
			const amount = account.creditBalance - left;
			if (items.length > 0) {
				items.push(
					...balanceChangeAsRead(
						deps.tableName,
						account,
						{ balanceDelta: 0, creditDelta: -amount, recordedAt: at },
						{ action: "credit_applied", actor, at, reason: applications.map((a) => a.invoiceNumber).join(" ") },
					),
					...creditAppliedEntries(
						deps.tableName,
						{ accountId, currency: account.currency, effectiveDate: at.slice(0, 10), recordedAt: at },
						applications,
					),
				);
			}
			return { applications, amount, items };
		};
		// The invoices the credit reaches, as many as one transaction holds, counted on the items it would really write; the rest wait for the next run.
		let reached = 0;
		for (let due = 0; reached < open.length && due < account.creditBalance; reached += 1) due += open[reached]?.amountDue ?? 0;
		let taken = 0;
		while (taken < reached && transactionSize(creditOn(open.slice(0, taken + 1)).items) <= MAX_TRANSACTION_ITEMS) taken += 1;
		const { applications, amount, items } = creditOn(open.slice(0, taken));
		if (items.length === 0) return NOTHING;
		const invoices = new Map(applications.map((a) => [a.invoiceNumber, a.dueAfter]));
		try {
			await transactWrite(deps, items);
			return { invoices, amount };
		} catch (err) {
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}
