import { z } from "zod";

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
