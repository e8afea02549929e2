import * as z from "zod";
import { ValidationError } from "./errors.js";

/**
 * Money is an integer count of the currency's minor units plus its ISO 4217 code.
 * Floats never hold an amount; every division goes through a named rounding.
 */
export const MINOR_UNIT_DIGITS: Readonly<Record<string, number>> = {
	USD: 2,
	EUR: 2,
	GBP: 2,
	CHF: 2,
	CAD: 2,
	AUD: 2,
	SEK: 2,
	JPY: 0,
	KRW: 0,
	KWD: 3,
	BHD: 3,
};

export const currencySchema = z
	.string()
	.transform((c) => c.toUpperCase())
	.refine((c) => c in MINOR_UNIT_DIGITS, {
		message: `currency must be one of ${Object.keys(MINOR_UNIT_DIGITS).join(", ")}`,
	});

export const minorUnitsSchema = z.number().int().safe();

export const moneySchema = z.object({
	amount: minorUnitsSchema,
	currency: currencySchema,
});
export type Money = z.infer<typeof moneySchema>;

export function money(amount: number, currency: string): Money {
	return moneySchema.parse({ amount, currency });
}

export function minorUnitDigits(currency: string): number {
	const digits = MINOR_UNIT_DIGITS[currency.toUpperCase()];
	if (digits === undefined) throw new Error(`unsupported currency ${currency}`);
	return digits;
}

/**
 * A price written in the currency's major unit ("12.50" USD, "1500" JPY, "1.250" KWD) as
 * integer minor units, read digit by digit, never through a float. More decimals than the
 * currency has, a sign, an exponent or anything but digits and one point is refused.
 */
export function parseMajorUnits(text: string, currency: string): number {
	const digits = minorUnitDigits(currency);
	const match = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
	if (!match) throw new ValidationError(`${JSON.stringify(text)} is not an amount: digits with at most one decimal point, e.g. 12.50`);
	const fraction = match[2] ?? "";
	if (fraction.length > digits) {
		throw new ValidationError(`${JSON.stringify(text)} has more decimals than ${currency.toUpperCase()} has (${digits})`);
	}
	const minor = BigInt(`${match[1]}${fraction.padEnd(digits, "0")}`);
	if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new ValidationError(`${JSON.stringify(text)} is too large`);
	return Number(minor);
}

/** Minor units as the plain major-unit decimal files and accounting software read: "1234.50", "-7", "1.250". */
export function formatMajorUnits(amount: number, currency: string): string {
	const digits = minorUnitDigits(currency);
	const sign = amount < 0 ? "-" : "";
	const text = String(Math.abs(amount)).padStart(digits + 1, "0");
	return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

function sameCurrency(a: Money, b: Money): void {
	if (a.currency !== b.currency) {
		throw new Error(`currency mismatch: ${a.currency} and ${b.currency}`);
	}
}

export function add(a: Money, b: Money): Money {
	sameCurrency(a, b);
	return { amount: a.amount + b.amount, currency: a.currency };
}

export function subtract(a: Money, b: Money): Money {
	sameCurrency(a, b);
	return { amount: a.amount - b.amount, currency: a.currency };
}

export function sum(currency: string, items: readonly Money[]): Money {
	return items.reduce((acc, m) => add(acc, m), { amount: 0, currency });
}

/** Adds amounts keyed alike (by currency, by stage) into `into`. */
export function addAmounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
	for (const [key, amount] of Object.entries(from)) into[key] = (into[key] ?? 0) + amount;
}

/** Integer division of numerator/denominator rounded half away from zero (commercial rounding). */
export function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
	if (denominator <= 0n) throw new Error("denominator must be positive");
	const negative = numerator < 0n;
	const abs = negative ? -numerator : numerator;
	const q = (abs * 2n + denominator) / (2n * denominator);
	return negative ? -q : q;
}

/**
 * A quantity: a whole number, or a decimal string with up to 6 decimals ("2.5", metered
 * usage), so a fractional quantity is never a float.
 */
export type Quantity = number | string;

