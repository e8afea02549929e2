import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { toCsvText } from "../core/csv.js";
import type { Payment } from "../core/model.js";
import { applyAccountCredit } from "../payments/account-credit.js";
import { applyParkedAdjustments } from "../payments/adjustments.js";
import { type ReapplyResult, reapplyUnappliedPayments } from "../payments/reapply.js";
import { GSI2, keys } from "../store/keys.js";
import { putLedgerCheck } from "../store/ledger-checks.js";
import { listAccounts, listPayments, queryAll, type TableDeps } from "../store/records.js";
import { combinedReport, type InvariantReport, recordedCheck, verifyAccountInvariants, verifyPaymentInvariants } from "./invariants.js";

export interface ReconciliationDeps extends TableDeps {
	readonly s3: S3Client;
	readonly bucketName: string;
}

/** One provider and currency, amounts in minor units. */
export interface ReconciliationRow {
	readonly provider: string;
	readonly currency: string;
	readonly payments: number;
	readonly received: number;
	readonly applied: number;
	readonly credited: number;
	readonly unapplied: number;
	readonly refunded: number;
	/** Under a dispute still open. */
	readonly disputed: number;
	readonly chargedBack: number;
}

export interface Mismatch {
	readonly kind: "unapplied_payment" | "parked_event" | "invariant_violation";
	readonly provider: string;
	readonly currency: string;
	readonly subject: string;
	readonly amount: number;
	readonly detail: string;
}

export interface ReconciliationReport {
	readonly period: string;
	readonly generatedAt: string;
	readonly rows: readonly ReconciliationRow[];
	readonly mismatches: readonly Mismatch[];
	readonly invariantsHold: boolean;
}

export interface ReconciliationOutcome {
	readonly reapplied: ReapplyResult;
	readonly parkedApplied: number;
	/** Accounts whose credit was set against their open invoices, and how much per currency. */
	readonly creditApplied: { readonly accounts: number; readonly amount: Record<string, number> };
	readonly invariants: InvariantReport;
	readonly reportKey: string;
	readonly csvKey: string;
	readonly mismatches: number;
}

/** The payments (every one recorded so far), by provider and currency, with everything that does not add up. */
export async function buildReconciliationReport(
	deps: TableDeps,
	period: string,
	invariants: InvariantReport,
	payments: readonly Payment[],
): Promise<ReconciliationReport> {
	const rows = new Map<string, ReconciliationRow>();
	const mismatches: Mismatch[] = [];
	for (const p of payments) {
		const key = `${p.provider}#${p.currency}`;
		const row = rows.get(key) ?? {
			provider: p.provider,
			currency: p.currency,
			payments: 0,
			received: 0,
			applied: 0,
			credited: 0,
			unapplied: 0,
			refunded: 0,
			disputed: 0,
			chargedBack: 0,
		};
		rows.set(key, {
			...row,
			payments: row.payments + 1,
			received: row.received + p.amount,
			applied: row.applied + p.appliedAmount,
			credited: row.credited + p.creditedAmount,
			unapplied: row.unapplied + p.unappliedAmount,
			refunded: row.refunded + p.refundedAmount,
			disputed: row.disputed + (p.dispute?.status === "open" ? p.dispute.amount : 0),
			chargedBack: row.chargedBack + p.chargebackAmount,
		});
		if (p.unappliedAmount > 0) {
			mismatches.push({
				kind: "unapplied_payment",
				provider: p.provider,
				currency: p.currency,
				subject: p.paymentId,
				amount: p.unappliedAmount,
				detail: p.unappliedReason ?? "unapplied",
			});
		}
	}
	const parked = await queryAll(deps, {
		IndexName: GSI2,
		KeyConditionExpression: "gsi2pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.parkedListing("", "", "", "").gsi2pk },
	});
	for (const item of parked) {
		const adjustment = item.adjustment as { provider: string; paymentId: string; currency: string; eventId: string; kind: string };
		mismatches.push({
			kind: "parked_event",
			provider: adjustment.provider,
			currency: adjustment.currency,
			subject: adjustment.eventId,
			amount: 0,
			detail:
				typeof item.reason === "string"
					? `${adjustment.kind} of payment ${adjustment.paymentId} not booked: ${item.reason}`
					: `${adjustment.kind} waits for payment ${adjustment.paymentId}`,
		});
	}
	for (const v of invariants.violations) {
		mismatches.push({
			kind: "invariant_violation",
			provider: "",
			currency: "",
			subject: v.subject,
			amount: 0,
			detail: `${v.rule}: ${v.detail}`,
		});
	}
	return {
		period,
		generatedAt: new Date().toISOString(),
		rows: [...rows.values()].sort((a, b) => a.provider.localeCompare(b.provider) || a.currency.localeCompare(b.currency)),
		mismatches,
		invariantsHold: invariants.invariantsHold,
	};
}

