import type { Invoice } from "../core/model.js";
import { addDays, daysBetween } from "../core/period.js";
import { isDeliverableEmailAddress, undeliverableMark, undeliverableReason } from "../documents/email-address.js";
import { composeDunningEmail } from "../documents/invoice-email.js";

import { applyAccountCredit } from "../payments/account-credit.js";
import { sendRawEmail } from "../platform/mail.js";
import { readObjectBytes } from "../platform/s3-objects.js";
import { claimDunningStage, countNoticesSent, dunningRecords, finishDunningStage, supersedeDunningStage } from "../store/collections.js";
import { keys } from "../store/keys.js";
import { getAccount, getAccounts, getInvoice, listInvoicesOfAccount, listOpenInvoicesDueBy } from "../store/records.js";
import {
	type CollectionsDeps,
	type CollectionsResult,
	type CollectionsSettlement,
	reconcileCollections,
	settleCollectionsOf,
} from "./cases.js";

/** What the ladder needs: what collections needs, since the ladder ends by reconciling collections. */
export type DunningDeps = CollectionsDeps;

/** At most this many dunning emails reach one account in any rolling window of this many days. */
export const DUNNING_CAP = { emails: 2, days: 7 } as const;

export interface EscalationResult {
	readonly asOf: string;
	readonly overdueInvoices: number;
	/** Stage name → notices sent on this run. */
	readonly noticesSent: Record<string, number>;
	/** Overdue invoices on hold (a dispute, a payment awaiting its match): not dunned. */
	readonly held: number;
	/** Notices due but held back by the rolling-week cap; a later run sends them. */
	readonly deferredByCap: number;
	readonly accountsSentToCollections: readonly string[];
	readonly failed: number;
	readonly collections: CollectionsResult;
}

/** The ladder's part of an escalation: what it found and sent. */
interface LadderOutcome {
	readonly overdue: readonly Invoice[];
	readonly noticesSent: Record<string, number>;
	readonly held: number;
	readonly deferredByCap: number;
	readonly failed: number;
}

/**
 * The ladder, run as of a date (time travel: tests and the demo walk it day by day).
 * - One notice per invoice per stage, ever: the stage record is claimed with a
 *   conditional write before the email goes out.
 * - A run that reaches an invoice late (several unsent stages at once) sends only the
 *   highest and records the skipped ones as superseded: a customer 20 days late gets a
 *   final notice, not three letters at once.
 * - At most DUNNING_CAP.emails per account in any rolling DUNNING_CAP.days; a notice held
 *   back is not recorded, so a later run sends it (or its successor, if it was overtaken).
 * - Invoices on hold are skipped; paid ones have left the open-invoice queue.
 * Invoices are taken oldest due date first, so the cap favours the most overdue.
 */
export async function escalateOverdueAccounts(deps: DunningDeps, asOf: string): Promise<EscalationResult> {
	const ladder = await climbLadder(deps, await listOpenInvoicesDueBy(deps, addDays(asOf, -1)), asOf);
	const collections = await reconcileCollections(deps, asOf, ladder.overdue);
	return { asOf, ...ladderCounts(ladder), accountsSentToCollections: collections.accountsInCollections, collections };
}

export interface BatchEscalation extends Omit<EscalationResult, "collections" | "accountsSentToCollections"> {
	readonly collections: CollectionsSettlement;
}

/**
 * The ladder and the collections status for some accounts (a batch of the billing cycle's
 * Review Accounts map): their open invoices due before `asOf`, read per account. The
 * month's case files and the notice to the collections team follow once every batch is
 * done (publishCollections).
 */
export async function escalateAccounts(deps: DunningDeps, accountIds: readonly string[], asOf: string): Promise<BatchEscalation> {
	const accounts = [...(await getAccounts(deps, accountIds)).values()];
	const open = (await Promise.all(accounts.map((a) => listInvoicesOfAccount(deps, a.accountId))))
		.flat()
		.filter((i) => i.amountDue > 0 && (i.status === "open" || i.status === "partially_paid") && i.dueDate < asOf)
		.sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.number.localeCompare(b.number));
	const ladder = await climbLadder(deps, open, asOf);
	return { asOf, ...ladderCounts(ladder), collections: await settleCollectionsOf(deps, asOf, ladder.overdue, accounts) };
}

