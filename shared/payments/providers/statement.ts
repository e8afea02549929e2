import { createHash } from "node:crypto";
import { ValidationError } from "../../core/errors.js";
import { minorUnitDigits } from "../../core/money.js";

/**
 * A decimal amount as a bank or an operator writes it ("1,234.50", "-12.3", "1200") read
 * into minor units by string arithmetic, never through a float. It is read by value:
 * "105.750" EUR is 105.75; a digit beyond the currency's decimals that is not zero is an
 * error, not a rounding.
 */
export function parseDecimalAmount(text: string, currency: string): number {
	const digits = minorUnitDigits(currency);
	const match = /^(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/.exec(text.trim());
	if (!match) throw new ValidationError(`amount ${JSON.stringify(text)} is not a decimal number`);
	const [, sign, whole = "0", fraction = ""] = match;
	if (/[^0]/.test(fraction.slice(digits))) throw new ValidationError(`amount ${text} has more than ${digits} decimals for ${currency}`);
	const minor = BigInt(whole.replaceAll(",", "") + fraction.slice(0, digits).padEnd(digits, "0"));
	if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new ValidationError(`amount ${text} is too large`);
	return Number(sign ? -minor : minor);
}

/**
 * What a statement entry is to accounts receivable: only a `payment` is money a customer
 * sent. A `reversal` takes back an earlier booking, a `charge` is the bank's own fee or
 * its refund, a `debit` is money going out.
 */
export type StatementEntryKind = "payment" | "reversal" | "charge" | "debit";

/** One entry of a bank statement, whatever its format, read and checked before anything is recorded. */
export interface StatementEntry {
	/** Where it is in the file, as a person finds it there: "Stmt 1 Ntry 2", "Stmt 1 :61: 3", "line 7 (16)". */
	readonly entry: string;
	readonly paymentId: string;
	readonly kind: StatementEntryKind;
	/** Why this kind and not a payment, said per entry ("a debit (CdtDbtInd DBIT)"). */
	readonly why?: string;
	readonly credit: boolean;
	/** Set when the bank has not booked it (pending, information only): not money received yet. */
	readonly notBooked?: string;
	readonly amount: number;
	readonly currency: string;
	readonly bookingDate: string;
	readonly valueDate?: string;
	/** Remittance text and references: an invoice number anywhere in it names the invoice. */
	readonly reference: string;
	readonly bankReference?: string;
	readonly debtorName?: string;
}

/** An entry that cannot be used (no amount, a bad date...): skipped, saying why, while the rest of the file is read. */
export interface UnusableEntry {
	readonly entry: string;
	readonly unusable: string;
}

export type StatementLine = StatementEntry | UnusableEntry;

export function isUnusable(line: StatementLine): line is UnusableEntry {
	return "unusable" in line;
}

/** Runs one entry's reading; a ValidationError makes it an unusable entry instead of refusing the file. */
export function readEntry(entry: string, read: () => StatementEntry | StatementEntry[]): StatementLine[] {
	try {
		const result = read();
		return Array.isArray(result) ? result : [result];
	} catch (err) {
		if (!(err instanceof ValidationError)) throw err;
		return [{ entry, unusable: err.message }];
	}
}

export function contentId(prefix: string, parts: readonly string[]): string {
	return `${prefix}-${createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 24)}`;
}

/**
 * An entry without the bank's own id is known by its content and by which occurrence of
 * that content it is in the file: two customers paying the same amount with the same
 * reference on the same day are two payments, and importing the file again finds both again.
 */
export function occurrenceId(parts: readonly string[], occurrences: Map<string, number>): string {
	const key = parts.join("\u0000");
	const occurrence = (occurrences.get(key) ?? 0) + 1;
	occurrences.set(key, occurrence);
	// The first keeps the id rows had before occurrences counted, so files imported then are not recorded again.
	return contentId("bank", occurrence === 1 ? parts : [...parts, `occurrence ${occurrence}`]);
}

/** YYMMDD as SWIFT and BAI write dates; two-digit years are this century's (banks exported none of these before 1980). */
export function shortDate(yymmdd: string, where: string): string {
	const match = /^(\d{2})(\d{2})(\d{2})$/.exec(yymmdd);
	const year = match ? Number(match[1]) + (Number(match[1]) < 80 ? 2000 : 1900) : 0;
	const iso = match ? `${year}-${match[2]}-${match[3]}` : "";
	const date = new Date(`${iso}T00:00:00Z`);
	if (!match || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso) {
		throw new ValidationError(`${where}: date ${JSON.stringify(yymmdd)} is not a YYMMDD date`);
	}
	return iso;
}
