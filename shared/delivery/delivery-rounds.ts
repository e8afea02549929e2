import type { SESClient } from "@aws-sdk/client-ses";
import { TransientError } from "../core/errors.js";
import type { UndeliverableAddress } from "../core/model.js";
import { isDeliverableEmailAddress, undeliverableReason } from "../documents/email-address.js";
import type { SellerConfig } from "../platform/config.js";
import { type RawEmail, sendRawEmail } from "../platform/mail.js";
import {
	claimDeliveries,
	claimDeliveriesTogether,
	type DeliveryKey,
	markAllSent,
	markDeliveryFailed,
	queueForPrint,
	releaseClaim,
	releaseUnsentClaim,
	type SentDelivery,
} from "../store/deliveries.js";
import type { TableDeps } from "../store/records.js";
import { isCancelled } from "../store/transact.js";
import type { DeliveryContext } from "./delivery-context.js";
import { type SendingPace, sendPaced } from "./sending-pace.js";

/** einvoice_refused: the document's e-invoice failed the official rules, so the document was not delivered at all. */
export type DeliveryOutcome = "emailed" | "already_delivered" | "queued_for_print" | "failed" | "einvoice_refused";

export interface RoundDeps extends TableDeps {
	readonly ses: SESClient;
	readonly seller: SellerConfig;
	/** This delivery's share of the SES sending rate; without one, sends go at once. */
	readonly pace?: SendingPace;
}

/** SES answers these for a bad recipient or sender: the address is at fault, retrying will not help. */
const PERMANENT_SES_ERRORS = new Set(["MessageRejected", "MailFromDomainNotVerifiedException", "InvalidParameterValue"]);

/**
 * Documents are sent in rounds of up to this many (of different accounts): the round's
 * claims go in one transaction with the round before's sent marks, its sends side by side.
 * At most this many deliveries are ever claimed and not yet marked.
 */
const ROUND_SIZE = 5;

/** Records a document that was not delivered: `einvoice` when its e-invoice was refused, else a failed delivery. */
export type RecordFailure = (accountId: string, reason: string, stage?: "deliver" | "einvoice") => Promise<void>;
export type Outcome = DeliveryOutcome | "no_statement";

/** What a document's delivery does before and after the send, and what its failure says. */
export interface Document {
	readonly kind: "invoice" | "statement";
	readonly accountId: string;
	/** "invoice INV-2026-000001", "statement 2026-10": how failures name it. */
	readonly label: string;
	readonly period: string;
	readonly channel: string;
	readonly recipient: string;
	/** The account's mark of the recipient as undeliverable (SES reported a bounce or complaint): not emailed. */
	readonly undeliverable?: UndeliverableAddress;
	readonly deliveryKey: DeliveryKey;
	/** The email, and the delivery records of what it carries besides the document (claimed with it). */
	readonly compose: () => Promise<{ readonly email: RawEmail; readonly attached: readonly DeliveryKey[] }>;
	/**
	 * The document's e-invoice, made ready before anything is delivered (an account that needs
	 * none has no such step): why the rules refused it, or undefined when it may go.
	 */
	readonly einvoice?: () => Promise<string | undefined>;
	/** What else an undeliverable address fails (the statement the invoice would have carried). */
	readonly onBadAddress?: (reason: string) => Promise<void>;
}

/** A document to deliver: whose it is and how a failure names it, before it can be read. */
export interface Job {
	readonly accountId: string;
	readonly label: string;
	readonly document: () => Document | "no_statement";
}

/** A document composed and ready to be claimed and sent. */
interface Sendable {
	readonly job: number;
	readonly document: Document;
	readonly email: RawEmail;
	readonly claims: readonly DeliveryKey[];
}

/**
 * Delivers each document at most once per channel, in rounds: already delivered (or failed)
 * stays so, postal goes into the print batch, an undeliverable address is recorded as
 * failed (so is an address SES reported bouncing or complained from, until a person corrects
 * it), and an email is claimed, sent, then marked sent; SES's permanent rejections are
 * recorded, anything else releases the claims and is retried by the state machine. A
 * document that fails otherwise is recorded (`record`) or thrown (`throw`, one document).
 */
