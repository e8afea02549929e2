import { einvoiceDetailsProblem } from "../core/einvoice-account.js";
import { BillingError, ValidationError } from "../core/errors.js";
import type { Account } from "../core/model.js";
import { isCurrentAddressUndeliverable, isDeliverableEmailAddress, undeliverableWhat } from "../documents/email-address.js";
import { type AccountDetails, type AccountDetailsChanges, accountClosed, accountDetailsChange } from "../store/accounts.js";
import { getAccount, type TableDeps } from "../store/records.js";
import { isCancelled, RETRY, transactWrite, withOptimisticRetry } from "../store/transact.js";

/** The billing desk's changes to an account: its contact details and e-invoice fields, and closing it. */

export interface DeskDeps extends TableDeps {
	readonly actor: string;
	readonly now?: () => Date;
}

async function accountToChange(deps: TableDeps, accountId: string): Promise<Account> {
	const account = await getAccount(deps, accountId);
	if (!account) throw new BillingError(`no account ${accountId}`, 404);
	return account;
}

/**
 * Corrects where and how the account's documents go, and the e-invoice fields (null clears
 * one). The result must still be deliverable: email delivery needs a valid address, postal
 * delivery an address, a peppol account its Peppol id, an xrechnung account its buyer
 * reference. Fields given with the value already stored change nothing; nothing to change
 * at all is refused.
 *
 * An address SES reported undeliverable (a bounce or complaint, `account.undeliverable`)
 * is cleared by a new address, or by `confirmEmail` (the customer confirmed the address
 * works); giving the marked address again without `confirmEmail` is refused.
 */
export async function updateAccountDetails(
	deps: DeskDeps,
	accountId: string,
	requested: AccountDetailsChanges,
	reason?: string,
	options: { readonly confirmEmail?: boolean } = {},
): Promise<{ readonly outcome: "updated" | "unchanged"; readonly account: Account }> {
	const confirmEmail = options.confirmEmail === true;
	if (Object.values(requested).every((value) => value === undefined) && !confirmEmail) {
		throw new ValidationError(
			"nothing to change: give --email, --address, --delivery, --email-confirmed, --einvoice, --vat-id, --peppol-id, --buyer-reference, --city, --postal-code or --country",
		);
	}
	if (requested.email !== undefined && !isDeliverableEmailAddress(requested.email)) {
		throw new ValidationError(`email: ${JSON.stringify(requested.email)} is not a deliverable address`);
	}
	if (requested.addressLines?.some((line) => line.trim() === "")) throw new ValidationError("address: a line is empty");
	return withOptimisticRetry(`account ${accountId} could not be updated`, async () => {
		const account = await accountToChange(deps, accountId);
		// A field cleared (null) that the account does not have is no change either.
		const changes = Object.fromEntries(
			(Object.entries(requested) as [keyof AccountDetails, unknown][]).filter(
				([field, value]) => value !== undefined && JSON.stringify(value ?? undefined) !== JSON.stringify(account[field]),
			),
		) as AccountDetailsChanges;
		const mark = account.undeliverable;
		// The marked address given (again, or back): it bounced or was complained from, so only a confirmation clears it.
		const markedAddressGiven = requested.email !== undefined && requested.email.trim().toLowerCase() === mark?.address.trim().toLowerCase();
		if (mark && markedAddressGiven && !confirmEmail) {
			throw new ValidationError(
				`email: ${undeliverableWhat(mark)}; give a different address, or --email-confirmed if the customer confirmed this one works`,
			);
		}
		const changed = Object.fromEntries(
			Object.entries({ ...account, ...changes }).filter(([, value]) => value !== null && value !== undefined),
		) as Account;
		// A new address (a correction) clears the mark, and so does a confirmation of the marked one.
		const clearUndeliverable =
			mark !== undefined &&
			((changes.email !== undefined && !markedAddressGiven) || (confirmEmail && isCurrentAddressUndeliverable(changed)));
		const { undeliverable: _cleared, ...unmarked } = changed;
		const next: Account = clearUndeliverable ? unmarked : changed;
		if (next.delivery === "email" && !isDeliverableEmailAddress(next.email)) {
			throw new ValidationError("email: email delivery needs a deliverable address; give --email");
		}
		if (next.delivery === "postal" && next.addressLines.length === 0) {
			throw new ValidationError("address: postal delivery needs an address; give --address");
		}
		const einvoice = einvoiceDetailsProblem(next);
		if (einvoice) throw new ValidationError(`${einvoice.field}: ${einvoice.reason}`);
		if (Object.keys(changes).length === 0 && !clearUndeliverable) return { outcome: "unchanged" as const, account };
		const at = (deps.now?.() ?? new Date()).toISOString();
		try {
			await transactWrite(
				deps,
				accountDetailsChange(
					deps.tableName,
					account,
					changes,
					{ actor: deps.actor, at, ...(reason ? { reason } : {}) },
					{ clearUndeliverable },
				),
			);
			return { outcome: "updated" as const, account: next };
		} catch (err) {
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}

/**
 * Closes the account on a day: no new invoice from the next run on; it keeps getting
 * statements while it owes or holds credit (the manifest keeps it for them).
 */
export async function closeAccount(deps: DeskDeps, accountId: string, closedOn: string, reason?: string): Promise<Account> {
	return withOptimisticRetry(`account ${accountId} could not be closed`, async () => {
		const account = await accountToChange(deps, accountId);
		if (account.status === "closed")
			throw new BillingError(`account ${accountId} is already closed (on ${account.closedOn ?? "an earlier day"})`, 409);
		const at = (deps.now?.() ?? new Date()).toISOString();
		try {
			await transactWrite(deps, accountClosed(deps.tableName, account, closedOn, { actor: deps.actor, at, ...(reason ? { reason } : {}) }));
			return { ...account, status: "closed" as const, closedOn };
		} catch (err) {
			if (!isCancelled(err)) throw err;
			return RETRY;
		}
	});
}
