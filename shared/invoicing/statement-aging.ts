import pMap from "p-map";
import type { Invoice } from "../core/model.js";
import { RecordsRead } from "../store/batch-reads.js";
import { keys } from "../store/keys.js";
import { listInvoiceNumbersOfAccount, type TableDeps } from "../store/records.js";

const READ_CONCURRENCY = 4;

/** What an account owes on its invoices: its balance is their amounts due minus its credit (DESIGN.md section 5). */
function owedOnInvoices(read: RecordsRead, accountId: string): number {
	const account = read.account(accountId);
	if (!account) throw new Error(`account ${accountId} does not exist`);
	return account.balance + account.creditBalance;
}

const dueOf = (invoice: Invoice | undefined) => (invoice && invoice.status !== "void" && invoice.amountDue > 0 ? invoice.amountDue : 0);

/**
 * The invoices whose amounts due a statement ages, read after its cut, by account. An account
 * that owes on its invoices exactly what its invoice for the period is due (or nothing) has no
 * other invoice with anything due, so that one is all, and its other invoices are not read;
 * any other account's invoices are all read, from their period guards. An account whose
 * records cannot be read is handed to `fail`.
 */
export async function invoicesToAge(
	deps: TableDeps,
	accountIds: readonly string[],
	period: string,
	fail: (accountId: string, err: unknown) => void,
): Promise<Map<string, Invoice[]>> {
	const owing = await RecordsRead.of(
		deps,
		accountIds.flatMap((id) => [keys.account(id), keys.invoiceForPeriod(id, period)]),
	);
	const periodInvoice = (read: RecordsRead, id: string) => {
		const number = read.invoiceNumberForPeriod(id, period);
		return number ? read.invoice(number) : undefined;
	};
	const read = await owing.extend(
		deps,
		accountIds.flatMap((id) => {
			try {
				const number = owing.invoiceNumberForPeriod(id, period);
				return number ? [keys.invoice(number)] : [];
			} catch {
				return [];
			}
		}),
	);
	const aged = new Map<string, Invoice[]>();
	const others: string[] = [];
	for (const id of accountIds) {
		try {
			const invoice = periodInvoice(read, id);
			if (owedOnInvoices(read, id) === dueOf(invoice)) aged.set(id, invoice ? [invoice] : []);
			else others.push(id);
		} catch (err) {
			fail(id, err);
		}
	}
	if (others.length === 0) return aged;
	const numbers = await pMap(
		others,
		(id) =>
			listInvoiceNumbersOfAccount(deps, id).catch((err: unknown) => {
				fail(id, err);
				return undefined;
			}),
		{ concurrency: READ_CONCURRENCY },
	);
	const all = await read.extend(
		deps,
		numbers.flatMap((n) => (n ?? []).map(keys.invoice)),
	);
	for (const [i, id] of others.entries()) {
		const ofAccount = numbers[i];
		if (!ofAccount) continue;
		try {
			aged.set(
				id,
				ofAccount.map((n) => all.invoice(n)).filter((invoice): invoice is Invoice => invoice !== undefined),
			);
		} catch (err) {
			fail(id, err);
		}
	}
	return aged;
}