export async function deliverDocuments(
	deps: RoundDeps,
	read: DeliveryContext,
	jobs: readonly Job[],
	recordFailure: RecordFailure,
	onError: "record" | "throw" = "record",
): Promise<Outcome[]> {
	const outcomes: Outcome[] = jobs.map(() => "failed");
	const failed = async (index: number, err: unknown) => {
		if (err instanceof TransientError || onError === "throw") throw err;
		const job = jobs[index] as Job;
		await recordFailure(job.accountId, `${job.label} not delivered: ${err instanceof Error ? err.message : String(err)}`);
		outcomes[index] = "failed";
	};
	await releaseUnsentClaims(deps, read);
	let pending = jobs.map((_, index) => index);
	// The round before's sends, marked sent in the next round's claim transaction (or at the end).
	let unmarked: readonly SentDelivery[] = [];
	try {
		while (pending.length > 0) {
			// An account's documents go in different rounds, so each sees what the one before wrote (a statement it carried).
			const round: number[] = [];
			const accounts = new Set<string>();
			for (const index of pending) {
				const accountId = (jobs[index] as Job).accountId;
				if (round.length === ROUND_SIZE || accounts.has(accountId)) continue;
				round.push(index);
				accounts.add(accountId);
			}
			pending = pending.filter((index) => !round.includes(index));
			const sendables: Sendable[] = [];
			await Promise.all(
				round.map(async (index) => {
					try {
						const prepared = await prepare(deps, read, index, (jobs[index] as Job).document(), recordFailure);
						if (typeof prepared === "string") outcomes[index] = prepared;
						else sendables.push(prepared);
					} catch (err) {
						await failed(index, err);
					}
				}),
			);
			// Handed over: the round marks them, or fails as transient about them.
			const previous = unmarked;
			unmarked = [];
			const sent = await sendRound(deps, read, sendables, previous, recordFailure, failed);
			unmarked = sent.unmarked;
			for (const [index, outcome] of sent.outcomes) outcomes[index] = outcome;
		}
	} catch (err) {
		// Whatever failed, the sends before it are marked if they can be; if not, their claims stay (outcome unknown).
		await markSent(deps, read, unmarked).catch(() => undefined);
		throw err;
	}
	await markSent(deps, read, unmarked);
	return outcomes;
}

/**
 * Claims a crash left between the claim and SES's answer: SES's send event marks those whose
 * message went out (EmailEvents); one still unmarked after the events' wait never reached
 * SES, so it is released and this batch sends its document. A claim younger than the wait
 * stays (its outcome is unknown until the event comes or the wait is over).
 */
async function releaseUnsentClaims(deps: RoundDeps, read: DeliveryContext): Promise<void> {
	const cutoff = new Date(Date.now() - deps.seller.sendEventWaitSeconds * 1000).toISOString();
	for (const { key, claimedAt } of read.claimsBefore(cutoff)) {
		if (await releaseUnsentClaim(deps, key, claimedAt)) read.wrote(key, "released");
	}
}

/** Everything before the claim, so a failure here leaves the document deliverable. */
async function prepare(
	deps: RoundDeps,
	read: DeliveryContext,
	job: number,
	document: Document | "no_statement",
	recordFailure: RecordFailure,
): Promise<Outcome | Sendable> {
	if (document === "no_statement") return document;
	const { deliveryKey } = document;
	const existing = read.status(deliveryKey);
	if (existing) return existing === "failed" ? "failed" : "already_delivered";
	// Refused by the e-invoice rules: neither emailed nor printed, until the account is corrected and the document resent.
	const refused = await document.einvoice?.();
	if (refused) {
		await recordFailure(document.accountId, `${document.label} not delivered: ${refused}`, "einvoice");
		return "einvoice_refused";
	}
	if (document.channel === "postal") {
		// Queued meanwhile by a concurrent attempt: delivered, not twice.
		if (!(await queueForPrint(deps, deliveryKey, document.period))) return "already_delivered";
		read.wrote(deliveryKey, "queued_for_print");
		return "queued_for_print";
	}
	const undeliverable = document.undeliverable ? undeliverableReason(document.accountId, document.undeliverable) : undefined;
	if (undeliverable || !isDeliverableEmailAddress(document.recipient)) {
		const reason = undeliverable ?? `invalid email address ${JSON.stringify(document.recipient)}`;
		// Recorded meanwhile by a concurrent attempt: its outcome stands, recorded once.
		if (!(await markDeliveryFailed(deps, deliveryKey, reason, true))) return "already_delivered";
		read.wrote(deliveryKey, "failed");
		await document.onBadAddress?.(reason);
		await recordFailure(document.accountId, `${document.label} not delivered: ${reason}`);
		return "failed";
	}
	const { email, attached } = await document.compose();
	return { job, document, email, claims: [deliveryKey, ...attached] };
}

