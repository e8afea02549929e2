import { agingBucket, emptyAging } from "../core/aging.js";
import { TransientError } from "../core/errors.js";
import type { Statement } from "../core/statement.js";
import { renderStatementPdf } from "../documents/statement-pdf.js";
import { storePdfUnlessPresent } from "../platform/s3-objects.js";
import { statementCut } from "../store/accounts.js";
import { getAccount, listAccounts, listInvoicesOfAccount, listLedgerEntries } from "../store/records.js";
import { getStatement, latestStatement, putStatement } from "../store/statements.js";
import { isCancelled, transactWrite } from "../store/transact.js";
import type { InvoicingDeps } from "./invoices.js";

/**
 * The account's statement for the period: statements chain, so the opening balance is the
 * previous statement's closing one and the activity is every ledger entry recorded since its
 * cut-off (a back-dated entry lands on the next statement, on its effective date); the
 * closing balance is opening plus activity, which is the account's balance at the cut.
 * Written once per account and period (a retry returns the stored statement); undefined
 * for an account with neither activity nor an open balance.
 */
export async function issueStatement(
	deps: InvoicingDeps,
	accountId: string,
	period: string,
	statementDate: string,
): Promise<Statement | undefined> {
	const existing = await getStatement(deps, accountId, period);
	if (existing) return existing;
	const account = await getAccount(deps, accountId);
	if (!account) throw new Error(`account ${accountId} does not exist`);
	// The clock the ledger is recorded by, not the cycle's business date: cut-offs and recordedAt compare.
	const cutoff = new Date().toISOString();
	try {
		await transactWrite(deps, [statementCut(deps.tableName, accountId, cutoff)]);
	} catch (err) {
		// Another attempt cut it at the same moment or later (a clock a little ahead): try again.
		if (isCancelled(err)) throw new TransientError(`the statement of account ${accountId} was being cut concurrently`, { cause: err });
		throw err;
	}
	const previous = await latestStatement(deps, accountId);
	const activity = (await listLedgerEntries(deps, accountId, { ...(previous ? { after: previous.cutoff } : {}), upTo: cutoff })).map(
		(e) => ({ effectiveDate: e.effectiveDate, recordedAt: e.recordedAt, type: e.type, reference: e.reference, amount: e.amount }),
	);
	const opening = previous?.closingBalance ?? 0;
	const closing = opening + activity.reduce((acc, e) => acc + e.amount, 0);
	if (activity.length === 0 && closing === 0) return undefined;

	const aging = emptyAging();
	for (const invoice of await listInvoicesOfAccount(deps, accountId)) {
		if (invoice.amountDue > 0 && invoice.status !== "void") aging[agingBucket(invoice.dueDate, statementDate)] += invoice.amountDue;
	}
	const statement: Statement = {
		accountId,
		period,
		statementDate,
		currency: account.currency,
		billTo: { name: account.name, email: account.email, addressLines: account.addressLines },
		openingBalance: opening,
		activity,
		closingBalance: closing,
		aging,
		cutoff,
		pdfKey: `statements/${period}/${accountId}.pdf`,
	};
	await ensureStatementPdf(deps, statement);
	// A concurrent attempt stored it first: the stored one stands, as a retry would return it.
	if (!(await putStatement(deps, statement))) return (await getStatement(deps, accountId, period)) ?? statement;
	return statement;
}

async function ensureStatementPdf(deps: InvoicingDeps, statement: Statement): Promise<void> {
	await storePdfUnlessPresent(deps.s3, deps.bucketName, statement.pdfKey, () => renderStatementPdf(statement, deps.seller));
}

/** Statements for every account with activity or an open balance. */
export async function issueStatements(deps: InvoicingDeps, period: string, statementDate: string): Promise<Statement[]> {
	const statements: Statement[] = [];
	for (const account of await listAccounts(deps)) {
		const statement = await issueStatement(deps, account.accountId, period, statementDate);
		if (statement) statements.push(statement);
	}
	return statements;
}

/**
 * The billing cycle's statements for one batch, issued after the batch's invoices so each
 * statement shows its new invoice. An account that fails is recorded; the batch goes on.
 */
export async function issueStatementsForBatch(
	deps: InvoicingDeps,
	accountIds: readonly string[],
	period: string,
	statementDate: string,
	recordFailure: (accountId: string, reason: string) => Promise<void>,
): Promise<number> {
	let issued = 0;
	for (const accountId of accountIds) {
		try {
			if (await issueStatement(deps, accountId, period, statementDate)) issued += 1;
		} catch (err) {
			if (err instanceof TransientError) throw err;
			await recordFailure(accountId, `statement not issued: ${err instanceof Error ? err.message : String(err)}`);
		}
	}
	return issued;
}
