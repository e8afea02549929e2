import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SESClient } from "@aws-sdk/client-ses";
import MailComposer from "nodemailer/lib/mail-composer";
import type { CaseInvoice, CollectionsCase } from "../core/collections-case.js";
import { toCsvText } from "../core/csv.js";
import { ValidationError } from "../core/errors.js";
import type { Account, Invoice } from "../core/model.js";
import { formatMoney } from "../core/money.js";
import { daysBetween } from "../core/period.js";
import type { DunningStageConfig, SellerConfig } from "../platform/config.js";
import { sendRawEmail } from "../platform/mail.js";
import { accountStatusChange } from "../store/accounts.js";
import { dunningRecords, listCasesOfMonth, openCaseOf, putCollectionsCase } from "../store/collections.js";
import { getAccount, listAccounts, listInvoicesOfAccount, type TableDeps } from "../store/records.js";
import { isCancelled, RETRY, transactWrite, withOptimisticRetry } from "../store/transact.js";

export interface CollectionsDeps extends TableDeps {
	readonly s3: S3Client;
	readonly ses: SESClient;
	readonly bucketName: string;
	readonly seller: SellerConfig;
	readonly stages: readonly DunningStageConfig[];
	readonly collectionsEmail: string;
	/** Who or what the audit trail names for status changes; the billing cycle when absent. */
	readonly actor?: string;
}

function collectionsDays(stages: readonly DunningStageConfig[]): number {
	const stage = stages.find((s) => s.stage === "collections");
	if (!stage) throw new ValidationError('the dunning stages have no "collections" stage');
	return stage.daysOverdue;
}

/** What settling the collections status of some accounts did; the month's files and the notice come after (publishCollections). */
export interface CollectionsSettlement {
	readonly accountsInCollections: readonly string[];
	readonly accountsPastDue: number;
	readonly accountsBackToActive: readonly string[];
	readonly casesOpened: readonly string[];
	readonly casesClosed: readonly string[];
	/** The months (YYYY-MM, the month a case was opened in) whose cases changed. */
	readonly caseMonths: readonly string[];
}

/** A whole run (reconcileCollections): the settlement, with the files of the months whose cases changed in place of the months. */
export type CollectionsResult = Omit<CollectionsSettlement, "caseMonths"> & {
	/** The agency's files (collections/<month opened>/cases.csv) this run rewrote. */
	readonly casesCsvKeys: readonly string[];
	readonly noticeSentTo?: string;
};

/**
 * Derives each account's status from its overdue invoices as of `asOf` (held ones do not
 * count): in_collections once one is at the collections stage, past_due while any is
 * overdue, active again when none is. Opens a case for an account entering collections,
 * refreshes the open ones, closes those with nothing overdue any more. `overdue` must hold
 * every overdue invoice of `accounts`.
 */
export async function settleCollectionsOf(
	deps: CollectionsDeps,
	asOf: string,
	overdue: readonly Invoice[],
	accounts: readonly Account[],
): Promise<CollectionsSettlement> {
	const threshold = collectionsDays(deps.stages);
	const overdueByAccount = new Map<string, Invoice[]>();
	for (const invoice of overdue) {
		if (invoice.hold || invoice.dueDate >= asOf) continue;
		overdueByAccount.set(invoice.accountId, [...(overdueByAccount.get(invoice.accountId) ?? []), invoice]);
	}
	const inCollections: string[] = [];
	const backToActive: string[] = [];
	const opened: string[] = [];
	const closed: string[] = [];
	const touchedMonths = new Set<string>();
	let pastDue = 0;
	for (const account of accounts) {
		const invoices = overdueByAccount.get(account.accountId) ?? [];
		const collect = invoices.some((i) => daysBetween(i.dueDate, asOf) >= threshold);
		const status = collect ? "in_collections" : invoices.length > 0 ? "past_due" : "active";
		if (account.status !== "closed" && account.status !== status) {
			await setAccountStatus(deps, account.accountId, status, `as of ${asOf}: ${invoices.length} overdue invoice(s)`);
			if (status === "active") backToActive.push(account.accountId);
		}
		if (status === "past_due") pastDue += 1;
		const open = await openCaseOf(deps, account.accountId);
		if (collect) {
			inCollections.push(account.accountId);
			const snapshot = await caseSnapshot(deps, account, asOf, open);
			const written = await putCollectionsCase(deps, snapshot, open === undefined);
			touchedMonths.add(snapshot.openedOn.slice(0, 7));
			if (!open && written) opened.push(snapshot.caseId);
		} else if (open) {
			await putCollectionsCase(
				deps,
				{ ...open, status: "closed", updatedOn: asOf, closedOn: asOf, closedReason: "nothing overdue any more" },
				false,
			);
			closed.push(open.caseId);
			touchedMonths.add(open.openedOn.slice(0, 7));
		}
	}
	return {
		accountsInCollections: inCollections.sort(),
		accountsPastDue: pastDue,
		accountsBackToActive: backToActive.sort(),
		casesOpened: opened.sort(),
		casesClosed: closed.sort(),
		caseMonths: [...touchedMonths].sort(),
	};
}