/**
 * Marks sends sent. Failing that, the claims stay, so a retry sends nothing again; these
 * deliveries are listed as of unknown outcome.
 */
async function markSent(deps: RoundDeps, read: DeliveryContext, sent: readonly SentDelivery[]): Promise<void> {
	try {
		await markAllSent(deps, sent);
	} catch (err) {
		throw new TransientError(`marking ${sent.length} deliveries sent failed: ${(err as Error).message}`, { cause: err });
	}
	for (const { key } of sent) read.wrote(key, "sent");
}

/**
 * Claims the round's deliveries, with the round before's sends marked in the same
 * transaction (each claimed on its own when one of them was claimed before), sends the
 * claimed emails side by side and answers the sends for the next round to mark.
 */
async function sendRound(
	deps: RoundDeps,
	read: DeliveryContext,
	sendables: readonly Sendable[],
	unmarked: readonly SentDelivery[],
	recordFailure: RecordFailure,
	failed: (job: number, err: unknown) => Promise<void>,
): Promise<{ readonly outcomes: Map<number, DeliveryOutcome>; readonly unmarked: readonly SentDelivery[] }> {
	const outcomes = new Map<number, DeliveryOutcome>();
	if (sendables.length === 0) return { outcomes, unmarked };
	let transient: TransientError | undefined;
	const claimsOf = (s: Sendable) => ({ keys: s.claims, recipient: s.document.recipient, period: s.document.period });
	let claimed: Sendable[] = [];
	try {
		await claimDeliveriesTogether(deps, sendables.map(claimsOf), unmarked);
		for (const { key } of unmarked) read.wrote(key, "sent");
		claimed = [...sendables];
	} catch {
		// One was claimed before (a concurrent attempt), or the write failed: marked, then each claimed on its own.
		await markSent(deps, read, unmarked);
		for (const s of sendables) {
			try {
				const claim = claimsOf(s);
				if ((await claimDeliveries(deps, claim.keys, claim.recipient, claim.period)) === "already_claimed")
					outcomes.set(s.job, "already_delivered");
				else claimed.push(s);
			} catch (err) {
				if (!isCancelled(err)) await failed(s.job, err);
				// An attachment went out meanwhile on its own: the retry reads that and sends the document without it.
				else transient ??= new TransientError(`claiming delivery of ${s.document.label} failed: ${(err as Error).message}`, { cause: err });
			}
		}
	}
	for (const s of claimed) for (const key of s.claims) read.wrote(key, "sending");

	const results = await Promise.all(
		claimed.map((s) =>
			sendPaced(deps.pace, () =>
				sendRawEmail(deps.ses, deps.seller, s.email, {
					kind: s.document.kind,
					accountId: s.document.accountId,
					delivery: s.document.deliveryKey,
					attached: s.claims.slice(1),
				}),
			).then(
				(messageId) => ({ s, messageId, error: undefined }),
				(error: unknown) => ({ s, messageId: undefined, error: error as Error }),
			),
		),
	);
	const sent: SentDelivery[] = [];
	for (const { s, messageId, error } of results) {
		if (!error) {
			sent.push(...s.claims.map((key) => ({ key, messageId })));
			outcomes.set(s.job, "emailed");
			continue;
		}
		if (PERMANENT_SES_ERRORS.has(error.name ?? "Error")) {
			const reason = `SES rejected ${s.document.recipient}: ${error.message}`;
			for (const key of s.claims) {
				await markDeliveryFailed(deps, key, reason, false);
				read.wrote(key, "failed");
			}
			await recordFailure(s.document.accountId, `${s.document.label} not delivered: ${reason}`);
			outcomes.set(s.job, "failed");
			continue;
		}
		// Nothing was sent: release the claims so the state machine's retry can send it.
		for (const key of s.claims) {
			await releaseClaim(deps, key);
			read.wrote(key, "released");
		}
		transient ??= new TransientError(`sending ${s.document.label} failed: ${error.message}`, { cause: error });
	}
	if (transient) {
		await markSent(deps, read, sent);
		throw transient;
	}
	return { outcomes, unmarked: sent };
}
