/**
 * An IBAN (ISO 13616) read and checked: two letters of the country, two check digits, and
 * up to 30 letters or digits. Its check is ISO 7064 MOD 97-10: the first four characters
 * moved to the end, each letter written as two digits (A = 10 ... Z = 35), the number
 * modulo 97 is 1. The number has up to 68 digits, so it is reduced a few digits at a time
 * (the remainder so far, then the next digits) with plain integers, never as one big value.
 */
export function readIban(value: string): string {
	const iban = value.toUpperCase().replace(/\s/g, "");
	if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) {
		throw new Error(
			`${JSON.stringify(value.trim())} is not an IBAN: two letters of the country, two check digits, then 11 to 30 letters or digits`,
		);
	}
	if (ibanRemainder(iban) !== 1) throw new Error(`${iban} is not a valid IBAN: its check digits do not match (mod 97); check for a typo`);
	return iban;
}

/** The IBAN's MOD 97-10 remainder: 1 for a valid one. */
export function ibanRemainder(iban: string): number {
	const digits = [...`${iban.slice(4)}${iban.slice(0, 4)}`].map((c) => (c >= "A" && c <= "Z" ? String(c.charCodeAt(0) - 55) : c)).join("");
	let remainder = 0;
	// Seven digits at a time: the remainder (two digits) before them stays below 2^53.
	for (let i = 0; i < digits.length; i += 7) remainder = Number(`${remainder}${digits.slice(i, i + 7)}`) % 97;
	return remainder;
}
