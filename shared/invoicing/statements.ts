import pMap from "p-map";
import { agingBucket, emptyAging } from "../core/aging.js";
import { TransientError } from "../core/errors.js";
import type { Account, Invoice, LedgerEntry } from "../core/model.js";
import type { Statement } from "../core/statement.js";
import { renderStatementPdf } from "../documents/statement-pdf.js";
import { storeNewPdf, storePdfUnlessPresent } from "../platform/s3-objects.js";
import { statementCut, statementCutAsRead } from "../store/accounts.js";
import { cycleAccountKeys, RecordsRead } from "../store/batch-reads.js";
import { getAccount, listAccounts, listInvoicesOfAccount } from "../store/records.js";
import { getStatement, putStatement, putStatements, statementChainLink } from "../store/statements.js";
import { conditionFailedAt, isCancelled, transactWrite } from "../store/transact.js";
import type { InvoicingDeps } from "./invoices.js";
import { invoicesToAge } from "./statement-aging.js";

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
	const { previous, entries } = await statementChainLink(deps, accountId, cutoff);
	const activity = { account, previous, entries };
	if (!hasActivity(activity)) return undefined;
	const statement = statementOf(activity, await listInvoicesOfAccount(deps, accountId), { period, statementDate, cutoff });
	await ensureStatementPdf(deps, statement);
	// A concurrent attempt stored it first: the stored one stands, as a retry would return it.
	if (!(await putStatement(deps, statement))) return (await getStatement(deps, accountId, period)) ?? statement;
	return statement;
}

/** Renders and stores the statement's PDF unless it is already in S3 (an attempt that cut the ledger before may have stored it). */
export async function ensureStatementPdf(deps: InvoicingDeps, statement: Statement): Promise<void> {
	await storePdfUnlessPresent(deps.s3, deps.bucketName, statement.pdfKey, () => renderStatementPdf(statement, deps.seller), {
		retention: deps.documentRetention,
	});
}

