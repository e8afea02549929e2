import { createHash } from "node:crypto";
import { parse } from "csv-parse/sync";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import { ValidationError } from "../../core/errors.js";
import { currencySchema, minorUnitDigits } from "../../core/money.js";
import type { WriteDeps } from "../../store/transact.js";
import { recordPayment } from "../recording.js";
import type { PaymentReceived, WebhookOutcome } from "../types.js";

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
	/** Where the payment came from: a CSV line, or a camt.053 entry ("Ntry 2", "Ntry 3 TxDtls 1"). */
	readonly line?: number;
	readonly entry?: string;
	readonly outcome:
		| WebhookOutcome
		| { readonly result: "skipped_debit" }
		| { readonly result: "skipped_not_booked"; readonly reason: string }
		| { readonly result: "rejected"; readonly reason: string };
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
 * A row without the bank's id is known by its content and by which occurrence of that
 * content it is in the file: two customers paying the same amount with the same reference
 * on the same day are two payments, and importing the file again finds both again.
 */
function rowContentId(parts: readonly string[], occurrences: Map<string, number>): string {
	const key = parts.join("\u0000");
	const occurrence = (occurrences.get(key) ?? 0) + 1;
	occurrences.set(key, occurrence);
	// The first keeps the id rows had before occurrences counted, so files imported then are not recorded again.
	return contentId("bank", occurrence === 1 ? parts : [...parts, `occurrence ${occurrence}`]);
}

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
			results.push({ line, amount, currency, reference, outcome: { result: "skipped_debit" } });
			continue;
		}
		const paymentId = id ? `bank-${id}` : rowContentId([date, row.data.amount, currency, reference, account ?? ""], occurrences);
		const payment = bankPayment("bank", paymentId, amount, currency, reference, `${date}T00:00:00.000Z`, account);
		const outcome = await recordPayment(deps, payment, "bank.credit", JSON.stringify(record));
		results.push({ line, amount, currency, reference, outcome });
	}
	return results;
}

/** One credit or debit of a camt.053 statement, read and checked before anything is recorded. */
export interface CamtTransaction {
	readonly entry: string;
	readonly paymentId: string;
	readonly credit: boolean;
	/** Only booked, non-reversed entries are money received; pending and information entries are not. */
	readonly notBooked?: string;
	readonly amount: number;
	readonly currency: string;
	readonly bookingDate: string;
	readonly reference: string;
	readonly debtorName?: string;
}

const camtParser = new XMLParser({
	ignoreAttributes: false,
	attributeNamePrefix: "@_",
	removeNSPrefix: true,
	// Amounts and references stay strings: "120.50" must never pass through a float.
	parseTagValue: false,
	parseAttributeValue: false,
	isArray: (name) => ["Stmt", "Ntry", "TxDtls", "Ustrd", "Strd"].includes(name),
});

type XmlNode = Record<string, unknown>;

function child(node: unknown, ...path: string[]): unknown {
	let current = node;
	for (const key of path) current = current && typeof current === "object" ? (current as XmlNode)[key] : undefined;
	return current;
}

