import { ConfigError } from "../core/errors.js";
import type { Invoice, LedgerEntry } from "../core/model.js";
import { divideRoundHalfUp } from "../core/money.js";
import { getOptionalEnv } from "../platform/config.js";

/**
 * The general-ledger side of the receivable ledger (DESIGN.md section 10): every ledger
 * entry becomes one journal entry whose debits equal its credits, in the entry's currency.
 * The journal is derived from the ledger each time, never stored as a second truth.
 *
 * An entry on an invoice moves Accounts Receivable (what invoices are owed); an entry on no
 * invoice moves Customer Credit (a liability: money the customer has with us). The other
 * side depends on what happened: revenue and tax for an invoice, cash clearing for money
 * in or out, bad debt for a write-off, returns and tax for a credit memo or a void.
 */

export const CHART_ROLES = [
	"receivable",
	"customerCredit",
	"salesTax",
	"revenuePlan",
	"revenueUsage",
	"revenueOneTime",
	"discounts",
	"returns",
	"clearingStripe",
	"clearingGocardless",
	"clearingBank",
	"badDebt",
	"badDebtRecovered",
] as const;
export type ChartRole = (typeof CHART_ROLES)[number];
export interface GlAccount {
	readonly code: string;
	readonly name: string;
}
export type ChartOfAccounts = Readonly<Record<ChartRole, GlAccount>>;

/** Codes of a common small-business chart; a company maps them to its own with CHART_OF_ACCOUNTS. */
export const DEFAULT_CHART: ChartOfAccounts = {
	clearingStripe: { code: "1010", name: "Cash Clearing - Stripe" },
	clearingGocardless: { code: "1011", name: "Cash Clearing - GoCardless" },
	clearingBank: { code: "1012", name: "Cash Clearing - Bank" },
	receivable: { code: "1200", name: "Accounts Receivable" },
	salesTax: { code: "2200", name: "Sales Tax Payable" },
	customerCredit: { code: "2300", name: "Customer Credit" },
	revenuePlan: { code: "4000", name: "Revenue - Subscriptions" },
	revenueUsage: { code: "4010", name: "Revenue - Usage" },
	revenueOneTime: { code: "4020", name: "Revenue - One-time" },
	discounts: { code: "4090", name: "Discounts Given" },
	returns: { code: "4095", name: "Sales Returns and Allowances" },
	badDebtRecovered: { code: "4900", name: "Bad Debt Recovered" },
	badDebt: { code: "6100", name: "Bad Debt Expense" },
};

/** The chart: the defaults, with the roles CHART_OF_ACCOUNTS (JSON, e.g. {"receivable":{"code":"120","name":"Debtors"}}) maps elsewhere. */
export function chartOfAccounts(env: Record<string, string | undefined> = process.env): ChartOfAccounts {
	const raw = getOptionalEnv("CHART_OF_ACCOUNTS", "{}", env);
	let overrides: Record<string, unknown>;
	try {
		overrides = JSON.parse(raw) as Record<string, unknown>;
	} catch {
		throw new ConfigError("CHART_OF_ACCOUNTS must be JSON: {role: {code, name}}");
	}
	const chart: Record<string, GlAccount> = { ...DEFAULT_CHART };
	for (const [role, account] of Object.entries(overrides)) {
		const { code, name } = (account ?? {}) as Partial<GlAccount>;
		if (!(CHART_ROLES as readonly string[]).includes(role))
			throw new ConfigError(`CHART_OF_ACCOUNTS: ${role} is not one of ${CHART_ROLES.join(", ")}`);
		if (typeof code !== "string" || code === "" || typeof name !== "string" || name === "") {
			throw new ConfigError(`CHART_OF_ACCOUNTS: ${role} needs a code and a name`);
		}
		chart[role] = { code, name };
	}
	return chart as ChartOfAccounts;
}

export interface JournalLine {
	readonly account: GlAccount;
	/** Minor units; one of debit and credit is 0. */
	readonly debit: number;
	readonly credit: number;
}

export interface JournalEntry {
	/** The ledger entry it comes from. */
	readonly ledgerEntryId: string;
	readonly date: string;
	readonly currency: string;
	readonly accountId: string;
	readonly memo: string;
	readonly lines: readonly JournalLine[];
}

/** What a ledger entry's journal needs besides the entry: the invoice whose revenue and tax it moves. */
export interface JournalContext {
	readonly invoice?: Invoice;
}

/**
 * Where the revenue and tax of an entry come from: its invoice, or for the part of a credit
 * memo that became account credit, its memo ("CM-… to account credit"), whose invoice it is.
 */
export function sourceOf(entry: LedgerEntry): { readonly invoice?: string; readonly creditMemo?: string } {
	if (entry.type !== "invoice_issued" && entry.type !== "credit_memo" && entry.type !== "invoice_voided") return {};
	if (entry.invoiceNumber) return { invoice: entry.invoiceNumber };
	// A void's credit returned names its invoice first ("INV-…: credit returned").
	if (entry.type === "invoice_voided") return { invoice: entry.reference.split(":")[0] };
	return { creditMemo: entry.reference.split(" ")[0] };
}

