import { BillingError, ValidationError } from "../core/errors.js";
import { formatMoney } from "../core/money.js";
import { balanceChangeAsRead } from "../store/accounts.js";
import { ledgerEntryPut } from "../store/ledger.js";
import { getAccount, type TableDeps } from "../store/records.js";
import { isCancelled, RETRY, transactWrite, withOptimisticRetry } from "../store/transact.js";

export interface CreditRefund {
	readonly accountId: string;
	readonly amount: number;
	readonly currency: string;
	readonly creditLeft: number;
}

/**
 * Pays part or all of an account's credit back to the customer (the money leaves outside
 * the system, by bank transfer or a processor's refund): a refund entry on the account's
 * credit, the credit and balance changed on the account as read, and its audit entry.
 */
export async function refundAccountCredit(
	deps: TableDeps & { readonly actor: string; readonly now?: () => Date },
	accountId: string,
	amount: number,
	reason: string,
): Promise<CreditRefund> {
	const why = reason.trim();
	if (why === "") throw new ValidationError("a credit refund needs a reason");
	if (!Number.isSafeInteger(amount) || amount <= 0)
		throw new ValidationError(`amount must be a positive whole number of minor units, got ${amount}`);
	return withOptimisticRetry(`the credit of account ${accountId} could not be refunded`, async () => {
		const account = await getAccount(deps, accountId);
		if (!account) throw new BillingError(`no account ${accountId}`, 404);
		if (amount > account.creditBalance) {
			const money = (value: number) => formatMoney({ amount: value, currency: account.currency });
			throw new BillingError(`account ${accountId} has ${money(account.creditBalance)} of credit, not ${money(amount)}`, 409);
		}
		const recordedAt = new Date().toISOString();
		const at = (deps.now?.() ?? new Date()).toISOString();
		try {
			await transactWrite(deps, [
				...balanceChangeAsRead(
					deps.tableName,
					account,
					{ balanceDelta: amount, creditDelta: -amount, recordedAt },
					{ action: "credit_refunded", actor: deps.actor, at, reason: why },
				),
				ledgerEntryPut(deps.tableName, {
					accountId,
					type: "refund",
					amount,
					currency: account.currency,
					reference: `account credit refunded: ${why}`,
					effectiveDate: at.slice(0, 10),
					recordedAt,
				}),
			]);
			return { accountId, amount, currency: account.currency, creditLeft: account.creditBalance - amount };
		} catch (err) {
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}
