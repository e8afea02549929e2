import * as z from "zod";
import { type MailTags, readMailTags } from "../platform/mail.js";
import { type DeliveryKey, deliverySentPerSes } from "../store/deliveries.js";
import { type EmailFeedback, type FeedbackOutcome, recordEmailFeedback } from "../store/email-feedback.js";
import type { TableDeps } from "../store/records.js";

/**
 * The events SES publishes for each email sent through the configuration set (DESIGN.md
 * section 15), as EventBridge delivers them (`source` aws.ses, `detail-type` "Email Bounced",
 * "Email Complaint Received", ...; `detail` is SES's event record). A permanent bounce or a
 * complaint marks the address undeliverable on the account the email's tags name, and a
 * permanent bounce fails the deliveries the email carried; a transient bounce is recorded; a
 * send marks the deliveries the email carries sent (those a crash left claimed and unmarked
 * among them); the others (delivery, reject, rendering failure, delivery delay) are read and
 * answered.
 */

/** The `detail-type` SES gives each event type on EventBridge. */
export const SES_EVENT_DETAIL_TYPES = {
	Send: "Email Sent",
	Delivery: "Email Delivered",
	Bounce: "Email Bounced",
	Complaint: "Email Complaint Received",
	Reject: "Email Rejected",
	"Rendering Failure": "Email Rendering Failed",
	DeliveryDelay: "Email Delivery Delayed",
} as const;

/** The email the event is about: SES's message id, its recipients, and its tags (SES's own `ses:` ones besides ours). */
const mailSchema = z.looseObject({
	messageId: z.string().min(1),
	timestamp: z.string(),
	destination: z.array(z.string()).default([]),
	tags: z.record(z.string(), z.array(z.string())).default({}),
});

const bounceSchema = z.looseObject({
	/** Permanent (hard), Transient (soft: mailbox full, too large, ...) or Undetermined. */
	bounceType: z.string(),
	bounceSubType: z.string().default(""),
	bouncedRecipients: z.array(
		z.looseObject({ emailAddress: z.string(), status: z.string().optional(), diagnosticCode: z.string().optional() }),
	),
	timestamp: z.string(),
	feedbackId: z.string().min(1),
});

const complaintSchema = z.looseObject({
	complainedRecipients: z.array(z.looseObject({ emailAddress: z.string() })),
	timestamp: z.string(),
	feedbackId: z.string().min(1),
	/** abuse, auth-failure, fraud, not-spam, other, virus, when the recipient's provider says. */
	complaintFeedbackType: z.string().nullish(),
});

/** SES's event record as EventBridge carries it (the fields used here; the rest passes through). */
export const sesEmailEventSchema = z.looseObject({
	source: z.literal("aws.ses"),
	"detail-type": z.string(),
	detail: z.discriminatedUnion("eventType", [
		z.looseObject({ eventType: z.literal("Bounce"), mail: mailSchema, bounce: bounceSchema }),
		z.looseObject({ eventType: z.literal("Complaint"), mail: mailSchema, complaint: complaintSchema }),
		z.looseObject({
			eventType: z.enum(["Send", "Delivery", "Reject", "Rendering Failure", "DeliveryDelay", "Open", "Click", "Subscription"]),
			mail: mailSchema,
		}),
	]),
});
export type SesEmailEvent = z.infer<typeof sesEmailEventSchema>;

export type EmailEventOutcome = FeedbackOutcome | "not_ours" | "no_account" | "marked_sent" | "settled_before";

export interface EmailEventResult {
	readonly eventType: string;
	readonly messageId: string;
	readonly kind?: MailTags["kind"];
	readonly accountId?: string;
	/** One per recipient the report names (an email of ours has one); none for the other event types. */
	readonly recorded: readonly EmailEventOutcome[];
}

/** "Permanent/General: smtp; 550 5.1.1 user unknown": the bounce's type and subtype, and what the recipient's server said. */
function bounceReason(bounce: z.infer<typeof bounceSchema>, recipient: z.infer<typeof bounceSchema>["bouncedRecipients"][number]) {
	const type = [bounce.bounceType, bounce.bounceSubType].filter(Boolean).join("/");
	return recipient.diagnosticCode ? `${type}: ${recipient.diagnosticCode}` : type;
}

