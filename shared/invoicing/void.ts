import { BillingError, ValidationError } from "../core/errors.js";
import type { Invoice } from "../core/model.js";
import { balanceChangeAsRead } from "../store/accounts.js";
import { voidOnInvoice } from "../store/invoices.js";
import { ledgerEntryPut } from "../store/ledger.js";
import { getAccount, getInvoice, type TableDeps } from "../store/records.js";
import { isCancelled, RETRY, type TransactItem, transactWrite, withOptimisticRetry } from "../store/transact.js";

export interface VoidDeps extends TableDeps {
	readonly now?: () => Date;
	readonly actor?: string;
}

export type VoidOutcome = { readonly outcome: "voided" | "already_void"; readonly invoice: Invoice };

/**
 * Voids an invoice nothing was paid or credited on. Its number stays used (the record
 * stays, status void, with the reason); the ledger takes what was still due off it
 * and account credit it consumed goes back to the account's credit (two invoice_voided entries). Invoice, account, ledger and audit entries change in one transaction.
 */
export async function voidInvoice(deps: VoidDeps, number: string, reason: string): Promise<VoidOutcome> {
	const why = reason.trim();
	if (why === "") throw new ValidationError("voiding an invoice needs a reason");
	return withOptimisticRetry(`could not void invoice ${number}`, async () => {
		const invoice = await getInvoice(deps, number);
		if (!invoice) throw new BillingError(`no invoice ${number}`, 404);
		if (invoice.status === "void") return { outcome: "already_void", invoice } as const;
		if (invoice.amountPaid > 0 || (invoice.creditMemoTotal ?? 0) > 0) {
			throw new ValidationError(
				`invoice ${number} has payments or credit memos against it: issue a credit memo for what remains instead of voiding it`,
			);
		}
		const account = await getAccount(deps, invoice.accountId);
		if (!account) throw new Error(`account ${invoice.accountId} of invoice ${number} does not exist`);
		const creditReturned = invoice.creditApplied ?? 0;
		const reversal = invoice.amountDue + creditReturned;
		const at = (deps.now?.() ?? new Date()).toISOString();
		const recordedAt = new Date().toISOString();
		const actor = deps.actor ?? "billing-cycle";
		try {
			await transactWrite(deps, [
				...voidOnInvoice(deps.tableName, invoice, why, { action: "voided", actor, at, reason: why }),
				...balanceChangeAsRead(
					deps.tableName,
					account,
					{ balanceDelta: -reversal, creditDelta: creditReturned, recordedAt },
					{ action: "invoice_voided", actor, at, reason: number },
				),
				...voidEntries(deps.tableName, invoice, { effectiveDate: at.slice(0, 10), recordedAt }),
			]);
			return { outcome: "voided", invoice: { ...invoice, status: "void", amountDue: 0, voidReason: why } } as const;
		} catch (err) {
			if (!isCancelled(err)) throw err;
			// A payment or another change landed in between: read again and decide again.
			return RETRY;
		}
	});
}

function voidEntries(
	tableName: string,
	invoice: Invoice,
	dates: { readonly effectiveDate: string; readonly recordedAt: string },
): TransactItem[] {
	const base = { accountId: invoice.accountId, currency: invoice.currency, ...dates };
	const creditReturned = invoice.creditApplied ?? 0;
	return [
		...(invoice.amountDue > 0
			? [
					ledgerEntryPut(tableName, {
						...base,
						type: "invoice_voided",
						amount: -invoice.amountDue,
						reference: invoice.number,
						invoiceNumber: invoice.number,
					}),
				]
			: []),
		...(creditReturned > 0
			? [
					ledgerEntryPut(tableName, {
						...base,
						type: "invoice_voided",
						amount: -creditReturned,
						reference: `${invoice.number}: credit returned`,
					}),
				]
			: []),
	];
}
