import { ValidationError } from "../../core/errors.js";
import { currencySchema } from "../../core/money.js";
import { occurrenceId, readEntry, type StatementEntry, type StatementLine, shortDate } from "./statement.js";

interface BaiRecord {
	readonly code: string;
	/** The record's own content and each 88 continuation's, without record codes and "/" terminators. */
	readonly segments: string[];
	readonly line: number;
}

const RECORD_START = /^(01|02|03|16|49|88|98|99),/;

/** A file holds a BAI2 statement when it opens with a 01 file header. */
export function looksLikeBai2(content: string): boolean {
	return /^01,/.test(content.replace(/^\uFEFF/, "").trimStart());
}

/**
 * Logical records: a "/" ends a record (several may share a physical line), 88 continues
 * the record before it, and a physical line that starts no record continues the one
 * before it (banks that wrap long text).
 */
function records(content: string): BaiRecord[] {
	const result: BaiRecord[] = [];
	for (const [index, physical] of content
		.replace(/^\uFEFF/, "")
		.split(/\r?\n/)
		.entries()) {
		for (const part of physical.split(/\/\s+(?=\d{2},)/)) {
			const text = part.replace(/\s*\/\s*$/, "");
			const start = RECORD_START.exec(part);
			const body = start ? text.slice(3) : text;
			if (start?.[1] === "88" || (!start && body.trim())) {
				const previous = result.at(-1);
				if (previous) previous.segments.push(start ? body : body.trim());
			} else if (start) {
				result.push({ code: start[1] as string, segments: [body], line: index + 1 });
			}
		}
	}
	return result;
}

/**
 * A 16 record's fields: type code, amount, funds type and its availability fields, bank
 * reference, customer reference, then free text to the end of the record. The text may
 * hold commas; continuations add fields until the text starts, then add to the text.
 */
function detailFields(segments: readonly string[]): { fields: string[]; text: string; refsAt: number } {
	const fields: string[] = [];
	const text: string[] = [];
	const textIndex = () => {
		const funds = (fields[2] ?? "").trim().toUpperCase();
		const extra = funds === "S" ? 3 : funds === "V" ? 2 : funds === "D" ? 1 + 2 * Number(fields[3] ?? 0) : 0;
		return 3 + extra + 2;
	};
	for (const segment of segments) {
		if (fields.length >= textIndex() && fields.length > 3) {
			text.push(segment.trim());
			continue;
		}
		let rest = segment;
		while (fields.length < textIndex() || fields.length <= 3) {
			const comma = rest.indexOf(",");
			if (comma === -1) {
				fields.push(rest);
				rest = "";
				break;
			}
			fields.push(rest.slice(0, comma));
			rest = rest.slice(comma + 1);
		}
		if (rest.trim()) text.push(rest.trim());
	}
	return { fields: fields.map((f) => f.trim()), text: text.join(" "), refsAt: textIndex() - 2 };
}

/** BAI2 type codes by range: 100-399 and 920-959 credits, 400-699 and 960-999 debits; the rest are balances, status and loans. */
function kindOf(code: string): Pick<StatementEntry, "kind" | "why" | "credit"> | string {
	const type = Number(code);
	const credit = (type >= 100 && type <= 399) || (type >= 920 && type <= 959);
	const debit = (type >= 400 && type <= 699) || (type >= 960 && type <= 999);
	if (!credit && !debit) {
		return type >= 700 && type <= 799
			? `type code ${code} is a loan detail, not money received`
			: `type code ${code} is a balance or status code, not a transaction`;
	}
	// 661 account analysis fee, 698 miscellaneous fees: the bank's charges.
	if (type === 661 || type === 698) return { kind: "charge", why: `a bank charge (type code ${type}), not a payment received`, credit };
	if (credit) return { kind: "payment", credit };
	// 555: a deposited item returned, taking back money an earlier credit brought.
	if (type === 555) return { kind: "reversal", why: "a deposited item returned (type code 555), not a payment received", credit };
	return { kind: "debit", why: `a debit (type code ${type}), money out, not a payment received`, credit };
}

