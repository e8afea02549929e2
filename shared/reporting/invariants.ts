import pMap from "p-map";
import type { Account, Invoice, LedgerEntry, Payment } from "../core/model.js";
import { amountDueOf } from "../store/invoices.js";
import type { LedgerCheck, LedgerCheckScope } from "../store/ledger-checks.js";
import { getAccount, listAccounts, listInvoicesOfAccount, listLedgerEntries, listPayments, type TableDeps } from "../store/records.js";
import { jitteredPause } from "../store/transact.js";

export interface InvariantViolation {
	readonly rule: string;
	readonly subject: string;
	readonly detail: string;
}

export interface InvariantReport {
	readonly accountsChecked: number;
	readonly paymentsChecked: number;
	readonly invariantsHold: boolean;
	readonly violationCount: number;
	/** At most 50, so the state's output stays small. */
	readonly violations: readonly InvariantViolation[];
}

const SNAPSHOT_ATTEMPTS = 5;

/** An account with its ledger and its invoices, read as of one moment. */
export interface AccountRecords {
	readonly account: Account;
	readonly entries: readonly LedgerEntry[];
	readonly invoices: readonly Invoice[];
}

/**
 * The account, its ledger and its invoices as of one moment: every change to an invoice's
 * amounts or to the ledger changes the account's balance or credit in the same
 * transaction, so when the account reads the same before and after the ledger and the
 * invoices, nothing committed in between. The listing's copy of the account may lag (an
 * index), so the account itself is read, consistently.
 */
export async function accountSnapshot(deps: TableDeps, accountId: string): Promise<AccountRecords | undefined> {
	for (let attempt = 1; attempt <= SNAPSHOT_ATTEMPTS; attempt++) {
		const account = await getAccount(deps, accountId);
		if (!account) return undefined;
		const entries = await listLedgerEntries(deps, accountId);
		const invoices = await listInvoicesOfAccount(deps, accountId);
		const after = await getAccount(deps, accountId);
		const unchanged = after?.balance === account.balance && after.creditBalance === account.creditBalance;
		if (unchanged || attempt === SNAPSHOT_ATTEMPTS) return { account, entries, invoices };
		await jitteredPause(attempt);
	}
	return undefined;
}

/**
 * DESIGN.md section 5 for one account: its balance equals the sum of its ledger entries and
 * the amounts still due on its invoices minus its credit; each invoice's amount due is the
 * sum of that invoice's entries, the credit minus the sum of the entries on no invoice.
 */
export async function accountViolations(deps: TableDeps, accountId: string): Promise<InvariantViolation[]> {
	const snapshot = await accountSnapshot(deps, accountId);
	return snapshot ? violationsOf(snapshot) : [];
}

/** `accountViolations` of records already read. */
export function violationsOf({ account, entries, invoices }: AccountRecords): InvariantViolation[] {
	const violations: InvariantViolation[] = [];
	const ledgerSum = entries.reduce((acc, e) => acc + e.amount, 0);
	if (ledgerSum !== account.balance) {
		violations.push({
			rule: "balance equals ledger",
			subject: account.accountId,
			detail: `balance ${account.balance}, ledger sum ${ledgerSum}`,
		});
	}
	const due = invoices.reduce((acc, i) => acc + i.amountDue, 0);
	if (due - account.creditBalance !== account.balance) {
		violations.push({
			rule: "balance equals amounts due minus credit",
			subject: account.accountId,
			detail: `balance ${account.balance}, invoices due ${due}, credit ${account.creditBalance}`,
		});
	}
	const onInvoices = new Map<string, number>();
	let onCredit = 0;
	for (const e of entries) {
		if (e.invoiceNumber) onInvoices.set(e.invoiceNumber, (onInvoices.get(e.invoiceNumber) ?? 0) + e.amount);
		else onCredit -= e.amount;
	}
	if (onCredit !== account.creditBalance) {
		violations.push({
			rule: "credit equals minus the ledger entries on no invoice",
			subject: account.accountId,
			detail: `credit ${account.creditBalance}, entries on no invoice ${-onCredit}`,
		});
	}
	for (const invoice of invoices) {
		const fromLedger = onInvoices.get(invoice.number) ?? 0;
		if (fromLedger !== invoice.amountDue) {
			violations.push({
				rule: "due equals the sum of the invoice's ledger entries",
				subject: invoice.number,
				detail: `due ${invoice.amountDue}, ledger ${fromLedger}`,
			});
		}
		if (amountDueOf(invoice) !== invoice.amountDue) {
			violations.push({
				rule: "due equals total minus paid, credit applied, credit memos and write-offs (zero when void)",
				subject: invoice.number,
				detail: `${invoice.total} - ${invoice.amountPaid} - ${invoice.creditApplied ?? 0} - ${invoice.credited ?? 0} - ${invoice.amountWrittenOff ?? 0} != ${invoice.amountDue}`,
			});
		}
	}
	return violations;
}

