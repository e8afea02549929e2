/**
 * Customer email addresses stay out of logs, state outputs and execution history
 * (DESIGN.md section 11): each is shown as its first character and its domain,
 * `ap@acme.example.com` as `a***@acme.example.com`, enough to tell two apart and see the
 * provider, not enough to write to. The records in the table keep the address itself.
 */

// A local part as people write them (no slash, so a path like node_modules/@aws-sdk is left
// alone), then everything up to a space, quote, bracket or separator: an address that is not
// well formed (a missing top-level domain, a doubled @) is masked all the same.
const ADDRESS = /([A-Za-z0-9._%+!#$&*=?^`{|}~-]+)@([^\s"'<>()[\]{},;:\\]*)/g;

/** The text with every email address in it masked; idempotent. */
export function maskEmailAddresses(text: string): string {
	return text.replace(ADDRESS, (_whole, local: string, domain: string) => `${local.charAt(0)}***@${domain}`);
}

/** A JSON-like value with every string in it masked (objects and arrays copied, not changed). */
export function maskEmailAddressesIn<T>(value: T): T {
	if (typeof value === "string") return maskEmailAddresses(value) as T;
	if (Array.isArray(value)) return value.map((item) => maskEmailAddressesIn(item)) as T;
	if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
		return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskEmailAddressesIn(item)])) as T;
	}
	return value;
}
