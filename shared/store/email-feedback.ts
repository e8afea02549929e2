import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { type Account, accountSchema, type UndeliverableAddress } from "../core/model.js";
import { auditPut } from "./audit.js";
import { type DeliveryKey, deliveryBounced, getDelivery } from "./deliveries.js";
import { GSI2, keys } from "./keys.js";
import { getAccount, parseRecord, queryAll, type TableDeps } from "./records.js";
import { conditionFailedAt, isCancelled, RETRY, type TransactItem, withOptimisticRetry } from "./transact.js";

/**
 * What SES reports about an email after it was sent (DESIGN.md section 15): a permanent
 * bounce or a complaint marks the address undeliverable on its account, a transient bounce is
 * only recorded. Each report is written once, however often SES delivers its event.
 */

/** One recipient of one bounce or complaint report, and the account its email was for. */
export interface EmailFeedback {
	readonly accountId: string;
	readonly address: string;
	/** A transient bounce (mailbox full, message too large, ...) is recorded and stops nothing. */
	readonly kind: UndeliverableAddress["kind"] | "transient_bounce";
	readonly reason: string;
	readonly at: string;
	readonly messageId: string;
	readonly feedbackId: string;
	readonly document?: string;
}

export type FeedbackOutcome =
	/** The address is the account's and is marked now: nothing is emailed to it until a person corrects it. */
	| "marked_undeliverable"
	/** The address was marked already (an earlier report); this one is recorded beside it. */
	| "already_marked"
	| "recorded_transient"
	/** The account's address has changed since that email: recorded, the new address is not marked. */
	| "former_address"
	/** This report was recorded before (SES delivers each event at least once). */
	| "already_recorded"
	| "no_account";

/** How long a report's record is kept against a redelivery of its event (the table's TTL deletes it then). */
const FEEDBACK_RECORD_DAYS = 365;

const ACTORS: Record<EmailFeedback["kind"], string> = {
	bounce: "ses:bounce",
	transient_bounce: "ses:bounce",
	complaint: "ses:complaint",
};

const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The report's own record: written only if it was not before, so the rest of its transaction is written once. */
function feedbackRecord(tableName: string, feedback: EmailFeedback, now: Date): TransactItem {
	return {
		Put: {
			TableName: tableName,
			Item: {
				...keys.emailFeedback(feedback.feedbackId, feedback.address),
				...feedback,
				recordedAt: now.toISOString(),
				ttl: Math.floor(now.getTime() / 1000) + FEEDBACK_RECORD_DAYS * 24 * 3600,
			},
			ConditionExpression: "attribute_not_exists(pk)",
		},
	};
}

/** The mark on the account as read: its address still the one read, and its mark as read (none, or a former one replaced). */
function markUpdate(tableName: string, account: Account, mark: UndeliverableAddress): TransactItem {
	const prior = account.undeliverable;
	return {
		Update: {
			TableName: tableName,
			Key: keys.account(account.accountId),
			UpdateExpression: "SET undeliverable = :mark, gsi2pk = :listing, gsi2sk = :listingSort",
			ConditionExpression: prior
				? "email = :email AND undeliverable.feedbackId = :prior"
				: "email = :email AND attribute_not_exists(undeliverable)",
			ExpressionAttributeValues: {
				":mark": mark,
				":listing": keys.undeliverableAddress(mark.at, account.accountId).gsi2pk,
				":listingSort": keys.undeliverableAddress(mark.at, account.accountId).gsi2sk,
				":email": account.email,
				...(prior ? { ":prior": prior.feedbackId } : {}),
			},
		},
	};
}

/** What the report does to the account as read, and its audit entry's action. */
function decide(account: Account, feedback: EmailFeedback): { outcome: FeedbackOutcome; action: string; mark?: UndeliverableAddress } {
	if (feedback.kind === "transient_bounce") return { outcome: "recorded_transient", action: "email_soft_bounced" };
	if (!sameAddress(account.email, feedback.address)) return { outcome: "former_address", action: "email_feedback_former_address" };
	const current = account.undeliverable;
	if (current && sameAddress(current.address, account.email)) return { outcome: "already_marked", action: "email_feedback_again" };
	const { kind, address, reason, at, messageId, feedbackId, document } = feedback;
	return {
		outcome: "marked_undeliverable",
		action: "email_undeliverable",
		mark: { address, kind, reason, at, messageId, feedbackId, ...(document ? { document } : {}) },
	};
}

/**
 * Records one recipient's bounce or complaint against the account its email was for, with
 * its audit entry (actor `ses:bounce` or `ses:complaint`), all in one transaction that also
 * writes the report's own record: a report delivered again writes nothing ("already_recorded").
 * A permanent bounce or a complaint for the account's address as it is now marks it
 * undeliverable (and lists the account for the worklist). A permanent bounce also fails the
 * deliveries its email carried (`deliveries`, their records' keys), in the same transaction.
 */
export async function recordEmailFeedback(
	deps: TableDeps,
	feedback: EmailFeedback,
	now: Date = new Date(),
	deliveries: readonly DeliveryKey[] = [],
): Promise<FeedbackOutcome> {
	return withOptimisticRetry(`the ${feedback.kind} report for account ${feedback.accountId} could not be recorded`, async () => {
		const account = await getAccount(deps, feedback.accountId);
		if (!account) return "no_account" as const;
		const bounced =
			feedback.kind === "bounce"
				? await Promise.all(
						deliveries.map(async (key) =>
							deliveryBounced(deps, key, await getDelivery(deps, key), feedback.messageId, feedback.reason, now.toISOString()),
						),
					)
				: [];
		const { outcome, action, mark } = decide(account, feedback);
		const audit = auditPut(deps.tableName, {
			subject: "account",
			subjectId: account.accountId,
			action,
			actor: ACTORS[feedback.kind],
			at: now.toISOString(),
			reason: feedback.reason,
			before: mark ? { undeliverable: account.undeliverable ?? null } : null,
			after: mark
				? { undeliverable: mark }
				: { feedback: { kind: feedback.kind, address: feedback.address, at: feedback.at, messageId: feedback.messageId } },
		});
		try {
			await deps.ddb.send(
				new TransactWriteCommand({
					TransactItems: [
						feedbackRecord(deps.tableName, feedback, now),
						...(mark ? [markUpdate(deps.tableName, account, mark)] : []),
						audit,
						...bounced.flat(),
					],
				}),
			);
			return outcome;
		} catch (err) {
			if (conditionFailedAt(err, 0)) return "already_recorded" as const;
			// The account or a delivery changed since it was read (its address, another report, a send marked): read them again.
			if (isCancelled(err)) return RETRY;
			throw err;
		}
	});
}

/** The accounts carrying a mark, oldest mark first (the index lags a write by a moment). */
export async function listUndeliverableAccounts(deps: TableDeps): Promise<Account[]> {
	const items = await queryAll(deps, {
		IndexName: GSI2,
		KeyConditionExpression: "gsi2pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.undeliverableAddress("", "").gsi2pk },
	});
	return items.map((item) => parseRecord(accountSchema, item));
}