const QUANTITY_DECIMALS = 6;
const QUANTITY_SCALE = 10n ** BigInt(QUANTITY_DECIMALS);
const DECIMAL_QUANTITY = /^(\d+)(?:\.(\d{1,6}))?$/;

/** A quantity in millionths, exactly. */
export function quantityMicros(quantity: Quantity): bigint {
	if (typeof quantity === "number") {
		if (!Number.isSafeInteger(quantity))
			throw new ValidationError(`quantity ${quantity} is not a whole number; write a fraction as a decimal string`);
		return BigInt(quantity) * QUANTITY_SCALE;
	}
	const match = DECIMAL_QUANTITY.exec(quantity);
	if (!match) throw new ValidationError(`quantity ${JSON.stringify(quantity)}: digits with at most ${QUANTITY_DECIMALS} decimals`);
	return BigInt(`${match[1]}${(match[2] ?? "").padEnd(QUANTITY_DECIMALS, "0")}`);
}

/**
 * Reads a quantity as written ("3", "2.50", "0.000125") without floats: a whole number
 * when it has no fraction, else its shortest decimal string. Refuses a sign, an exponent
 * and more than 6 decimals.
 */
export function parseQuantity(text: string): Quantity {
	const trimmed = text.trim();
	const match = DECIMAL_QUANTITY.exec(trimmed);
	if (!match) {
		throw new ValidationError(
			/^\d+\.\d+$/.test(trimmed)
				? `${JSON.stringify(text)} has more than ${QUANTITY_DECIMALS} decimals`
				: `${JSON.stringify(text)} is not a quantity: digits with at most one decimal point, e.g. 2.5`,
		);
	}
	const whole = match[1]?.replace(/^0+(?=\d)/, "") ?? "0";
	const fraction = (match[2] ?? "").replace(/0+$/, "");
	if (fraction === "") {
		const n = Number(whole);
		if (!Number.isSafeInteger(n)) throw new ValidationError(`${JSON.stringify(text)} is too large`);
		return n;
	}
	if (whole.length > 9) throw new ValidationError(`${JSON.stringify(text)} is too large`);
	return `${whole}.${fraction}`;
}

/** quantity × unit price, rounded half-up to the minor unit. */
export function extendLine(unitAmount: number, quantity: Quantity): number {
	return Number(divideRoundHalfUp(BigInt(unitAmount) * quantityMicros(quantity), QUANTITY_SCALE));
}

/** A tax rate is in parts per million of the amount: percent × 10,000 (8.875% is 88,750), so a 4-decimal percent is exact. */
export const TAX_RATE_SCALE = 1_000_000;

/** Tax on a line: amount × rate (parts per million), rounded half-up per line. */
export function taxPerLineHalfUp(amount: number, ratePpm: number): number {
	return Number(divideRoundHalfUp(BigInt(amount) * BigInt(ratePpm), BigInt(TAX_RATE_SCALE)));
}

/** A percent as written ("8.875", "20") in parts per million, without floats; at most 4 decimals, at most 100. */
export function parsePercentPpm(text: string): number {
	const match = /^(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text.trim());
	if (!match) throw new ValidationError(`${JSON.stringify(text)} is not a percent: digits with at most 4 decimals, e.g. 8.875`);
	const ppm = Number(`${match[1]}${(match[2] ?? "").padEnd(4, "0")}`);
	if (ppm > TAX_RATE_SCALE) throw new ValidationError(`${JSON.stringify(text)} is over 100 percent`);
	return ppm;
}

/** Formats for people (PDF, email): "USD 1,234.50", "JPY 12,000", "KWD 1.250". */
export function formatMoney(m: Money): string {
	const digits = minorUnitDigits(m.currency);
	const negative = m.amount < 0;
	const abs = BigInt(Math.abs(m.amount));
	const scale = 10n ** BigInt(digits);
	const whole = (abs / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	const fraction = digits > 0 ? `.${(abs % scale).toString().padStart(digits, "0")}` : "";
	return `${negative ? "-" : ""}${m.currency} ${whole}${fraction}`;
}