/** A payment's amount is applied plus credited plus unapplied plus unapplied cash returned; nothing is reversed beyond it. */
export function paymentViolations(payment: Payment): InvariantViolation[] {
	const violations: InvariantViolation[] = [];
	const subject = `${payment.provider}:${payment.paymentId}`;
	const applications = payment.applications.reduce((acc, a) => acc + a.amount, 0);
	if (
		payment.appliedAmount + payment.creditedAmount + payment.unappliedAmount + payment.returnedUnapplied !== payment.amount ||
		applications !== payment.appliedAmount
	) {
		violations.push({
			rule: "received equals applied plus credited plus unapplied plus unapplied cash returned",
			subject,
			detail: `amount ${payment.amount}, applied ${payment.appliedAmount} (applications ${applications}), credited ${payment.creditedAmount}, unapplied ${payment.unappliedAmount}, returned unapplied ${payment.returnedUnapplied}`,
		});
	}
	if (payment.refundedAmount + payment.chargebackAmount > payment.amount) {
		violations.push({
			rule: "reversed at most what was received",
			subject,
			detail: `amount ${payment.amount}, refunded ${payment.refundedAmount}, charged back ${payment.chargebackAmount}`,
		});
	}
	return violations;
}

/** The report of some accounts' and some payments' violations, at most 50 listed. */
export function invariantReport(
	accountsChecked: number,
	paymentsChecked: number,
	violations: readonly InvariantViolation[],
): InvariantReport {
	return {
		accountsChecked,
		paymentsChecked,
		invariantsHold: violations.length === 0,
		violationCount: violations.length,
		violations: violations.slice(0, 50),
	};
}

/** Several accounts read side by side; the violations come in the accounts' order. */
async function violationsOfAccounts(deps: TableDeps, accountIds: readonly string[]): Promise<InvariantViolation[]> {
	return (await pMap(accountIds, (accountId) => accountViolations(deps, accountId), { concurrency: 8 })).flat();
}

/** These payments' invariants (`paymentViolations`). */
export function verifyPaymentInvariants(payments: readonly Payment[]): InvariantReport {
	return invariantReport(0, payments.length, payments.flatMap(paymentViolations));
}

/** Every account's invariants. */
export async function verifyAccountInvariants(deps: TableDeps): Promise<InvariantReport> {
	const accounts = (await listAccounts(deps)).map((a) => a.accountId);
	return invariantReport(accounts.length, 0, await violationsOfAccounts(deps, accounts));
}

/** Two checks as one: what each checked, every violation counted, the first 50 listed. */
export function combinedReport(a: InvariantReport, b: InvariantReport): InvariantReport {
	const violationCount = a.violationCount + b.violationCount;
	return {
		accountsChecked: a.accountsChecked + b.accountsChecked,
		paymentsChecked: a.paymentsChecked + b.paymentsChecked,
		invariantsHold: violationCount === 0,
		violationCount,
		violations: [...a.violations, ...b.violations].slice(0, 50),
	};
}

/** A check as the worklist keeps it (shared/store/ledger-checks.ts). */
export function recordedCheck(scope: LedgerCheckScope, report: InvariantReport, checkedAt: Date): LedgerCheck {
	return {
		scope,
		checkedAt: checkedAt.toISOString(),
		checked: scope === "accounts" ? report.accountsChecked : report.paymentsChecked,
		violationCount: report.violationCount,
		violations: report.violations.map(({ rule, subject, detail }) => ({ rule, subject, detail })),
	};
}

/** Every account's and every payment's invariants; `payments` when they were listed already. */
export async function verifyLedgerInvariants(deps: TableDeps, payments?: readonly Payment[]): Promise<InvariantReport> {
	const listed = payments ?? (await listPayments(deps));
	return combinedReport(await verifyAccountInvariants(deps), verifyPaymentInvariants(listed));
}
