import { ValidationError } from "../../core/errors.js";
import { currencySchema } from "../../core/money.js";
import { occurrenceId, parseDecimalAmount, readEntry, type StatementEntry, type StatementLine, shortDate } from "./statement.js";

interface Field {
	readonly tag: string;
	readonly lines: string[];
	readonly line: number;
}

/** A file holds MT940 statements when it has a :20: and a :61: or balance field at the start of a line. */
export function looksLikeMt940(content: string): boolean {
	return /^:20:/m.test(content) && /^:(?:60[FM]|61|62[FM]):/m.test(content);
}

/** Tagged fields in file order; the SWIFT envelope ({1:...}{2:...}{4: ... -}) and bank header lines before the first tag are not fields. */
function fields(content: string): Field[] {
	const result: Field[] = [];
	const lines = content.replace(/^\uFEFF/, "").split(/\r?\n/);
	for (const [index, raw] of lines.entries()) {
		const line = raw.replace(/\{[1-3]:[^}]*\}|\{4:|\{5:.*$/g, "");
		const tag = /^:(\d{2}[A-Z]?):(.*)$/.exec(line);
		if (tag) result.push({ tag: tag[1] as string, lines: [tag[2] as string], line: index + 1 });
		else if (/^-\}?\s*$/.test(line) || line.startsWith("{")) continue;
		else result.at(-1)?.lines.push(line);
	}
	return result;
}

const STATEMENT_LINE = /^(\d{6})(\d{4})?(RC|RD|C|D)([A-Z])?(\d+),(\d*)([NFS][A-Z0-9]{3})(.*)$/;

// SEPA keywords of the German purpose subfields (?20-?29, ?60-?63), in the order a matcher wants them.
const SEPA_KEYS = ["SVWZ", "EREF", "KREF", "MREF", "CRED", "DEBT", "ABWA", "ABWE", "BREF", "COAM", "OAMT", "RREF"];
// Dutch structured fields (ABN AMRO, ING, Rabobank): /TAG/value.
const DUTCH_TAGS =
	"TRTP|IBAN|BIC|NAME|REMI|EREF|ORDP|BENM|ID|CSID|MARF|ISDT|RTRN|PREF|CNTP|ADDR|SVCL|PURP|ULTC|ULTD|ULTB|EXCH|OCMT|CHGS|CDTRREF|CDTRREFTP|CD|ISSR|USTD|STRD|ACCW|BUSP";

interface Details {
	readonly reference: string;
	readonly debtorName?: string;
	/** The German business transaction code (Geschäftsvorfallcode) and its posting text (?00). */
	readonly gvc?: string;
	readonly postingText?: string;
}

// German business transaction codes that are not a customer's payment: returns of a transfer or
// direct debit, and the bank's own charges.
const GVC_REVERSALS = new Set(["108", "109", "159"]);
const GVC_CHARGES = new Set(["805", "808"]);

/** The German structured form: a business transaction code, then ?NN subfields. */
function germanDetails(text: string): Details {
	const sub = new Map<string, string>();
	for (const match of text.matchAll(/\?(\d{2})([^?]*)/g)) sub.set(match[1] as string, `${sub.get(match[1] as string) ?? ""}${match[2]}`);
	const purposeKeys = [...Array.from({ length: 10 }, (_, i) => `2${i}`), "60", "61", "62", "63"];
	const purpose = purposeKeys.map((k) => sub.get(k) ?? "").join("");
	const keyed = new Map<string, string>();
	const parts = purpose.split(new RegExp(`(${SEPA_KEYS.join("|")})\\+`));
	for (let i = 1; i < parts.length; i += 2) keyed.set(parts[i] as string, (parts[i + 1] ?? "").trim());
	const reference =
		keyed.size > 0
			? ["SVWZ", "EREF", "KREF", "MREF"]
					.map((k) => keyed.get(k))
					.filter((v) => v && v !== "NOTPROVIDED")
					.join(" ")
			: purpose.trim();
	const name = `${sub.get("32") ?? ""}${sub.get("33") ?? ""}`.replace(/\s+/g, " ").trim();
	const postingText = (sub.get("00") ?? "").trim();
	return {
		reference: reference || postingText,
		...(name ? { debtorName: name } : {}),
		gvc: text.slice(0, 3),
		...(postingText ? { postingText } : {}),
	};
}

/** The Dutch structured form: /TRTP/SEPA OVERBOEKING/IBAN/.../NAME/.../REMI/.../EREF/... */
function dutchDetails(text: string): Details {
	const values = new Map<string, string>();
	const parts = text.split(new RegExp(`/(${DUTCH_TAGS})/`));
	for (let i = 1; i < parts.length; i += 2) {
		const tag = parts[i] as string;
		if (!values.has(tag)) values.set(tag, (parts[i + 1] ?? "").replace(/^\/+|\/+$/g, "").trim());
	}
	const remittance = values.get("REMI") ?? values.get("USTD") ?? "";
	const reference = [remittance, values.get("EREF")].filter((v) => v && v !== "NOTPROVIDED").join(" ");
	const name = values.get("NAME");
	return { reference: reference || (values.get("TRTP") ?? ""), ...(name ? { debtorName: name } : {}) };
}

/**
 * The :86: information to the account owner, in the dialect the bank writes: German SEPA
 * subfields, Dutch /TAG/ fields, or free text. Structured forms are hard-wrapped at 65
 * characters, so their lines join without a space; free text lines are words.
 */
