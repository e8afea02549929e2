import type { S3Client } from "@aws-sdk/client-s3";
import pMap from "p-map";
import * as z from "zod";
import { type CollectionsDeps, publishCollections } from "../collections/cases.js";
import { addAmounts } from "../core/money.js";
import type { BillingPeriod } from "../core/period.js";
import { applyAccountCredit } from "../payments/account-credit.js";
import {
	type AccountRecords,
	accountSnapshot,
	type InvariantReport,
	type InvariantViolation,
	invariantReport,
	recordedCheck,
	violationsOf,
} from "../reporting/invariants.js";
import { putLedgerCheck } from "../store/ledger-checks.js";
import { getAccounts, type TableDeps } from "../store/records.js";
import { recordRunFailure } from "../store/run-failures.js";
import { accountsOfFailedChild, foldMapResults, type MapResultsLocation } from "./map-results.js";
import { type MonthTally, tallyMonth } from "./month-tally.js";

/** A batch's Verify Ledgers: the credit set against open invoices, the ledgers verified, and the batch's tally of the month. */
export interface LedgersVerified extends InvariantReport {
	readonly creditApplied: { readonly accounts: number; readonly amount: Record<string, number> };
	readonly tally: MonthTally;
}

/**
 * One batch of the Review Accounts map: each account's credit (overpayments, credit memos)
 * is set against its open invoices, oldest due first, so the ladder that follows never
 * chases what credit covers; then each account is read as of one moment, its ledger
 * invariants verified, and the same records tallied for the month's books and reports.
 */
export async function verifyLedgersOf(
	deps: TableDeps & { readonly s3: S3Client; readonly bucketName: string },
	billing: BillingPeriod,
	accountIds: readonly string[],
): Promise<LedgersVerified> {
	const creditApplied = { accounts: 0, amount: {} as Record<string, number> };
	// The batch read may lag a write; applyAccountCredit reads the account again before it takes anything.
	for (const account of (await getAccounts(deps, accountIds)).values()) {
		if (account.creditBalance <= 0) continue;
		const applied = await applyAccountCredit(deps, account.accountId);
		if (applied.amount === 0) continue;
		creditApplied.accounts += 1;
		creditApplied.amount[account.currency] = (creditApplied.amount[account.currency] ?? 0) + applied.amount;
	}
	const records = (await pMap(accountIds, (accountId) => accountSnapshot(deps, accountId), { concurrency: 8 })).filter(
		(r): r is AccountRecords => r !== undefined,
	);
	return {
		...invariantReport(accountIds.length, 0, records.flatMap(violationsOf)),
		creditApplied,
		tally: await tallyMonth(deps, billing, records),
	};
}

const MAX_LISTED = 50;

const countsSchema = z.record(z.string(), z.number().int());
const reviewedBatchSchema = z.object({
	ledgers: z.object({
		accountsChecked: z.number().int(),
		violationCount: z.number().int(),
		violations: z.array(z.object({ rule: z.string(), subject: z.string(), detail: z.string() })),
		creditApplied: z.object({ accounts: z.number().int(), amount: countsSchema }),
	}),
	collections: z.object({
		overdueInvoices: z.number().int(),
		noticesSent: countsSchema,
		held: z.number().int(),
		deferredByCap: z.number().int(),
		failed: z.number().int(),
		collections: z.object({
			accountsInCollections: z.array(z.string()),
			accountsPastDue: z.number().int(),
			accountsBackToActive: z.array(z.string()),
			casesOpened: z.array(z.string()),
			casesClosed: z.array(z.string()),
			caseMonths: z.array(z.string()),
		}),
	}),
});

/** A list in a state's output: its size, and at most MAX_LISTED of it (sorted), the rest in the table. */
interface Listed {
	readonly count: number;
	readonly first: readonly string[];
}