const PROVIDER_CLEARING: Readonly<Record<string, ChartRole>> = { stripe: "clearingStripe", gocardless: "clearingGocardless" };

/** Payments are referenced "provider:id …"; a cheque, a bank file and a refund paid by hand clear through the bank. */
function clearingFor(entry: LedgerEntry): ChartRole {
	const provider = /^([a-z]+):/.exec(entry.reference)?.[1] ?? "";
	return PROVIDER_CLEARING[provider] ?? "clearingBank";
}

const REVENUE_ROLE: Readonly<Record<string, ChartRole>> = { plan: "revenuePlan", usage: "revenueUsage", one_time: "revenueOneTime" };

/** The invoice's counter side, by line kind and tax, scaled to `amount` when that is less than its total (a void, a memo). */
function invoiceSide(invoice: Invoice | undefined, amount: number, entry: LedgerEntry): { role: ChartRole; amount: number }[] {
	if (!invoice) throw new Error(`ledger entry ${entry.entryId} (${entry.type} ${entry.reference}) names no invoice the journal can read`);
	if (entry.type !== "invoice_issued") {
		// A reduction after issue: returns, and the tax in it in the invoice's proportion, half-up.
		const tax = invoice.total === 0 ? 0 : Number(divideRoundHalfUp(BigInt(amount) * BigInt(invoice.tax), BigInt(invoice.total)));
		return [
			{ role: "returns", amount: amount - tax },
			{ role: "salesTax", amount: tax },
		];
	}
	const parts: { role: ChartRole; amount: number }[] = invoice.lines.map((line) =>
		line.kind === "discount"
			? { role: "discounts", amount: line.amount }
			: { role: REVENUE_ROLE[line.kind ?? "usage"] ?? "revenueUsage", amount: line.amount },
	);
	parts.push({ role: "salesTax", amount: invoice.tax });
	return parts;
}

/** The other side of the entry, as amounts in the direction that balances it (positive: the side opposite the ledger side). */
function counterSide(entry: LedgerEntry, context: JournalContext): { role: ChartRole; amount: number }[] {
	const amount = Math.abs(entry.amount);
	switch (entry.type) {
		case "invoice_issued":
		case "credit_memo":
		case "invoice_voided":
			return invoiceSide(context.invoice, amount, entry);
		case "payment_applied":
		case "account_credit":
		case "payment_unapplied":
		case "refund":
		case "chargeback":
			return [{ role: clearingFor(entry), amount }];
		case "credit_applied":
			return [{ role: "customerCredit", amount }];
		case "write_off":
			return [{ role: "badDebt", amount }];
		case "write_off_reversed":
			return [{ role: entry.reference.includes("recovers bad debt") ? "badDebtRecovered" : "badDebt", amount }];
	}
}

/**
 * The entry's journal entry, or undefined for the half of a credit consumption that moves
 * the customer's credit (its journal is the other half's: debit Customer Credit, credit AR).
 */
export function journalEntryFor(entry: LedgerEntry, context: JournalContext, chart: ChartOfAccounts): JournalEntry | undefined {
	if (entry.type === "credit_applied" && entry.invoiceNumber === undefined) return undefined;
	if (entry.amount === 0) return undefined;
	const ledgerSide: ChartRole = entry.invoiceNumber === undefined ? "customerCredit" : "receivable";
	// A positive entry raises what is owed (debit AR) or lowers the credit held (debit the liability).
	const ledgerDebit = entry.amount > 0;
	const totals = new Map<ChartRole, number>();
	// Debit-positive: the ledger side is the entry's own sign.
	totals.set(ledgerSide, entry.amount);
	for (const part of counterSide(entry, context)) {
		// The counter side goes the other way: a positive part is a credit when the ledger side is a debit.
		const signed = ledgerDebit ? -part.amount : part.amount;
		totals.set(part.role, (totals.get(part.role) ?? 0) + signed);
	}
	const lines = [...totals.entries()]
		.filter(([, net]) => net !== 0)
		.map(([role, net]) => ({ account: chart[role], debit: net > 0 ? net : 0, credit: net < 0 ? -net : 0 }))
		.sort((a, b) => a.account.code.localeCompare(b.account.code));
	return {
		ledgerEntryId: entry.entryId,
		date: entry.effectiveDate,
		currency: entry.currency,
		accountId: entry.accountId,
		memo: `${entry.type.replaceAll("_", " ")}: ${entry.reference} (${entry.accountId})`,
		lines,
	};
}

/** Debits minus credits: 0 for a balanced entry. */
export function imbalance(entry: JournalEntry): number {
	return entry.lines.reduce((acc, l) => acc + l.debit - l.credit, 0);
}