/** "invoice INV-2026-000001": what the email carried, for the account's mark and the worklist. */
function documentOf(tags: MailTags): string | undefined {
	const pk = tags.delivery?.pk ?? "";
	if (tags.kind === "invoice" && pk.startsWith("INVOICE#")) return `invoice ${pk.slice("INVOICE#".length)}`;
	if (tags.kind === "dunning" && pk.startsWith("INVOICE#"))
		return `dunning notice ${tags.delivery?.sk.replace(/^DUNNING#/, "")} of invoice ${pk.slice("INVOICE#".length)}`;
	if (tags.kind === "statement" && pk.startsWith("STATEMENT#")) return `statement ${pk.split("#").at(-1)}`;
	return undefined;
}

/** The delivery records of the documents the email carried (a dunning notice has none of its own). */
function deliveriesOf(tags: MailTags): DeliveryKey[] {
	return [...(tags.delivery ? [tags.delivery] : []), ...(tags.attached ?? [])].filter((key) => key.sk.startsWith("DELIVERY#"));
}

/**
 * Records what a bounce or complaint says about each recipient, against the account the
 * email's tags name, idempotent on SES's feedback id (SES delivers an event at least once).
 * An email without our tags (sent by something else through the set), or without an
 * account (the collections team's notice), marks nothing.
 */
export async function handleEmailEvent(deps: TableDeps, event: SesEmailEvent, now: Date = new Date()): Promise<EmailEventResult> {
	const { detail } = event;
	const tags = readMailTags(detail.mail.tags);
	const base = {
		eventType: detail.eventType,
		messageId: detail.mail.messageId,
		...(tags ? { kind: tags.kind } : {}),
		...(tags?.accountId ? { accountId: tags.accountId } : {}),
	};
	if (detail.eventType === "Send") {
		// The message went out: the deliveries it carries are sent, also those whose sender crashed before marking them.
		const recorded: EmailEventOutcome[] = [];
		for (const key of tags ? deliveriesOf(tags) : [])
			recorded.push(await deliverySentPerSes(deps, key, detail.mail.messageId, detail.mail.timestamp));
		return { ...base, recorded };
	}
	const reports: Omit<EmailFeedback, "accountId">[] =
		detail.eventType === "Bounce"
			? detail.bounce.bouncedRecipients.map((recipient) => ({
					address: recipient.emailAddress,
					// Only a permanent bounce says the address will never work; a transient or undetermined one may pass.
					kind: detail.bounce.bounceType === "Permanent" ? ("bounce" as const) : ("transient_bounce" as const),
					reason: bounceReason(detail.bounce, recipient),
					at: detail.bounce.timestamp,
					messageId: detail.mail.messageId,
					feedbackId: detail.bounce.feedbackId,
				}))
			: detail.eventType === "Complaint"
				? detail.complaint.complainedRecipients.map((recipient) => ({
						address: recipient.emailAddress,
						kind: "complaint" as const,
						reason: `marked as spam, feedback type ${detail.complaint.complaintFeedbackType ?? "not given"}`,
						at: detail.complaint.timestamp,
						messageId: detail.mail.messageId,
						feedbackId: detail.complaint.feedbackId,
					}))
				: [];
	if (reports.length === 0) return { ...base, recorded: [] };
	if (!tags) return { ...base, recorded: reports.map(() => "not_ours" as const) };
	const accountId = tags.accountId;
	if (!accountId) return { ...base, recorded: reports.map(() => "no_account" as const) };
	const document = documentOf(tags);
	const recorded: EmailEventOutcome[] = [];
	for (const report of reports) {
		recorded.push(await recordEmailFeedback(deps, { ...report, accountId, ...(document ? { document } : {}) }, now, deliveriesOf(tags)));
	}
	return { ...base, recorded };
}
