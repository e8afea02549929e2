import { parse } from "csv-parse/sync";
import * as z from "zod";
import { ValidationError } from "../../core/errors.js";
import { currencySchema } from "../../core/money.js";
import type { WriteDeps } from "../../store/transact.js";
import { recordPayment } from "../recording.js";
import type { PaymentReceived, WebhookOutcome } from "../types.js";
import { looksLikeBai2, parseBai2 } from "./bai2.js";
import { parseCamt053 } from "./camt.js";
import { looksLikeMt940, parseMt940 } from "./mt940.js";
import { contentId, isUnusable, occurrenceId, parseDecimalAmount, type StatementLine } from "./statement.js";

export { parseCamt053 } from "./camt.js";
export { parseDecimalAmount } from "./statement.js";

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
	/** Where the entry is: a CSV line, or a statement entry ("Ntry 3 TxDtls 1", "Stmt 1 :61: 2 (line 7)", "line 12 (16)"). */
	readonly line?: number;
	readonly entry?: string;
	readonly outcome:
		| WebhookOutcome
		| { readonly result: "skipped_debit" | "skipped_reversal" | "skipped_charge" | "skipped_not_booked"; readonly reason: string }
		| { readonly result: "rejected"; readonly reason: string };
	readonly amount?: number;
	readonly currency?: string;
	readonly reference?: string;
	/** The booking date as the bank states it (YYYY-MM-DD). */
	readonly date?: string;
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

const DEBIT = "a debit (amount not positive), money out, not a payment received";

/**
 * A bank statement export (CSV with a header: date, amount, currency, reference and
 * optionally id and account). Each credit is recorded as a payment matched by its
 * reference; debits are skipped. Importing the same file again records nothing twice:
 * a row's payment id is the bank's transaction id or a hash of the row.
 */
export async function importBankStatementCsv(deps: WriteDeps, csv: string): Promise<ImportedRow[]> {
	let records: Record<string, string>[];
	try {
		records = parse(csv, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, trim: true });
	} catch (err) {
		throw new ValidationError(`bank statement is not valid CSV: ${(err as Error).message}`, { cause: err });
	}
	const results: ImportedRow[] = [];
	const occurrences = new Map<string, number>();
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
			results.push({ line, amount, currency, reference, date, outcome: { result: "skipped_debit", reason: DEBIT } });
			continue;
		}
		const paymentId = id ? `bank-${id}` : occurrenceId([date, row.data.amount, currency, reference, account ?? ""], occurrences);
		const payment = bankPayment("bank", paymentId, amount, currency, reference, `${date}T00:00:00.000Z`, account);
		const outcome = await recordPayment(deps, payment, "bank.credit", JSON.stringify(record));
		results.push({ line, amount, currency, reference, date, outcome });
	}
	return results;
}

export type StatementFormat = "camt.053" | "mt940" | "bai2" | "csv";

/** Which format a statement export is in, from its content: XML, SWIFT tags, a BAI2 file header, or else CSV. */
export function detectStatementFormat(content: string): StatementFormat {
	const body = content.replace(/^\uFEFF/, "").trimStart();
	if (body.startsWith("<")) return "camt.053";
	if (looksLikeBai2(body)) return "bai2";
	if (looksLikeMt940(body)) return "mt940";
	return "csv";
}

/** Each entry's outcome: a payment is recorded and matched; anything else is skipped, saying why. */
async function importStatementLines(deps: WriteDeps, lines: readonly StatementLine[]): Promise<ImportedRow[]> {
	const results: ImportedRow[] = [];
	for (const line of lines) {
		if (isUnusable(line)) {
			results.push({ entry: line.entry, outcome: { result: "rejected", reason: line.unusable } });
			continue;
		}
		const { entry, amount, currency, reference, bookingDate: date } = line;
		const row = { entry, amount, currency, reference, date };
		if (line.kind !== "payment") {
			const reason = line.why ?? `a ${line.kind}, not a payment received`;
			results.push({ ...row, outcome: { result: SKIPPED[line.kind], reason } });
			continue;
		}
		if (line.notBooked) {
			results.push({ ...row, outcome: { result: "skipped_not_booked", reason: line.notBooked } });
			continue;
		}
		const payment = bankPayment("bank", line.paymentId, amount, currency, reference, `${date}T00:00:00.000Z`);
		const outcome = await recordPayment(deps, payment, "bank.credit", JSON.stringify(line));
		results.push({ ...row, outcome });
	}
	return results;
}

const SKIPPED = { debit: "skipped_debit", reversal: "skipped_reversal", charge: "skipped_charge" } as const;

const PARSERS: Record<Exclude<StatementFormat, "csv">, (content: string) => StatementLine[]> = {
	"camt.053": parseCamt053,
	mt940: parseMt940,
	bai2: parseBai2,
};

/**
 * A bank statement export in any format the banks write (camt.053, MT940, BAI2, or the
 * CSV of section 6), told apart by its content. Every entry gets a row: a credit is
 * recorded as a payment matched by its reference; a debit, a reversal, a bank charge, an
 * entry not booked yet or one that cannot be read is skipped with the reason. Only a file
 * that is not a statement at all is refused, and then nothing is recorded.
 */
export async function importBankStatement(deps: WriteDeps, content: string): Promise<ImportedRow[]> {
	const body = content.replace(/^\uFEFF/, "");
	const format = detectStatementFormat(body);
	return format === "csv" ? importBankStatementCsv(deps, body) : importStatementLines(deps, PARSERS[format](body));
}

export interface ManualPayment {
	readonly accountId: string;
	readonly amount: string;
	readonly currency: string;
	readonly reference: string;
	readonly receivedAt?: string;
}

/** A cheque or other payment an operator enters; the same cheque entered twice is recorded once. */
export async function recordManualPayment(deps: WriteDeps & { readonly actor?: string }, input: ManualPayment): Promise<WebhookOutcome> {
	const currency = currencySchema.safeParse(input.currency);
	if (!currency.success) throw new ValidationError(currency.error.issues[0]?.message ?? "unknown currency");
	const amount = parseDecimalAmount(input.amount, currency.data);
	if (amount <= 0) throw new ValidationError("amount must be positive");
	if (!input.reference.trim()) throw new ValidationError("a reference (e.g. the cheque number) is required");
	const paymentId = contentId("manual", [input.accountId, input.reference.trim(), currency.data]);
	const receivedAt = input.receivedAt ?? new Date().toISOString();
	const payment = bankPayment("manual", paymentId, amount, currency.data, input.reference.trim(), receivedAt, input.accountId);
	return recordPayment(deps, payment, "manual.payment", JSON.stringify(input), {
		...(deps.actor ? { actor: deps.actor } : {}),
		reference: input.reference.trim(),
	});
}
