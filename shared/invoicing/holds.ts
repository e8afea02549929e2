import { BillingError, ValidationError } from "../core/errors.js";
import { holdOnInvoice } from "../store/invoices.js";
import { getInvoice, type TableDeps } from "../store/records.js";
import { isCancelled, RETRY, transactWrite, withOptimisticRetry } from "../store/transact.js";

/**
 * Puts an invoice on hold (a complaint): dunning passes it by until the hold is released.
 * One transaction with its audit entry; an invoice already on hold keeps its hold.
 */
export async function holdInvoice(
	deps: TableDeps & { readonly actor: string; readonly now?: () => Date },
	number: string,
	reason: string,
): Promise<"held" | "already_held"> {
	const why = reason.trim();
	if (why === "") throw new ValidationError("a hold needs a reason");
	return withOptimisticRetry(`could not put invoice ${number} on hold`, async () => {
		const invoice = await getInvoice(deps, number);
		if (!invoice) throw new BillingError(`no invoice ${number}`, 404);
		if (invoice.hold) return "already_held" as const;
		if (invoice.amountDue <= 0) throw new BillingError(`invoice ${number} is ${invoice.status} with nothing due: nothing to hold`, 409);
		const at = (deps.now?.() ?? new Date()).toISOString();
		try {
			await transactWrite(
				deps,
				holdOnInvoice(deps.tableName, invoice, { reason: why, since: at }, { action: "hold_set", actor: deps.actor, at, reason: why }),
			);
			return "held" as const;
		} catch (err) {
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}

/**
 * Releases a hold set by hand: dunning takes the invoice up again. A hold kept by an open
 * dispute is refused: it is released when the dispute closes.
 */
export async function releaseInvoice(
	deps: TableDeps & { readonly actor: string; readonly now?: () => Date },
	number: string,
	reason?: string,
): Promise<"released"> {
	return withOptimisticRetry(`could not release invoice ${number}`, async () => {
		const invoice = await getInvoice(deps, number);
		if (!invoice) throw new BillingError(`no invoice ${number}`, 404);
		if (!invoice.hold) throw new BillingError(`invoice ${number} is not on hold`, 409);
		const disputes = invoice.hold.disputeIds ?? [];
		if (disputes.length > 0) {
			throw new BillingError(`invoice ${number} is held by dispute ${disputes.join(", ")}: it is released when the dispute closes`, 409);
		}
		const at = (deps.now?.() ?? new Date()).toISOString();
		try {
			await transactWrite(
				deps,
				holdOnInvoice(deps.tableName, invoice, null, {
					action: "hold_released",
					actor: deps.actor,
					at,
					...(reason?.trim() ? { reason: reason.trim() } : {}),
				}),
			);
			return "released" as const;
		} catch (err) {
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}
