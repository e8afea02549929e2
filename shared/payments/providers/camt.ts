import { XMLParser, XMLValidator } from "fast-xml-parser";
import { ValidationError } from "../../core/errors.js";
import { currencySchema } from "../../core/money.js";
import { contentId, parseDecimalAmount, readEntry, type StatementEntry, type StatementLine } from "./statement.js";

const camtParser = new XMLParser({
	ignoreAttributes: false,
	attributeNamePrefix: "@_",
	removeNSPrefix: true,
	// Amounts and references stay strings: "120.50" must never pass through a float.
	parseTagValue: false,
	parseAttributeValue: false,
	isArray: (name) => ["Stmt", "Ntry", "NtryDtls", "TxDtls", "Ustrd", "Strd"].includes(name),
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

/** An Amt element read by value in its Ccy's minor units; undefined when it is absent or unreadable. */
function readAmount(node: unknown): { amount: number; currency: string } | undefined {
	const value = text(node);
	const currency = currencySchema.safeParse(child(node, "@_Ccy"));
	if (!value || !currency.success) return undefined;
	try {
		return { amount: parseDecimalAmount(value, currency.data), currency: currency.data };
	} catch {
		return undefined;
	}
}

function entryAmount(node: unknown, where: string): { amount: number; currency: string } {
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

// ISO 20022 bank transaction codes (ExternalBankTransactionSubFamily1Code): charges, fees and commissions in any domain and family.
const CHARGE_SUB_FAMILIES = new Set(["CHRG", "FEES", "COMM", "COME", "COMI", "COMT"]);
// Reversal due to a payment return, reversal due to a payment cancellation request.
const REVERSAL_SUB_FAMILIES = new Set(["RRTN", "RPCR"]);
// Proprietary codes that carry the SWIFT transaction type (German banks write "NCHG+808"): charges and commissions.
const CHARGE_PROPRIETARY = /^[NFS](CHG|COM)\b/;

function bankTransactionCode(ntry: unknown): string {
	const domain = text(child(ntry, "BkTxCd", "Domn", "Cd"));
	const family = text(child(ntry, "BkTxCd", "Domn", "Fmly", "Cd"));
	const sub = text(child(ntry, "BkTxCd", "Domn", "Fmly", "SubFmlyCd"));
	const proprietary = text(child(ntry, "BkTxCd", "Prtry", "Cd"));
	const domainCode = [domain, family, sub].filter(Boolean).join("/");
	return [domainCode, proprietary].filter(Boolean).join(" ");
}

function kindOf(ntry: unknown, credit: boolean): Pick<StatementEntry, "kind" | "why"> {
	const sub = text(child(ntry, "BkTxCd", "Domn", "Fmly", "SubFmlyCd")) ?? "";
	const proprietary = text(child(ntry, "BkTxCd", "Prtry", "Cd")) ?? "";
	const code = bankTransactionCode(ntry);
	if (text(child(ntry, "RvslInd")) === "true") return { kind: "reversal", why: "a reversal entry (RvslInd), not a payment received" };
	if (REVERSAL_SUB_FAMILIES.has(sub)) return { kind: "reversal", why: `a reversal (BkTxCd ${code}), not a payment received` };
	if (CHARGE_SUB_FAMILIES.has(sub) || CHARGE_PROPRIETARY.test(proprietary)) {
		return { kind: "charge", why: `a bank charge (BkTxCd ${code}), not a payment received` };
	}
	return credit ? { kind: "payment" } : { kind: "debit", why: "a debit (CdtDbtInd DBIT), money out, not a payment received" };
}

/** The namespace names the message and its version; a file without one is read by its elements alone. */
function checkMessage(xml: string): void {
	const namespace = /<(?:\w+:)?Document\b[^>]*\bxmlns(?::\w+)?="urn:iso:std:iso:20022:tech:xsd:([a-z]+\.\d{3})\.\d{3}\.(\d{2})"/.exec(xml);
	if (namespace && namespace[1] !== "camt.053") {
		throw new ValidationError(`bank statement is not a camt.053 statement (the file is a ${namespace[1]} message)`);
	}
}

/**
 * The entries of an ISO 20022 camt.053 bank-to-customer statement, versions 2 to 8 (and
 * later ones of the same shape). An entry's own Amt is what moved on the account; its
 * TxDtls only split it (a batch whose transactions add up to the entry in its currency is
 * one payment per transaction) or describe it (an amount of 0, in another currency or
 * not adding up changes nothing: the entry is one payment of its Amt). An entry that
 * cannot be read is returned as unusable, saying why; only a file that is not XML or not
 * a camt.053 statement is refused. A transaction's payment id is the bank's AcctSvcrRef or,
 * without one, a hash of the statement id, the entry's position and its content, so the
 * same file imports once.
 */
export function parseCamt053(xml: string): StatementLine[] {
	const valid = XMLValidator.validate(xml);
	if (valid !== true) throw new ValidationError(`bank statement is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
	checkMessage(xml);
	const statements = list(child(camtParser.parse(xml), "Document", "BkToCstmrStmt", "Stmt"));
	if (statements.length === 0) throw new ValidationError("bank statement is not a camt.053 statement (no Document/BkToCstmrStmt/Stmt)");
	const lines: StatementLine[] = [];
	for (const [s, stmt] of statements.entries()) {
		const statementId = text(child(stmt, "Id")) ?? `${s + 1}`;
		for (const [n, ntry] of list(child(stmt, "Ntry")).entries()) {
			const entry = `${statements.length > 1 ? `Stmt ${s + 1} ` : ""}Ntry ${n + 1}`;
			lines.push(...readEntry(entry, () => readCamtEntry(ntry, entry, statementId)));
		}
	}
	return lines;
}

function readCamtEntry(ntry: unknown, entry: string, statementId: string): StatementEntry[] {
	const indicator = text(child(ntry, "CdtDbtInd"));
	if (indicator !== "CRDT" && indicator !== "DBIT") throw new ValidationError(`${entry}: CdtDbtInd must be CRDT or DBIT`);
	const total = entryAmount(child(ntry, "Amt"), entry);
	const date = (node: unknown) => (text(child(node, "Dt")) ?? text(child(node, "DtTm")))?.slice(0, 10);
	const bookingDate = date(child(ntry, "BookgDt")) ?? date(child(ntry, "ValDt"));
	if (!bookingDate || !/^\d{4}-\d{2}-\d{2}$/.test(bookingDate)) throw new ValidationError(`${entry}: BookgDt/Dt (or ValDt) is required`);
	const valueDate = date(child(ntry, "ValDt"));
	const entryRef = text(child(ntry, "AcctSvcrRef"));
	// camt.053.001.02 has Sts as text, later versions Sts/Cd.
	const status = text(child(ntry, "Sts", "Cd")) ?? text(child(ntry, "Sts")) ?? "BOOK";
	const notBooked = status !== "BOOK" ? `entry status ${status}, not booked` : undefined;
	const credit = indicator === "CRDT";
	const kind = kindOf(ntry, credit);
	const details = list(child(ntry, "NtryDtls")).flatMap((d) => list(child(d, "TxDtls")));
	const txAmounts = details.map((tx) => readAmount(child(tx, "Amt") ?? child(tx, "AmtDtls", "TxAmt", "Amt")));
	const splits =
		details.length > 1 &&
		txAmounts.every((a) => a !== undefined && a.currency === total.currency && a.amount > 0) &&
		txAmounts.reduce((sum, a) => sum + (a?.amount ?? 0), 0) === total.amount;
	const entryReference = (txs: unknown[]) => txs.map(remittance).filter(Boolean).join(" ") || (text(child(ntry, "AddtlNtryInf")) ?? "");
	const parts = splits
		? details.map((tx, t) => ({ tx, t: t + 1, amount: txAmounts[t]?.amount ?? 0 }))
		: [{ tx: details[0], t: 0, amount: total.amount }];
	return parts.map(({ tx, t, amount }) => {
		const where = t > 0 ? `${entry} TxDtls ${t}` : entry;
		const reference = splits ? entryReference([tx]) : entryReference(details);
		const debtorName = text(child(tx, "RltdPties", "Dbtr", "Nm")) ?? text(child(tx, "RltdPties", "Dbtr", "Pty", "Nm"));
		const ref = text(child(tx, "Refs", "AcctSvcrRef")) ?? (entryRef && t > 0 ? `${entryRef}-${t}` : entryRef);
		const paymentId = ref
			? `bank-${ref}`
			: contentId("bank", [statementId, where, bookingDate, `${amount}`, total.currency, reference, debtorName ?? ""]);
		return {
			entry: where,
			paymentId,
			...kind,
			credit,
			...(notBooked ? { notBooked } : {}),
			amount,
			currency: total.currency,
			bookingDate,
			...(valueDate ? { valueDate } : {}),
			reference,
			...(ref ? { bankReference: ref } : {}),
			...(debtorName ? { debtorName } : {}),
		};
	});
}
