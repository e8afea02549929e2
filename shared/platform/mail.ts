import { type MessageTag, type SESClient, SendRawEmailCommand } from "@aws-sdk/client-ses";
import type { SellerConfig } from "./config.js";

/** A composed MIME message (attachments included) and its one recipient. */
export interface RawEmail {
	readonly to: string;
	readonly raw: Uint8Array;
}

/** A record's key in the billing table (a delivery, a dunning stage): what an email event is traced back to. */
export interface RecordKey {
	readonly pk: string;
	readonly sk: string;
}

/**
 * What an email carries, sent with it as SES message tags, so that each event SES publishes
 * for it (send, delivery, bounce, complaint) names the account and the delivery records it
 * settles: the document's own (`delivery`) and those of what went along (`attached`, an
 * invoice's statement).
 */
export interface MailTags {
	readonly kind: "invoice" | "statement" | "dunning" | "collections";
	readonly accountId?: string;
	readonly delivery?: RecordKey;
	readonly attached?: readonly RecordKey[];
}

/** The message tags' names (SES adds its own, all under `ses:`). */
export const MAIL_TAG_NAMES = {
	kind: "billing-kind",
	account: "billing-account",
	delivery: "billing-delivery",
	attached: "billing-attached",
};

const KINDS: readonly MailTags["kind"][] = ["invoice", "statement", "dunning", "collections"];
/** SES allows 256 characters of ASCII letters, digits, `_` and `-` in a tag value. */
const MAX_TAG_VALUE = 256;
/**
 * Between a key's partition and sort key, and between keys: in an encoded value `_` is always
 * followed by a hex digit (see encodeTagValue), so these never occur inside one.
 */
const KEY_PARTS = "_s";
const KEYS = "_n";

/**
 * A text as a tag value, reversibly: letters, digits and `-` stay, any other UTF-16 unit is
 * `_` and its four hex digits (`#` is `_0023`), so `_` is always followed by a hex digit.
 * "INVOICE#INV-2026-000001" is "INVOICE_0023INV-2026-000001".
 */
export function encodeTagValue(text: string): string {
	return text.replace(/[^A-Za-z0-9-]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function decodeTagValue(value: string): string {
	return value.replace(/_([0-9a-f]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

const encodeKey = (key: RecordKey) => `${encodeTagValue(key.pk)}${KEY_PARTS}${encodeTagValue(key.sk)}`;

function decodeKey(value: string): RecordKey | undefined {
	const [pk, sk, ...rest] = value.split(KEY_PARTS);
	return pk && sk && rest.length === 0 ? { pk: decodeTagValue(pk), sk: decodeTagValue(sk) } : undefined;
}

/** The email's tags as SES takes them; a value SES would refuse (over 256 characters) is left out rather than fail the send. */
export function messageTags(tags: MailTags): MessageTag[] {
	const values: [string, string | undefined][] = [
		[MAIL_TAG_NAMES.kind, tags.kind],
		[MAIL_TAG_NAMES.account, tags.accountId === undefined ? undefined : encodeTagValue(tags.accountId)],
		[MAIL_TAG_NAMES.delivery, tags.delivery && encodeKey(tags.delivery)],
		[MAIL_TAG_NAMES.attached, tags.attached?.length ? tags.attached.map(encodeKey).join(KEYS) : undefined],
	];
	return values
		.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].length > 0 && entry[1].length <= MAX_TAG_VALUE)
		.map(([Name, Value]) => ({ Name, Value }));
}

/** The tags of an email as an SES event shows them (`mail.tags`: name → values), when it is one of ours. */
export function readMailTags(tags: Readonly<Record<string, readonly string[]>>): MailTags | undefined {
	const first = (name: string) => tags[name]?.[0];
	const kind = KINDS.find((k) => k === first(MAIL_TAG_NAMES.kind));
	if (!kind) return undefined;
	const account = first(MAIL_TAG_NAMES.account);
	const delivery = first(MAIL_TAG_NAMES.delivery);
	const attached = first(MAIL_TAG_NAMES.attached);
	const attachedKeys = attached?.split(KEYS).map(decodeKey);
	return {
		kind,
		...(account ? { accountId: decodeTagValue(account) } : {}),
		...(delivery && decodeKey(delivery) ? { delivery: decodeKey(delivery) as RecordKey } : {}),
		...(attachedKeys?.every((k) => k !== undefined) ? { attached: attachedKeys as RecordKey[] } : {}),
	};
}

/**
 * Sends through SES from the seller's address, through its configuration set when it has
 * one, tagged with what the email carries; answers SES's message id.
 */
export async function sendRawEmail(
	ses: SESClient,
	sender: Pick<SellerConfig, "email" | "configurationSet">,
	email: RawEmail,
	tags: MailTags,
): Promise<string | undefined> {
	const out = await ses.send(
		new SendRawEmailCommand({
			Source: sender.email,
			Destinations: [email.to],
			RawMessage: { Data: email.raw },
			...(sender.configurationSet ? { ConfigurationSetName: sender.configurationSet } : {}),
			Tags: messageTags(tags),
		}),
	);
	return out.MessageId;
}