function text(node: unknown): string | undefined {
	const value = node && typeof node === "object" ? (node as XmlNode)["#text"] : node;
	return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

function list(node: unknown): unknown[] {
	return Array.isArray(node) ? node : node === undefined ? [] : [node];
}

function camtAmount(node: unknown, where: string): { amount: number; currency: string } {
	const value = text(node);
	const currency = currencySchema.safeParse(child(node, "@_Ccy"));
	if (!value || !currency.success) throw new ValidationError(`${where}: Amt with a Ccy attribute is required`);
	let amount: number;
	try {
		amount = parseDecimalAmount(value, currency.data);
	} catch (err) {
		throw new ValidationError(`${where}: ${(err as Error).message}`, { cause: err });
	}
	if (amount <= 0) throw new ValidationError(`${where}: amount ${value} must be positive (the direction is CdtDbtInd)`);
	return { amount, currency: currency.data };
}

/** The structured creditor reference first, then the free text: an invoice number in either names the invoice. */
function remittance(tx: unknown): string {
	const structured = list(child(tx, "RmtInf", "Strd")).map((s) => text(child(s, "CdtrRefInf", "Ref")));
	const unstructured = list(child(tx, "RmtInf", "Ustrd")).map(text);
	return [...structured, ...unstructured].filter((r): r is string => r !== undefined).join(" ");
}

/**
 * The entries of an ISO 20022 camt.053 bank-to-customer statement. A batch entry with
 * several TxDtls is one payment per transaction, and their amounts must add up to the
 * entry's. Anything malformed refuses the whole file, so a bad export records nothing.
 * A transaction's payment id is the bank's AcctSvcrRef or, without one, a hash of the
 * statement id, the entry's position and its content, so the same file imports once.
 */
export function parseCamt053(xml: string): CamtTransaction[] {
	const valid = XMLValidator.validate(xml);
	if (valid !== true) throw new ValidationError(`bank statement is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
	const statements = list(child(camtParser.parse(xml), "Document", "BkToCstmrStmt", "Stmt"));
	if (statements.length === 0) throw new ValidationError("bank statement is not a camt.053 statement (no Document/BkToCstmrStmt/Stmt)");
	const transactions: CamtTransaction[] = [];
	for (const [s, stmt] of statements.entries()) {
		const statementId = text(child(stmt, "Id")) ?? `${s + 1}`;
		for (const [n, ntry] of list(child(stmt, "Ntry")).entries()) {
			const entry = `${statements.length > 1 ? `Stmt ${s + 1} ` : ""}Ntry ${n + 1}`;
			const indicator = text(child(ntry, "CdtDbtInd"));
			if (indicator !== "CRDT" && indicator !== "DBIT") throw new ValidationError(`${entry}: CdtDbtInd must be CRDT or DBIT`);
			const total = camtAmount(child(ntry, "Amt"), entry);
			const bookingDate = (text(child(ntry, "BookgDt", "Dt")) ?? text(child(ntry, "BookgDt", "DtTm")))?.slice(0, 10);
			if (!bookingDate || !/^\d{4}-\d{2}-\d{2}$/.test(bookingDate)) throw new ValidationError(`${entry}: BookgDt/Dt is required`);
			const entryRef = text(child(ntry, "AcctSvcrRef"));
			// camt.053.001.02 has Sts as text, later versions Sts/Cd.
			const status = text(child(ntry, "Sts", "Cd")) ?? text(child(ntry, "Sts")) ?? "BOOK";
			const reversal = text(child(ntry, "RvslInd")) === "true";
			const notBooked = reversal ? "a reversal entry (RvslInd)" : status !== "BOOK" ? `entry status ${status}, not booked` : undefined;
			const details = list(child(ntry, "NtryDtls")).flatMap((d) => list(child(d, "TxDtls")));
			const parts = (details.length > 0 ? details : [ntry]).map((tx, t) => {
				const where = details.length > 1 ? `${entry} TxDtls ${t + 1}` : entry;
				const txAmount = child(tx, "Amt") ?? child(tx, "AmtDtls", "TxAmt", "Amt");
				const { amount, currency } = details.length > 1 || txAmount !== undefined ? camtAmount(txAmount, where) : total;
				const reference = remittance(tx) || (text(child(ntry, "AddtlNtryInf")) ?? "");
				const debtorName = text(child(tx, "RltdPties", "Dbtr", "Nm")) ?? text(child(tx, "RltdPties", "Dbtr", "Pty", "Nm"));
				const ref = text(child(tx, "Refs", "AcctSvcrRef")) ?? (entryRef && details.length > 1 ? `${entryRef}-${t + 1}` : entryRef);
				const paymentId = ref
					? `bank-${ref}`
					: contentId("bank", [statementId, where, bookingDate, `${amount}`, currency, reference, debtorName ?? ""]);
				return {
					entry: where,
					paymentId,
					credit: indicator === "CRDT",
					...(notBooked ? { notBooked } : {}),
					amount,
					currency,
					bookingDate,
					reference,
					...(debtorName ? { debtorName } : {}),
				};
			});
			if (parts.some((p) => p.currency !== total.currency) || parts.reduce((sum, p) => sum + p.amount, 0) !== total.amount) {
				throw new ValidationError(`${entry}: the TxDtls amounts do not add up to the entry's Amt ${total.amount} ${total.currency}`);
			}
			transactions.push(...parts);
		}
	}
	return transactions;
}

/** A camt.053 statement: each credit recorded as a payment matched by its reference, debits skipped. */
async function importBankStatementCamt053(deps: WriteDeps, xml: string): Promise<ImportedRow[]> {
	const transactions = parseCamt053(xml);
	const results: ImportedRow[] = [];
	for (const tx of transactions) {
		const { entry, amount, currency, reference } = tx;
		if (!tx.credit) {
			results.push({ entry, amount, currency, reference, outcome: { result: "skipped_debit" } });
			continue;
		}
		if (tx.notBooked) {
			results.push({ entry, amount, currency, reference, outcome: { result: "skipped_not_booked", reason: tx.notBooked } });
			continue;
		}
		const payment = bankPayment("bank", tx.paymentId, amount, currency, reference, `${tx.bookingDate}T00:00:00.000Z`);
		const outcome = await recordPayment(deps, payment, "bank.credit", JSON.stringify(tx));
		results.push({ entry, amount, currency, reference, outcome });
	}
	return results;
}

/** A bank statement export in either format, told apart by its first character: XML opens with "<". */
export function importBankStatement(deps: WriteDeps, content: string): Promise<ImportedRow[]> {
	const body = content.replace(/^\uFEFF/, "");
	return body.trimStart().startsWith("<") ? importBankStatementCamt053(deps, body) : importBankStatementCsv(deps, body);
}

export interface ManualPayment {
	readonly accountId: string;
	readonly amount: string;
	readonly currency: string;
	readonly reference: string;
	readonly receivedAt?: string;
}

/** A cheque or other payment an operator enters; the same cheque entered twice is recorded once. */
export async function recordManualPayment(deps: WriteDeps, input: ManualPayment): Promise<WebhookOutcome> {
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