export interface AccountReview {
	readonly accountsReviewed: number;
	/** Accounts of batches that failed: recorded as run failures (stage "review"), reviewed again by a re-drive. */
	readonly accountsNotReviewed: number;
	readonly creditApplied: { readonly accounts: number; readonly amount: Record<string, number> };
	readonly invariants: {
		readonly accountsChecked: number;
		readonly invariantsHold: boolean;
		readonly violationCount: number;
		readonly violations: readonly InvariantViolation[];
	};
	readonly collections: {
		readonly asOf: string;
		readonly overdueInvoices: number;
		readonly noticesSent: Record<string, number>;
		readonly held: number;
		readonly deferredByCap: number;
		readonly failed: number;
		readonly accountsInCollections: Listed;
		readonly accountsPastDue: number;
		readonly accountsBackToActive: Listed;
		readonly casesOpened: Listed;
		readonly casesClosed: Listed;
		readonly casesCsvKeys: readonly string[];
		readonly noticeSentTo?: string;
	};
}

function listed(values: readonly string[]): Listed {
	return { count: values.length, first: [...values].sort().slice(0, MAX_LISTED) };
}

/**
 * Summarize Account Review: adds up the Review Accounts map's batches from its results in
 * S3, records the accounts of failed batches as run failures, then writes the month's
 * collections files and tells the collections team of the cases opened.
 */
export async function summarizeAccountReview(
	deps: CollectionsDeps,
	billing: BillingPeriod,
	results: MapResultsLocation,
): Promise<AccountReview> {
	let accountsReviewed = 0;
	const notReviewed: { accountId: string; reason: string }[] = [];
	const creditApplied = { accounts: 0, amount: {} as Record<string, number> };
	const violations: InvariantViolation[] = [];
	let violationCount = 0;
	const escalation = { overdueInvoices: 0, noticesSent: {} as Record<string, number>, held: 0, deferredByCap: 0, failed: 0 };
	const inCollections: string[] = [];
	const backToActive: string[] = [];
	const opened: string[] = [];
	const closed: string[] = [];
	const caseMonths = new Set<string>();
	let accountsPastDue = 0;
	await foldMapResults(
		deps.s3,
		results,
		reviewedBatchSchema,
		({ ledgers, collections }) => {
			accountsReviewed += ledgers.accountsChecked;
			creditApplied.accounts += ledgers.creditApplied.accounts;
			addAmounts(creditApplied.amount, ledgers.creditApplied.amount);
			violationCount += ledgers.violationCount;
			violations.push(...ledgers.violations.slice(0, MAX_LISTED - violations.length));
			escalation.overdueInvoices += collections.overdueInvoices;
			addAmounts(escalation.noticesSent, collections.noticesSent);
			escalation.held += collections.held;
			escalation.deferredByCap += collections.deferredByCap;
			escalation.failed += collections.failed;
			const settled = collections.collections;
			inCollections.push(...settled.accountsInCollections);
			backToActive.push(...settled.accountsBackToActive);
			opened.push(...settled.casesOpened);
			closed.push(...settled.casesClosed);
			for (const month of settled.caseMonths) caseMonths.add(month);
			accountsPastDue += settled.accountsPastDue;
		},
		(child) => {
			const reason = `account review failed: ${child.error}${child.cause ? `: ${child.cause}` : ""}`;
			for (const accountId of accountsOfFailedChild(child)) notReviewed.push({ accountId, reason });
		},
	);
	for (const { accountId, reason } of notReviewed) {
		await recordRunFailure(deps, { period: billing.period, accountId, stage: "review", reason });
	}
	const ledgers: InvariantReport = {
		accountsChecked: accountsReviewed,
		paymentsChecked: 0,
		invariantsHold: violationCount === 0,
		violationCount,
		violations,
	};
	// What the worklist lists until the next check.
	await putLedgerCheck(deps, recordedCheck("accounts", ledgers, new Date()));
	const published = await publishCollections(deps, billing.asOf, { casesOpened: opened, caseMonths: [...caseMonths] });
	return {
		accountsReviewed,
		accountsNotReviewed: notReviewed.length,
		creditApplied,
		invariants: { accountsChecked: accountsReviewed, invariantsHold: ledgers.invariantsHold, violationCount, violations },
		collections: {
			asOf: billing.asOf,
			...escalation,
			accountsInCollections: listed(inCollections),
			accountsPastDue,
			accountsBackToActive: listed(backToActive),
			casesOpened: listed(opened),
			casesClosed: listed(closed),
			...published,
		},
	};
}