function ladderCounts(ladder: LadderOutcome) {
	const { overdue, ...counts } = ladder;
	return { overdueInvoices: overdue.length, ...counts };
}

async function climbLadder(deps: DunningDeps, listed: readonly Invoice[], asOf: string): Promise<LadderOutcome> {
	const stages = [...deps.stages].sort((a, b) => a.daysOverdue - b.daysOverdue);
	// Credit the customer has is set against their open invoices first: the ladder never chases what credit covers.
	const stillDue = new Map<string, number>();
	for (const accountId of new Set(listed.filter((i) => !i.hold).map((i) => i.accountId))) {
		for (const [number, due] of (await applyAccountCredit(deps, accountId)).invoices) stillDue.set(number, due);
	}
	const overdue: Invoice[] = [];
	for (const invoice of listed) {
		const due = stillDue.get(invoice.number);
		if (due === undefined) overdue.push(invoice);
		else if (due > 0) overdue.push((await getInvoice(deps, invoice.number)) ?? invoice);
	}
	const noticesSent: Record<string, number> = {};
	let failed = 0;
	let held = 0;
	let deferredByCap = 0;
	for (const invoice of overdue) {
		if (invoice.hold) {
			held += 1;
			continue;
		}
		const daysOverdue = daysBetween(invoice.dueDate, asOf);
		const history = await dunningRecords(deps, invoice.number);
		const pending = stages.filter((s) => daysOverdue >= s.daysOverdue && !history.some((h) => h.stage === s.stage));
		const stage = pending.at(-1);
		if (!stage) continue;
		if ((await countNoticesSent(deps, invoice.accountId, addDays(asOf, 1 - DUNNING_CAP.days), asOf)) >= DUNNING_CAP.emails) {
			deferredByCap += 1;
			continue;
		}
		if (!(await claimDunningStage(deps, invoice, stage.stage, daysOverdue, asOf, history.length === 0))) continue;
		for (const lower of pending.slice(0, -1)) await supersedeDunningStage(deps, invoice, lower.stage, daysOverdue, asOf);
		if (await sendNotice(deps, invoice, stage.stage, daysOverdue)) noticesSent[stage.stage] = (noticesSent[stage.stage] ?? 0) + 1;
		else failed += 1;
	}
	return { overdue, noticesSent, held, deferredByCap, failed };
}

/**
 * A notice goes to the account's address as it is now (corrected since the invoice, perhaps),
 * unless SES reported it bouncing or complained from: then nothing until a person corrects it.
 */
async function sendNotice(deps: DunningDeps, invoice: Invoice, stage: string, daysOverdue: number): Promise<boolean> {
	const account = await getAccount(deps, invoice.accountId);
	const to = account?.email ?? invoice.billTo.email;
	const mark = undeliverableMark(account, to);
	if (mark || !isDeliverableEmailAddress(to)) {
		await finishDunningStage(deps, invoice.number, stage, {
			status: "failed",
			reason: mark ? undeliverableReason(invoice.accountId, mark) : `invalid email address ${JSON.stringify(to)}`,
		});
		return false;
	}
	try {
		const pdf = await readObjectBytes(deps.s3, deps.bucketName, invoice.pdfKey);
		const addressed = { ...invoice, billTo: { ...invoice.billTo, email: to } };
		const email = await composeDunningEmail({ invoice: addressed, seller: deps.seller, stage, daysOverdue, pdf });
		const messageId = await sendRawEmail(deps.ses, deps.seller, email, {
			kind: "dunning",
			accountId: invoice.accountId,
			delivery: keys.dunning(invoice.number, stage),
		});
		await finishDunningStage(deps, invoice.number, stage, { status: "sent", messageId: messageId ?? "" });
		return true;
	} catch (err) {
		// At most once: a notice whose sending failed is recorded, not retried blindly.
		await finishDunningStage(deps, invoice.number, stage, { status: "failed", reason: (err as Error).message });
		return false;
	}
}
