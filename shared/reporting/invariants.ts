import { amountDueOf } from "../store/invoices.js";
import { listAccounts, listInvoicesOfAccount, listLedgerEntries, listPayments, type TableDeps } from "../store/records.js";

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

/**
 * DESIGN.md section 5: an account's balance equals the sum of its ledger entries and the
 * amounts still due on its invoices; every payment's amount equals applied plus credited plus
 * unapplied, and nothing is reversed (refunded, charged back) beyond what was received.
 */
export async function verifyLedgerInvariants(deps: TableDeps): Promise<InvariantReport> {
	const violations: InvariantViolation[] = [];
	const accounts = await listAccounts(deps);
	for (const account of accounts) {
		const entries = await listLedgerEntries(deps, account.accountId);
		const ledgerSum = entries.reduce((acc, e) => acc + Number(e.amount), 0);
		if (ledgerSum !== account.balance) {
			violations.push({
				rule: "balance equals ledger",
				subject: account.accountId,
				detail: `balance ${account.balance}, ledger sum ${ledgerSum}`,
			});
		}
		const invoices = await listInvoicesOfAccount(deps, account.accountId);
		const due = invoices.reduce((acc, i) => acc + i.amountDue, 0);
		if (due - account.creditBalance !== account.balance) {
			violations.push({
				rule: "balance equals amounts due minus credit",
				subject: account.accountId,
				detail: `balance ${account.balance}, invoices due ${due}, credit ${account.creditBalance}`,
			});
		}
		for (const invoice of invoices) {
			const creditApplied = invoice.creditApplied ?? 0;
			const credited = invoice.credited ?? 0;
			const writtenOff = invoice.amountWrittenOff ?? 0;
			if (amountDueOf(invoice) !== invoice.amountDue) {
				violations.push({
					rule: "due equals total minus paid, credit applied, credit memos and write-offs (zero when void)",
					subject: invoice.number,
					detail: `${invoice.total} - ${invoice.amountPaid} - ${creditApplied} - ${credited} - ${writtenOff} != ${invoice.amountDue}`,
				});
			}
		}
	}
	const payments = await listPayments(deps);
	for (const payment of payments) {
		const applications = payment.applications.reduce((acc, a) => acc + a.amount, 0);
		if (
			payment.appliedAmount + payment.creditedAmount + payment.unappliedAmount !== payment.amount ||
			applications !== payment.appliedAmount
		) {
			violations.push({
				rule: "received equals applied plus credited plus unapplied",
				subject: `${payment.provider}:${payment.paymentId}`,
				detail: `amount ${payment.amount}, applied ${payment.appliedAmount} (applications ${applications}), credited ${payment.creditedAmount}, unapplied ${payment.unappliedAmount}`,
			});
		}
		if (payment.refundedAmount + payment.chargebackAmount > payment.amount) {
			violations.push({
				rule: "reversed at most what was received",
				subject: `${payment.provider}:${payment.paymentId}`,
				detail: `amount ${payment.amount}, refunded ${payment.refundedAmount}, charged back ${payment.chargebackAmount}`,
			});
		}
	}
	return {
		accountsChecked: accounts.length,
		paymentsChecked: payments.length,
		invariantsHold: violations.length === 0,
		violationCount: violations.length,
		violations: violations.slice(0, 50),
	};
}