/**
 * After the accounts are settled: rewrites the files of the months whose cases changed (a
 * case is filed under the month it was opened in) and tells the collections team about
 * the cases opened.
 */
export async function publishCollections(
	deps: CollectionsDeps,
	asOf: string,
	settled: Pick<CollectionsSettlement, "casesOpened" | "caseMonths">,
): Promise<Pick<CollectionsResult, "casesCsvKeys" | "noticeSentTo">> {
	const casesCsvKeys: string[] = [];
	const openedIds = new Set(settled.casesOpened);
	const opened: CollectionsCase[] = [];
	for (const month of [...settled.caseMonths].sort()) {
		const cases = await listCasesOfMonth(deps, month);
		casesCsvKeys.push(await exportCases(deps, month, cases));
		opened.push(...cases.filter((c) => openedIds.has(c.caseId)));
	}
	opened.sort((a, b) => a.accountId.localeCompare(b.accountId));
	const noticeSentTo = opened.length > 0 ? await sendCollectionsNotice(deps, asOf, opened) : undefined;
	return { casesCsvKeys, ...(noticeSentTo ? { noticeSentTo } : {}) };
}

/** Every account's collections status and case as of `asOf` (the desk's and the CLI's whole run), then the month's files and notice. */
export async function reconcileCollections(deps: CollectionsDeps, asOf: string, overdue: readonly Invoice[]): Promise<CollectionsResult> {
	const { caseMonths, ...settled } = await settleCollectionsOf(deps, asOf, overdue, await listAccounts(deps));
	return { ...settled, ...(await publishCollections(deps, asOf, { casesOpened: settled.casesOpened, caseMonths })) };
}

/**
 * Changes the account's status with its audit entry, in one transaction, conditional on
 * the status just read (the accounts listing is an index, whose reads may lag).
 */
async function setAccountStatus(deps: CollectionsDeps, accountId: string, status: Account["status"], reason: string): Promise<void> {
	await withOptimisticRetry(
		`account ${accountId}'s status could not be set to ${status}`,
		async () => {
			const account = await getAccount(deps, accountId);
			if (!account || account.status === status || account.status === "closed") return;
			try {
				await transactWrite(
					deps,
					accountStatusChange(deps.tableName, account, status, {
						actor: deps.actor ?? "billing-cycle",
						at: new Date().toISOString(),
						reason,
					}),
				);
			} catch (err) {
				if (!isCancelled(err)) throw err;
				return RETRY;
			}
		},
		5,
	);
}

