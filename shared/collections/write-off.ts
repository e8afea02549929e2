import { BillingError, ValidationError } from "../core/errors.js";
import { balanceChange } from "../store/accounts.js";
import { writeOffOnInvoice, writeOffReinstatedOnInvoice } from "../store/invoices.js";
import { ledgerEntryPut } from "../store/ledger.js";
import { getInvoice, type TableDeps } from "../store/records.js";
import { isCancelled, RETRY, transactWrite, type WriteDeps, withOptimisticRetry } from "../store/transact.js";

export interface WriteOffResult {
	readonly invoiceNumber: string;
	readonly accountId: string;
	readonly amount: number;
	readonly currency: string;
	readonly reason: string;
}

/**
 * Marks an invoice uncollectible: its amount due becomes a write_off ledger entry and leaves
 * the account's balance, all in one transaction; it leaves the open-invoice queue with it.
 */
export async function writeOffInvoice(
	deps: WriteDeps & { readonly actor?: string },
	number: string,
	reason: string,
	now = new Date(),
): Promise<WriteOffResult> {
	if (!reason.trim()) throw new ValidationError("a write-off needs a reason");
	const invoice = await getInvoice(deps, number);
	if (!invoice) throw new BillingError(`no invoice ${number}`, 404);
	if ((invoice.status !== "open" && invoice.status !== "partially_paid") || invoice.amountDue <= 0) {
		throw new BillingError(`invoice ${number} is ${invoice.status} with ${invoice.amountDue} due: nothing to write off`, 409);
	}
	const amount = invoice.amountDue;
	const effectiveDate = now.toISOString().slice(0, 10);
	await withOptimisticRetry(`could not write off invoice ${number}`, async (attempt) => {
		// A payment applied in between changes what is due: the specialist decides again on the new figures.
		const current = attempt === 1 ? invoice : await getInvoice(deps, number);
		if (current?.amountDue !== amount || current.status !== invoice.status) {
			throw new BillingError(`invoice ${number} changed while writing it off; try again`, 409);
		}
		const recordedAt = new Date().toISOString();
		try {
			await transactWrite(deps, [
				...writeOffOnInvoice(
					deps.tableName,
					current,
					{ reason, at: now.toISOString() },
					// When the change was made; the write-off itself is booked on its effective date (or the first open day after it).
					{ action: "written_off", actor: deps.actor ?? "billing-cycle", at: recordedAt, reason, bookedOn: effectiveDate },
				),
				ledgerEntryPut(deps.tableName, {
					accountId: current.accountId,
					type: "write_off",
					amount: -amount,
					currency: current.currency,
					reference: `${number}: ${reason}`,
					invoiceNumber: number,
					effectiveDate,
					recordedAt,
				}),
				balanceChange(deps.tableName, { accountId: current.accountId, balanceDelta: -amount, recordedAt }),
			]);
			return true;
		} catch (err) {
			// The invoice changed, or a statement was cut in between: look again.
			if (isCancelled(err)) return RETRY;
			throw err;
		}
	});
	return { invoiceNumber: number, accountId: invoice.accountId, amount, currency: invoice.currency, reason };
}

/**
 * Reverses an invoice's write-off by hand (it was written off in error, or the customer
 * agreed to pay after all): what was written off is due again, with a write_off_reversed
 * ledger entry and the balance back up, in one transaction.
 */
export async function reverseWriteOff(
	deps: TableDeps & { readonly actor: string; readonly now?: () => Date },
	number: string,
	reason: string,
): Promise<WriteOffResult> {
	if (!reason.trim()) throw new ValidationError("reversing a write-off needs a reason");
	return withOptimisticRetry(`could not reverse the write-off of invoice ${number}`, async () => {
		const invoice = await getInvoice(deps, number);
		if (!invoice) throw new BillingError(`no invoice ${number}`, 404);
		const amount = invoice.amountWrittenOff ?? 0;
		if (amount <= 0 || invoice.status === "void")
			throw new BillingError(`invoice ${number} is ${invoice.status} with nothing written off: nothing to reverse`, 409);
		const at = (deps.now?.() ?? new Date()).toISOString();
		const recordedAt = new Date().toISOString();
		try {
			await transactWrite(deps, [
				...writeOffReinstatedOnInvoice(
					deps.tableName,
					invoice,
					{ amount },
					{ action: "write_off_reversed", actor: deps.actor, at: recordedAt, reason },
				),
				ledgerEntryPut(deps.tableName, {
					accountId: invoice.accountId,
					type: "write_off_reversed",
					amount,
					currency: invoice.currency,
					reference: `${number}: ${reason}`,
					invoiceNumber: number,
					effectiveDate: at.slice(0, 10),
					recordedAt,
				}),
				balanceChange(deps.tableName, { accountId: invoice.accountId, balanceDelta: amount, recordedAt }),
			]);
			return { invoiceNumber: number, accountId: invoice.accountId, amount, currency: invoice.currency, reason };
		} catch (err) {
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}
