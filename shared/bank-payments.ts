import { createHash } from "node:crypto";
import { parse } from "csv-parse/sync";
import { z } from "zod";
import type { TableDeps } from "./db.js";
import { ValidationError } from "./errors.js";
import { currencySchema, minorUnitDigits } from "./money.js";
import { recordPayment, type WebhookOutcome } from "./payments.js";
import type { PaymentReceived } from "./stripe-webhook.js";

/**
 * A decimal amount as a bank or an operator writes it ("1,234.50", "-12.3", "1200") read
 * into minor units by string arithmetic, never through a float. More decimals than the
 * currency has is an error, not a rounding.
 */
export function parseDecimalAmount(text: string, currency: string): number {
	const digits = minorUnitDigits(currency);
	const match = /^(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/.exec(text.trim());
	if (!match) throw new ValidationError(`amount ${JSON.stringify(text)} is not a decimal number`);
	const [, sign, whole = "0", fraction = ""] = match;
	if (fraction.length > digits) throw new ValidationError(`amount ${text} has more than ${digits} decimals for ${currency}`);
	const minor = BigInt(whole.replaceAll(",", "") + fraction.padEnd(digits, "0"));
	if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new ValidationError(`amount ${text} is too large`);
	return Number(sign ? -minor : minor);
}

/** Invoice numbers as printed (INV-2026-000123), found anywhere in a free-text reference. */
const INVOICE_NUMBER_IN_TEXT = /\b[A-Z]{2,10}-\d{4}-\d{6}\b/;

const statementRowSchema = z.object({
	date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: "date must be YYYY-MM-DD" }),
	amount: z.string().min(1),
	currency: currencySchema,
	reference: z.string().default(""),
	/** The bank's transaction id, when the export has one; otherwise the row's content identifies it. */
	id: z.string().optional(),
	account: z.string().optional(),
});

export interface ImportedRow {
	readonly line: number;
	readonly outcome: WebhookOutcome | { readonly result: "skipped_debit" } | { readonly result: "rejected"; readonly reason: string };
	readonly amount?: number;
	readonly currency?: string;
	readonly reference?: string;
}

function bankPayment(
	provider: string,
	id: string,
	amount: number,
	currency: string,
	reference: string,
	receivedAt: string,
	accountId?: string,
): PaymentReceived {
	const invoiceNumber = INVOICE_NUMBER_IN_TEXT.exec(reference.toUpperCase())?.[0];
	return {
		provider,
		eventId: id,
		paymentId: id,
		amount,
		currency,
		...(invoiceNumber ? { invoiceNumber } : {}),
		...(accountId ? { accountId } : {}),
		receivedAt,
	};
}

function contentId(prefix: string, parts: readonly string[]): string {
	return `${prefix}-${createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 24)}`;
}

/**
 * A bank statement export (CSV with a header: date, amount, currency, reference and
 * optionally id and account). Each credit is recorded as a payment matched by its
 * reference; debits are skipped. Importing the same file again records nothing twice:
 * a row's payment id is the bank's transaction id or a hash of the row.
 */
export async function importBankStatementCsv(deps: TableDeps, csv: string): Promise<ImportedRow[]> {
	let records: Record<string, string>[];
	try {
		records = parse(csv, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, trim: true });
	} catch (err) {
		throw new ValidationError(`bank statement is not valid CSV: ${(err as Error).message}`, { cause: err });
	}
	const results: ImportedRow[] = [];
	for (const [index, record] of records.entries()) {
		const line = index + 2;
		const row = statementRowSchema.safeParse(record);
		if (!row.success) {
			results.push({
				line,
				outcome: { result: "rejected", reason: row.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") },
			});
			continue;
		}
		const { date, currency, reference, id, account } = row.data;
		let amount: number;
		try {
			amount = parseDecimalAmount(row.data.amount, currency);
		} catch (err) {
			results.push({ line, outcome: { result: "rejected", reason: (err as Error).message } });
			continue;
		}
		if (amount <= 0) {
			results.push({ line, amount, currency, reference, outcome: { result: "skipped_debit" } });
			continue;
		}
		const paymentId = id ? `bank-${id}` : contentId("bank", [date, row.data.amount, currency, reference, account ?? ""]);
		const payment = bankPayment("bank", paymentId, amount, currency, reference, `${date}T00:00:00.000Z`, account);
		const outcome = await recordPayment(deps, payment, "bank.credit", JSON.stringify(record));
		results.push({ line, amount, currency, reference, outcome });
	}
	return results;
}

export interface ManualPayment {
	readonly accountId: string;
	readonly amount: string;
	readonly currency: string;
	readonly reference: string;
	readonly receivedAt?: string;
}

/** A cheque or other payment an operator enters; the same cheque entered twice is recorded once. */
export async function recordManualPayment(deps: TableDeps, input: ManualPayment): Promise<WebhookOutcome> {
	const currency = currencySchema.safeParse(input.currency);
	if (!currency.success) throw new ValidationError(currency.error.issues[0]?.message ?? "unknown currency");
	const amount = parseDecimalAmount(input.amount, currency.data);
	if (amount <= 0) throw new ValidationError("amount must be positive");
	if (!input.reference.trim()) throw new ValidationError("a reference (e.g. the cheque number) is required");
	const paymentId = contentId("manual", [input.accountId, input.reference.trim(), currency.data]);
	const receivedAt = input.receivedAt ?? new Date().toISOString();
	const payment = bankPayment("manual", paymentId, amount, currency.data, input.reference.trim(), receivedAt, input.accountId);
	return recordPayment(deps, payment, "manual.payment", JSON.stringify(input));
}