/** Renders and stores the PDF of a statement no attempt rendered before, so S3 is not asked first. */
export async function storeNewStatementPdf(deps: InvoicingDeps, statement: Statement): Promise<void> {
	await storeNewPdf(deps.s3, deps.bucketName, statement.pdfKey, await renderStatementPdf(statement, deps.seller), {
		retention: deps.documentRetention,
	});
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

/** Accounts whose ledger and invoices are read side by side. */
const READ_CONCURRENCY = 4;
const PDF_CONCURRENCY = 2;

interface Cut {
	readonly account: Account;
	/** The cut-off stored on the account before this cut, if any. */
	readonly cutBefore: string | undefined;
}

interface AccountActivity extends Cut {
	readonly previous: Statement | undefined;
	readonly entries: LedgerEntry[];
}

/**
 * The billing cycle's statements for one batch, issued after the batch's invoices so each
 * statement shows its new invoice: the batch's accounts cut in one transaction, their
 * ledgers and invoices read side by side, the statements stored together. `read` is what
 * the step read of the batch's accounts before its invoices (their statements and cut-offs
 * are not changed by invoicing). An account that fails is recorded; the batch goes on.
 */
export async function issueStatementsForBatch(
	deps: InvoicingDeps,
	accountIds: readonly string[],
	period: string,
	statementDate: string,
	recordFailure: (accountId: string, reason: string) => Promise<void>,
	read?: RecordsRead,
): Promise<number> {
	const ids = [...new Set(accountIds)];
	const records = read ?? (await RecordsRead.of(deps, cycleAccountKeys(ids, period)));
	const failures = new Map<string, string>();
	const fail = (accountId: string, err: unknown) => {
		if (err instanceof TransientError) throw err;
		failures.set(accountId, `statement not issued: ${err instanceof Error ? err.message : String(err)}`);
	};
	const issued = new Set<string>();
	const toCut: Cut[] = [];
	for (const accountId of ids) {
		try {
			if (records.statement(accountId, period)) {
				issued.add(accountId);
				continue;
			}
			const account = records.account(accountId);
			if (!account) throw new Error(`account ${accountId} does not exist`);
			toCut.push({ account, cutBefore: records.statementCutoff(accountId) });
		} catch (err) {
			fail(accountId, err);
		}
	}

	const cutoff = await cutLedgers(deps, toCut);
	const [activity, aging] = await Promise.all([
		readActivity(deps, toCut, cutoff, fail),
		invoicesToAge(
			deps,
			toCut.map((c) => c.account.accountId),
			period,
			fail,
		),
	]);
	const statements: Statement[] = [];
	await pMap(
		activity,
		async (a) => {
			try {
				const invoices = aging.get(a.account.accountId);
				if (!hasActivity(a) || !invoices) return;
				const statement = statementOf(a, invoices, { period, statementDate, cutoff });
				// An attempt that cut the ledger since the last stored statement may have stored this one's PDF before it failed.
				const retried = a.cutBefore !== undefined && a.cutBefore > (a.previous?.cutoff ?? "");
				if (retried) await ensureStatementPdf(deps, statement);
				else await storeNewStatementPdf(deps, statement);
				statements.push(statement);
			} catch (err) {
				fail(a.account.accountId, err);
			}
		},
		{ concurrency: PDF_CONCURRENCY },
	);
	// Stored before by a concurrent attempt: the stored one stands, and counts, as a retry would return it.
	await putStatements(deps, statements);
	for (const statement of statements) issued.add(statement.accountId);

	for (const accountId of accountIds) {
		const reason = failures.get(accountId);
		if (reason) await recordFailure(accountId, reason);
	}
	return accountIds.filter((id) => issued.has(id)).length;
}

/**
 * Cuts the accounts' ledgers at one instant, in one transaction, each on the cut-off as read:
 * another statement cut meanwhile (a concurrent attempt) fails it, for the batch to be retried.
 */
async function cutLedgers(deps: InvoicingDeps, accounts: readonly Cut[]): Promise<string> {
	// The clock the ledger is recorded by, not the cycle's business date: cut-offs and recordedAt compare.
	const cutoff = new Date().toISOString();
	for (let start = 0; start < accounts.length; start += MAX_CUTS_PER_WRITE) {
		const chunk = accounts.slice(start, start + MAX_CUTS_PER_WRITE);
		try {
			await transactWrite(
				deps,
				chunk.map((a) => statementCutAsRead(deps.tableName, a.account.accountId, cutoff, a.cutBefore)),
			);
		} catch (err) {
			if (!isCancelled(err)) throw err;
			const which = chunk.filter((_, i) => conditionFailedAt(err, i)).map((a) => a.account.accountId);
			throw new TransientError(
				`the statement of account ${which.join(", ") || chunk.map((a) => a.account.accountId).join(", ")} was being cut concurrently`,
				{
					cause: err,
				},
			);
		}
	}
	return cutoff;
}

const MAX_CUTS_PER_WRITE = 100;

/** Each cut account's previous statement and its ledger since that one up to the cut. */
async function readActivity(
	deps: InvoicingDeps,
	accounts: readonly Cut[],
	cutoff: string,
	fail: (accountId: string, err: unknown) => void,
): Promise<AccountActivity[]> {
	const read = await pMap(
		accounts,
		async (cut): Promise<AccountActivity | undefined> => {
			const accountId = cut.account.accountId;
			try {
				return { ...cut, ...(await statementChainLink(deps, accountId, cutoff)) };
			} catch (err) {
				fail(accountId, err);
				return undefined;
			}
		},
		{ concurrency: READ_CONCURRENCY },
	);
	return read.filter((a): a is AccountActivity => a !== undefined);
}

/** Whether the account has a statement: activity since the previous one, or an open balance. */
function hasActivity(a: Pick<AccountActivity, "previous" | "entries">): boolean {
	return a.entries.length > 0 || (a.previous?.closingBalance ?? 0) !== 0;
}

/** The account's statement: the previous one's closing balance, the entries since, the aging of what its invoices owe. */
function statementOf(
	a: Pick<AccountActivity, "account" | "previous" | "entries">,
	invoices: readonly Invoice[],
	at: { readonly period: string; readonly statementDate: string; readonly cutoff: string },
): Statement {
	const { account } = a;
	const activity = a.entries.map((e) => ({
		effectiveDate: e.effectiveDate,
		recordedAt: e.recordedAt,
		type: e.type,
		reference: e.reference,
		amount: e.amount,
	}));
	const opening = a.previous?.closingBalance ?? 0;
	const aging = emptyAging();
	for (const invoice of invoices) {
		if (invoice.amountDue > 0 && invoice.status !== "void") aging[agingBucket(invoice.dueDate, at.statementDate)] += invoice.amountDue;
	}
	return {
		accountId: account.accountId,
		period: at.period,
		statementDate: at.statementDate,
		currency: account.currency,
		billTo: { name: account.name, email: account.email, addressLines: account.addressLines },
		openingBalance: opening,
		activity,
		closingBalance: opening + activity.reduce((acc, e) => acc + e.amount, 0),
		aging,
		cutoff: at.cutoff,
		pdfKey: `statements/${at.period}/${account.accountId}.pdf`,
	};
}
