/*
 * How a person names a payment, apart from the views that read payments: the CLI parses its
 * arguments with it at start, before it loads anything that reads the table.
 */

export const PAYMENT_REF_FORM = "PROVIDER:ID as billing payments list shows it, e.g. stripe:pi_123";

/** `stripe:pi_123` read back; undefined when it is not of that form. */
export function parsePaymentRef(text: string): { provider: string; paymentId: string } | undefined {
	const found = /^([a-z]+):(.+)$/.exec(text.trim());
	return found ? { provider: found[1] as string, paymentId: found[2] as string } : undefined;
}
