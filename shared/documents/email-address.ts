import * as z from "zod";
import type { Account, UndeliverableAddress } from "../core/model.js";

/**
 * zod's practical email pattern (dot-atoms only, no quoted local parts, no IP literals,
 * no consecutive/leading/trailing dots) with stricter domain labels: each label is 1-63
 * letters, digits or hyphens and neither starts nor ends with a hyphen; the top-level
 * domain is alphabetic or an IDNA "xn--" label. Non-ASCII addresses are refused: SES
 * does not accept them in the envelope.
 */
const DELIVERABLE_EMAIL =
	/^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

const emailSchema = z.email({ pattern: DELIVERABLE_EMAIL });

/** RFC 5321: 64 octets for the local part, 254 for the whole path without its brackets. */
const MAX_LOCAL_PART = 64;
const MAX_ADDRESS = 254;

/**
 * A strict, practical syntax check run before SES is called, so a bad address is refused
 * with a clear reason instead of bouncing. The value must be the bare address: no display
 * name, no angle brackets and no surrounding whitespace.
 */
export function isDeliverableEmailAddress(value: string): boolean {
	if (typeof value !== "string" || value.length === 0 || value.length > MAX_ADDRESS) return false;
	const at = value.lastIndexOf("@");
	if (at < 1 || at > MAX_LOCAL_PART) return false;
	return emailSchema.safeParse(value).success;
}

const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/**
 * The account's mark of an address SES reported undeliverable (a permanent bounce or a
 * complaint), when it stands against an email to `recipient`: the mark names the account's
 * address as it is now, or the recipient itself. A person clears it by correcting the
 * address (`billing accounts update`); until then nothing is emailed there.
 */
export function undeliverableMark(
	account: Pick<Account, "email" | "undeliverable"> | undefined,
	recipient: string,
): UndeliverableAddress | undefined {
	const mark = account?.undeliverable;
	if (!mark) return undefined;
	return sameAddress(mark.address, account.email) || sameAddress(mark.address, recipient) ? mark : undefined;
}

/** Whether the account's mark still names its address (an address changed by an import leaves the mark behind, moot). */
export function isCurrentAddressUndeliverable(account: Pick<Account, "email" | "undeliverable">): boolean {
	return account.undeliverable !== undefined && sameAddress(account.undeliverable.address, account.email);
}

/** "address a@b.example bounced on 2026-11-02: Permanent/General: smtp; 550 ..."; what happened, without the remedy. */
export function undeliverableWhat(mark: UndeliverableAddress): string {
	return `address ${mark.address} ${mark.kind === "bounce" ? "bounced" : "complained"} on ${mark.at.slice(0, 10)}: ${mark.reason}`;
}

/** Why an email to the address is not attempted, and the command that lets it go again. */
export function undeliverableReason(accountId: string, mark: UndeliverableAddress): string {
	return `${undeliverableWhat(mark)}; correct it with billing accounts update ${accountId} --email <new address>`;
}
