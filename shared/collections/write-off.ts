import { BillingError, ValidationError } from "../core/errors.js";
import { balanceChange } from "../store/accounts.js";
import { writeOffOnInvoice } from "../store/invoices.js";
import { ledgerEntryPut } from "../store/ledger.js";
import { getInvoice, type TableDeps } from "../store/records.js";
import { isCancelled, transactWrite } from "../store/transact.js";

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
	deps: TableDeps & { readonly actor?: string },
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
	const at = now.toISOString();
	const amount = invoice.amountDue;
	try {
		await transactWrite(deps, [
			...writeOffOnInvoice(
				deps.tableName,
				invoice,
				{ reason, at },
				{
					action: "written_off",
					actor: deps.actor ?? "billing-cycle",
					// When the change was made; the write-off itself is booked on `at`.
					at: new Date().toISOString(),
					reason: `${reason} (booked ${at.slice(0, 10)})`,
				},
			),
			ledgerEntryPut(deps.tableName, {
				accountId: invoice.accountId,
				type: "write_off",
				amount: -amount,
				currency: invoice.currency,
				reference: `${number}: ${reason}`,
				at,
			}),
			balanceChange(deps.tableName, { accountId: invoice.accountId, balanceDelta: -amount }),
		]);
	} catch (err) {
		// A payment applied in between changes what is due: the write-off must be redone on fresh figures.
		if (isCancelled(err)) throw new BillingError(`invoice ${number} changed while writing it off; try again`, 409, { cause: err });
		throw err;
	}
	return { invoiceNumber: number, accountId: invoice.accountId, amount, currency: invoice.currency, reason };
}