function details(lines: readonly string[]): Details {
	const first = lines[0] ?? "";
	if (/^\d{3}\?|^\?\d{2}/.test(first)) return germanDetails(lines.join(""));
	if (new RegExp(`^/(${DUTCH_TAGS})/`).test(first)) return dutchDetails(lines.join(""));
	return {
		reference: lines
			.map((l) => l.trim())
			.filter(Boolean)
			.join(" "),
	};
}

function kindOf(mark: string, type: string, info: Details): Pick<StatementEntry, "kind" | "why"> {
	if (mark === "RC" || mark === "RD") {
		return {
			kind: "reversal",
			why: `a reversal of an earlier ${mark === "RC" ? "credit" : "debit"} (mark ${mark}), not a payment received`,
		};
	}
	const gvc = info.gvc ? `GVC ${info.gvc}${info.postingText ? ` ${info.postingText}` : ""}` : "";
	if (info.gvc && GVC_REVERSALS.has(info.gvc))
		return { kind: "reversal", why: `a returned transfer or direct debit (${gvc}), not a payment received` };
	if (/^[NFS](CHG|COM)$/.test(type)) return { kind: "charge", why: `a bank charge (transaction type ${type}), not a payment received` };
	if (info.gvc && GVC_CHARGES.has(info.gvc)) return { kind: "charge", why: `a bank charge (${gvc}), not a payment received` };
	return mark === "C" ? { kind: "payment" } : { kind: "debit", why: "a debit (mark D), money out, not a payment received" };
}

/** MMDD of an entry date, in the year that puts it next to its value date (a booking in January for a December value date). */
function entryDate(mmdd: string, valueDate: string, where: string): string {
	const year = Number(valueDate.slice(0, 4));
	const month = Number(mmdd.slice(0, 2));
	const valueMonth = Number(valueDate.slice(5, 7));
	const shift = month === 1 && valueMonth === 12 ? 1 : month === 12 && valueMonth === 1 ? -1 : 0;
	return shortDate(`${String(year + shift).slice(2)}${mmdd}`, where);
}

interface StatementContext {
	readonly account: string;
	readonly currency?: string;
	readonly label: string;
	readonly occurrences: Map<string, number>;
}

function readStatementLine(field: Field, info: readonly string[] | undefined, context: StatementContext, where: string): StatementEntry {
	const match = STATEMENT_LINE.exec((field.lines[0] ?? "").trim());
	if (!match) throw new ValidationError(`${where}: :61: ${JSON.stringify(field.lines[0])} is not date, D/C mark, amount, type`);
	const [, value = "", entry, mark = "", , whole = "", fraction = "", type = "", refs = ""] = match;
	if (!context.currency) throw new ValidationError(`${where}: no currency (the statement has no :60F: opening balance)`);
	const valueDate = shortDate(value, where);
	const bookingDate = entry ? entryDate(entry, valueDate, where) : valueDate;
	const amount = parseDecimalAmount(fraction ? `${whole}.${fraction}` : whole, context.currency);
	if (amount <= 0) throw new ValidationError(`${where}: amount ${whole},${fraction} must be positive (the direction is the D/C mark)`);
	const [customerRef = "", bankRef = ""] = refs.split("//", 2).map((r) => r.trim());
	const supplementary = field.lines.slice(1).join(" ").trim();
	const info86 = details(info ?? []);
	const ownRef = customerRef && customerRef !== "NONREF" ? customerRef : "";
	const reference = [info86.reference, ownRef, supplementary].filter(Boolean).join(" ");
	const paymentId = occurrenceId(
		["mt940", context.account, value, entry ?? "", mark, `${amount}`, context.currency, customerRef, bankRef, (info ?? []).join("\n")],
		context.occurrences,
	);
	return {
		entry: where,
		paymentId,
		...kindOf(mark, type, info86),
		credit: mark === "C" || mark === "RD",
		amount,
		currency: context.currency,
		bookingDate,
		valueDate,
		reference,
		...(bankRef ? { bankReference: bankRef } : {}),
		...(info86.debtorName ? { debtorName: info86.debtorName } : {}),
	};
}

/**
 * The entries of SWIFT MT940 customer statements, several to a file: each :61: statement
 * line with the :86: information that follows it. The currency is the opening balance's
 * (:60F: or :60M:). An entry that cannot be read is returned as unusable, saying why.
 */
export function parseMt940(content: string): StatementLine[] {
	const all = fields(content);
	if (!all.some((f) => f.tag === "20")) throw new ValidationError("bank statement is not an MT940 statement (no :20: field)");
	const lines: StatementLine[] = [];
	const occurrences = new Map<string, number>();
	let statement = 0;
	let context: StatementContext = { account: "", label: "", occurrences };
	let count = 0;
	for (const [i, field] of all.entries()) {
		if (field.tag === "20") {
			statement += 1;
			count = 0;
			const rest = all.slice(i + 1);
			const end = rest.findIndex((f) => f.tag === "20");
			const own = end === -1 ? rest : rest.slice(0, end);
			const balance = own.find((f) => /^6[02][FM]$/.test(f.tag))?.lines[0]?.trim() ?? "";
			const currency = currencySchema.safeParse(/^[CD]\d{6}([A-Z]{3})/.exec(balance)?.[1]);
			const account = own.find((f) => f.tag === "25")?.lines[0]?.trim() ?? "";
			context = { account, label: `Stmt ${statement}`, occurrences, ...(currency.success ? { currency: currency.data } : {}) };
			continue;
		}
		if (field.tag !== "61") continue;
		count += 1;
		const next = all[i + 1];
		const where = `${context.label} :61: ${count} (line ${field.line})`;
		lines.push(...readEntry(where, () => readStatementLine(field, next?.tag === "86" ? next.lines : undefined, context, where)));
	}
	return lines;
}
