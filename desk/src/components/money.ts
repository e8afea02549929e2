/**
 * Money at the desk: the API's amounts are integer minor units with a currency, shown with
 * the currency's own decimals; amounts typed in forms are major units ("250.50"), turned
 * into minor units by string arithmetic, never through a float.
 */

function currencyDecimals(currency: string): number {
	try {
		return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
	} catch {
		return 2;
	}
}

/** 123456 EUR → "1234.56", -5 JPY → "-5", by moving the decimal point in the digits. */
export function minorToMajor(minor: number, currency: string): `${number}` {
	const decimals = currencyDecimals(currency);
	const digits = String(Math.abs(minor)).padStart(decimals + 1, "0");
	const whole = digits.slice(0, digits.length - decimals);
	const fraction = decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : "";
	return `${minor < 0 ? "-" : ""}${whole}${fraction}` as `${number}`;
}

export function formatMoney(minor: number, currency: string): string {
	try {
		return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minorToMajor(minor, currency));
	} catch {
		return `${minorToMajor(minor, currency)} ${currency}`;
	}
}

export type ParsedAmount = { readonly minor: number; readonly error?: undefined } | { readonly minor?: undefined; readonly error: string };

/** "250.5" EUR → 25050; an error message a form field can show for anything else. */
export function parseAmount(text: string, currency: string): ParsedAmount {
	const decimals = currencyDecimals(currency);
	const example = decimals > 0 ? `250.${"0".repeat(decimals)}` : "250";
	const match = /^(\d+)(?:\.(\d*))?$/.exec(text.trim());
	if (!match) return { error: `An amount in ${currency}, such as ${example}` };
	const fraction = match[2] ?? "";
	if (fraction.length > decimals) return { error: `${currency} has ${decimals === 0 ? "no" : `at most ${decimals}`} decimals` };
	const minor = Number(`${match[1]}${fraction.padEnd(decimals, "0")}`);
	if (!Number.isSafeInteger(minor)) return { error: "Too large an amount" };
	if (minor === 0) return { error: "More than zero" };
	return { minor };
}