/** Two tables in one file: the figures per provider and currency, then every mismatch. */
export function reconciliationCsv(report: ReconciliationReport): string {
	const columns = [
		"provider",
		"currency",
		"payments",
		"received",
		"applied",
		"credited",
		"unapplied",
		"refunded",
		"disputed",
		"chargedBack",
	] as const;
	const summary = toCsvText([columns, ...report.rows.map((r) => columns.map((c) => r[c]))]);
	const detail = toCsvText([
		["mismatch", "provider", "currency", "subject", "amount", "detail"],
		...report.mismatches.map((m) => [m.kind, m.provider, m.currency, m.subject, m.amount, m.detail]),
	]);
	return `${summary}\n${detail}`;
}

/**
 * Reconciles everything at once (the CLI's `billing reconcile` and the desk): applies
 * unapplied payments that now match and parked events whose payment arrived, sets every
 * account's credit against its open invoices, verifies every ledger invariant, and writes
 * the report to S3.
 */
export async function reconcilePayments(deps: ReconciliationDeps, period: string): Promise<ReconciliationOutcome> {
	const reapplied = await reapplyUnappliedPayments(deps);
	const parked = await applyParkedAdjustments(deps);
	const creditApplied = await applyCreditOfEveryAccount(deps);
	// Listed once, after everything above has changed them: the invariants and the report read the same payments.
	const payments = await listPayments(deps);
	const ofAccounts = await verifyAccountInvariants(deps);
	const ofPayments = verifyPaymentInvariants(payments);
	const checkedAt = new Date();
	await putLedgerCheck(deps, recordedCheck("accounts", ofAccounts, checkedAt));
	await putLedgerCheck(deps, recordedCheck("payments", ofPayments, checkedAt));
	const invariants = combinedReport(ofAccounts, ofPayments);
	return writeReconciliation(deps, period, { reapplied, parkedApplied: parked.applied, creditApplied }, invariants, payments);
}

/**
 * The billing cycle's Reconcile Payments step: the payments' side only (unapplied payments
 * that now match, parked events, each payment's invariants) and the report; each
 * account's credit and ledger are reviewed per batch in the Review Accounts map after it.
 */
export async function reconcileReceivedPayments(deps: ReconciliationDeps, period: string): Promise<ReconciliationOutcome> {
	const reapplied = await reapplyUnappliedPayments(deps);
	const parked = await applyParkedAdjustments(deps);
	const creditApplied = { accounts: 0, amount: {} };
	const payments = await listPayments(deps);
	const ofPayments = verifyPaymentInvariants(payments);
	await putLedgerCheck(deps, recordedCheck("payments", ofPayments, new Date()));
	return writeReconciliation(deps, period, { reapplied, parkedApplied: parked.applied, creditApplied }, ofPayments, payments);
}

async function writeReconciliation(
	deps: ReconciliationDeps,
	period: string,
	applied: Pick<ReconciliationOutcome, "reapplied" | "parkedApplied" | "creditApplied">,
	invariants: InvariantReport,
	payments: readonly Payment[],
): Promise<ReconciliationOutcome> {
	const report = await buildReconciliationReport(deps, period, invariants, payments);
	const reportKey = `reports/${period}/payment-reconciliation.json`;
	const csvKey = `reports/${period}/payment-reconciliation.csv`;
	await deps.s3.send(
		new PutObjectCommand({
			Bucket: deps.bucketName,
			Key: reportKey,
			Body: JSON.stringify(report, null, 2),
			ContentType: "application/json",
		}),
	);
	await deps.s3.send(
		new PutObjectCommand({ Bucket: deps.bucketName, Key: csvKey, Body: reconciliationCsv(report), ContentType: "text/csv" }),
	);
	return { ...applied, invariants, reportKey, csvKey, mismatches: report.mismatches.length };
}

/** Credit left on accounts (overpayments, credit memos) set against their open invoices, oldest first. */
async function applyCreditOfEveryAccount(deps: TableDeps): Promise<ReconciliationOutcome["creditApplied"]> {
	let accounts = 0;
	const amount: Record<string, number> = {};
	// The listing may lag; applyAccountCredit reads each account again before it takes anything.
	for (const account of (await listAccounts(deps)).filter((a) => a.creditBalance > 0)) {
		const applied = await applyAccountCredit(deps, account.accountId);
		if (applied.amount === 0) continue;
		accounts += 1;
		amount[account.currency] = (amount[account.currency] ?? 0) + applied.amount;
	}
	return { accounts, amount };
}