interface Group {
	readonly date: string;
	readonly currency: string;
}

function readDetail(
	record: BaiRecord,
	group: Group,
	account: { id: string; currency: string },
	where: string,
	occurrences: Map<string, number>,
) {
	const { fields, text, refsAt } = detailFields(record.segments);
	const [typeCode = "", amountText = "", funds = ""] = fields;
	if (!/^\d{3}$/.test(typeCode)) throw new ValidationError(`${where}: type code ${JSON.stringify(typeCode)} is not three digits`);
	if (!/^\+?\d+$/.test(amountText))
		throw new ValidationError(`${where}: amount ${JSON.stringify(amountText)} is not a number of minor units`);
	const minor = BigInt(amountText.replace("+", ""));
	if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new ValidationError(`${where}: amount ${amountText} is too large`);
	const amount = Number(minor);
	if (amount <= 0) throw new ValidationError(`${where}: amount ${amountText} must be positive (the direction is the type code)`);
	const kind = kindOf(typeCode);
	if (typeof kind === "string") throw new ValidationError(`${where}: ${kind}`);
	const fundsType = funds.toUpperCase();
	const valueDate = fundsType === "V" && fields[3] ? shortDate(fields[3], where) : undefined;
	const bankReference = fields[refsAt] ?? "";
	const customerReference = fields[refsAt + 1] ?? "";
	const reference = [customerReference, text].filter(Boolean).join(" ");
	const paymentId = occurrenceId(
		["bai2", account.id, group.date, typeCode, `${amount}`, account.currency, bankReference, customerReference, text],
		occurrences,
	);
	return {
		entry: where,
		paymentId,
		...kind,
		amount,
		currency: account.currency,
		bookingDate: group.date,
		...(valueDate ? { valueDate } : {}),
		reference,
		...(bankReference ? { bankReference } : {}),
	};
}

/**
 * The transaction details (16 records, with their 88 continuations) of a BAI2 file: groups
 * (02) give the as-of date and default currency, accounts (03) the account and its
 * currency. Amounts are written in minor units without a decimal point, as the
 * specification says. A detail that cannot be read is returned as unusable, saying why.
 */
export function parseBai2(content: string): StatementLine[] {
	const all = records(content);
	if (all[0]?.code !== "01") throw new ValidationError("bank statement is not a BAI2 file (no 01 file header)");
	const lines: StatementLine[] = [];
	const occurrences = new Map<string, number>();
	let group: Group | undefined;
	let account: { id: string; currency: string } | undefined;
	let groupError = "";
	for (const record of all) {
		const fields = record.segments.join(",").split(",");
		if (record.code === "02") {
			try {
				const currency = currencySchema.parse(fields[5]?.trim() || "USD");
				group = { date: shortDate(fields[3]?.trim() ?? "", `line ${record.line} (02)`), currency };
				groupError = "";
			} catch (err) {
				group = undefined;
				groupError =
					err instanceof ValidationError ? err.message : `line ${record.line} (02): the group's currency is not an ISO 4217 code`;
			}
		} else if (record.code === "03") {
			const currency = currencySchema.safeParse(fields[1]?.trim() || group?.currency);
			account = currency.success ? { id: fields[0]?.trim() ?? "", currency: currency.data } : undefined;
		} else if (record.code === "16") {
			const where = `line ${record.line} (16)`;
			lines.push(
				...readEntry(where, () => {
					if (!group) throw new ValidationError(`${where}: no usable group header (02) before it${groupError ? `: ${groupError}` : ""}`);
					if (!account) throw new ValidationError(`${where}: no account identifier (03) with an ISO 4217 currency before it`);
					return readDetail(record, group, account, where, occurrences);
				}),
			);
		}
	}
	return lines;
}