async function caseSnapshot(deps: TableDeps, account: Account, asOf: string, open: CollectionsCase | undefined): Promise<CollectionsCase> {
	const openInvoices = (await listInvoicesOfAccount(deps, account.accountId))
		.filter((i) => i.amountDue > 0 && (i.status === "open" || i.status === "partially_paid"))
		.sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.number.localeCompare(b.number));
	const invoices: CaseInvoice[] = [];
	for (const invoice of openInvoices) {
		const history = (await dunningRecords(deps, invoice.number)).sort(
			(a, b) => a.asOf.localeCompare(b.asOf) || a.daysOverdue - b.daysOverdue,
		);
		invoices.push({
			number: invoice.number,
			total: invoice.total,
			amountDue: invoice.amountDue,
			dueDate: invoice.dueDate,
			daysOverdue: Math.max(0, daysBetween(invoice.dueDate, asOf)),
			dunning: history.map((h) => ({ stage: h.stage, status: h.status, asOf: h.asOf })),
		});
	}
	const openedOn = open?.openedOn ?? asOf;
	return {
		caseId: open?.caseId ?? `CASE-${account.accountId}-${openedOn}`,
		accountId: account.accountId,
		status: "open",
		openedOn,
		updatedOn: asOf,
		contact: { name: account.name, email: account.email, addressLines: account.addressLines },
		currency: account.currency,
		amountDue: invoices.reduce((a, i) => a + i.amountDue, 0),
		invoices,
	};
}

export const CASES_CSV_HEADER = [
	"case_id",
	"status",
	"opened_on",
	"account_id",
	"name",
	"email",
	"address",
	"currency",
	"amount_due_minor",
	"amount_due",
	"invoices",
	"max_days_overdue",
	"dunning_history",
] as const;

/** One row per case; invoices and the dunning history are `;`-separated within their cells. */
export function casesCsv(cases: readonly CollectionsCase[]): string {
	const rows = [...cases]
		.sort((a, b) => a.accountId.localeCompare(b.accountId))
		.map((c) => [
			c.caseId,
			c.status,
			c.openedOn,
			c.accountId,
			c.contact.name,
			c.contact.email,
			c.contact.addressLines.join(" / "),
			c.currency,
			c.amountDue,
			formatMoney({ amount: c.amountDue, currency: c.currency }),
			c.invoices.map((i) => `${i.number} ${i.amountDue} due ${i.dueDate} ${i.daysOverdue}d`).join("; "),
			Math.max(0, ...c.invoices.map((i) => i.daysOverdue)),
			c.invoices.flatMap((i) => i.dunning.map((d) => `${i.number} ${d.stage} ${d.status} ${d.asOf}`)).join("; "),
		]);
	return toCsvText([[...CASES_CSV_HEADER], ...rows]);
}

async function exportCases(deps: CollectionsDeps, month: string, cases: readonly CollectionsCase[]): Promise<string> {
	const key = `collections/${month}/cases.csv`;
	await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucketName, Key: key, Body: casesCsv(cases), ContentType: "text/csv" }));
	return key;
}

async function sendCollectionsNotice(deps: CollectionsDeps, asOf: string, opened: readonly CollectionsCase[]): Promise<string> {
	const lines = opened.map(
		(c) =>
			`- ${c.caseId}: ${c.contact.name} <${c.contact.email}>, ${formatMoney({ amount: c.amountDue, currency: c.currency })} due on ${c.invoices.length} invoice(s), up to ${Math.max(0, ...c.invoices.map((i) => i.daysOverdue))} days overdue`,
	);
	const text = [
		`${opened.length} account(s) reached the collections stage as of ${asOf}:`,
		"",
		...lines,
		"",
		`The new cases are attached; every case of the month is in s3://${deps.bucketName}/collections/${asOf.slice(0, 7)}/cases.csv.`,
		"",
		`${deps.seller.name} billing`,
	].join("\n");
	const raw = await new MailComposer({
		from: { name: deps.seller.name, address: deps.seller.email },
		to: deps.collectionsEmail,
		subject: `Collections: ${opened.length} new case(s) as of ${asOf}`,
		text,
		disableFileAccess: true,
		disableUrlAccess: true,
		attachments: [{ filename: `collections-cases-${asOf}.csv`, content: casesCsv(opened), contentType: "text/csv" }],
	})
		.compile()
		.build();
	await sendRawEmail(deps.ses, deps.seller, { to: deps.collectionsEmail, raw }, { kind: "collections" });
	return deps.collectionsEmail;
}
