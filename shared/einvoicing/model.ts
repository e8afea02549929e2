import type { CreditMemo, Invoice, InvoiceLine } from "../core/model.js";
import { quantityMicros } from "../core/money.js";
import type { BuyerParty, EinvoiceParties, SellerParty } from "./parties.js";
import { allocate, exemptionOf, type VatBreakdown, type VatCategory, type VatContext, vatCategory } from "./vat.js";

/**
 * One EN 16931 invoice or credit note, built from a stored invoice or credit memo; the UBL
 * and CII writers only arrange it. Amounts are integer minor units of `currency`, exactly
 * those of the stored record (and so of its PDF); the writers print them with the
 * currency's decimals.
 */

export interface EinvoiceLine {
	readonly id: string;
	readonly name: string;
	/** BT-129 as a decimal string, negative for a discount line (its price stays positive). */
	readonly quantity: string;
	/** BT-146, minor units, never negative. */
	readonly price: number;
	/** BT-149, written when the price is for the line's whole quantity (a prorated or rounded line), so quantity × price / base = net. */
	readonly baseQuantity?: string;
	/** BT-131, minor units. */
	readonly netAmount: number;
	readonly category: VatCategory;
	readonly ratePpm: number;
}

export interface EinvoiceTotals {
	/** BT-106 sum of line net amounts, BT-109 without VAT, BT-110 VAT, BT-112 with VAT. */
	readonly lineTotal: number;
	readonly taxExclusive: number;
	readonly taxTotal: number;
	readonly taxInclusive: number;
	/** BT-113: account credit the invoice consumed when it was issued. */
	readonly prepaid: number;
	/** BT-115. */
	readonly payable: number;
}

export type PaymentMeans =
	/** 58: SEPA credit transfer to the seller's account, quoting the document number (BT-83). */
	| { readonly code: "58"; readonly iban: string; readonly bic?: string; readonly remittance: string }
	/** 97: clearing between partners: a credit note settles against the invoice or the account's credit, nobody transfers money. */
	| { readonly code: "97" };

export interface EinvoiceDocument {
	readonly kind: "invoice" | "credit_note";
	readonly number: string;
	readonly issueDate: string;
	readonly dueDate?: string;
	readonly currency: string;
	readonly accountId: string;
	readonly buyerReference?: string;
	/** BT-20, e.g. "Net 30". */
	readonly paymentTerms?: string;
	/** BG-14, first and last day. */
	readonly period?: { readonly start: string; readonly end: string };
	/** BG-3, on a credit note: the invoice it credits. */
	readonly precedingInvoice?: { readonly number: string; readonly issueDate: string };
	/** BT-22. */
	readonly note?: string;
	readonly seller: SellerParty;
	readonly buyer: BuyerParty & { readonly email?: string };
	readonly lines: readonly EinvoiceLine[];
	readonly vatBreakdown: readonly VatBreakdown[];
	readonly totals: EinvoiceTotals;
	readonly paymentMeans: PaymentMeans;
}

const MICROS = 1_000_000n;

function quantityText(micros: bigint): string {
	const negative = micros < 0n;
	const abs = negative ? -micros : micros;
	const fraction = (abs % MICROS).toString().padStart(6, "0").replace(/0+$/, "");
	return `${negative ? "-" : ""}${abs / MICROS}${fraction ? `.${fraction}` : ""}`;
}

/**
 * A stored line as EN 16931 wants it: price never negative (BR-27), so a discount is a
 * negative quantity at a positive price; and quantity × price / base quantity equal to the
 * net amount exactly, so a prorated or rounded line carries its amount as the price of its
 * whole quantity.
 */
function einvoiceLine(line: InvoiceLine, index: number, context: VatContext): EinvoiceLine {
	const micros = quantityMicros(line.quantity);
	const sign = line.amount < 0 ? -1n : 1n;
	const exact = BigInt(Math.abs(line.unitAmount)) * micros === BigInt(Math.abs(line.amount)) * MICROS;
	return {
		id: String(index + 1),
		name: line.description,
		quantity: quantityText(sign * micros),
		price: exact ? Math.abs(line.unitAmount) : Math.abs(line.amount),
		...(exact ? {} : { baseQuantity: quantityText(micros) }),
		netAmount: line.amount,
		category: vatCategory(line.taxRatePpm, context),
		ratePpm: line.taxRatePpm,
	};
}

/** The VAT breakdown per category and rate: sums of the lines' stored net amounts and taxes. */
function breakdownOf(lines: readonly InvoiceLine[], context: VatContext): VatBreakdown[] {
	const groups = new Map<string, { category: VatCategory; ratePpm: number; taxableAmount: number; taxAmount: number }>();
	for (const line of lines) {
		const category = vatCategory(line.taxRatePpm, context);
		const key = `${category}/${line.taxRatePpm}`;
		const group = groups.get(key) ?? { category, ratePpm: line.taxRatePpm, taxableAmount: 0, taxAmount: 0 };
		group.taxableAmount += line.amount;
		group.taxAmount += line.tax;
		groups.set(key, group);
	}
	return [...groups.values()].map((g) => ({ ...g, ...exemptionOf(g.category, context) }));
}

function periodOf(period: string): { start: string; end: string } {
	const [year, month] = period.split("-").map(Number) as [number, number];
	return { start: `${period}-01`, end: new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10) };
}

function buyerOf(parties: EinvoiceParties, email: string): EinvoiceDocument["buyer"] {
	return { ...parties.buyer, ...(email ? { email } : {}) };
}

export function einvoiceFromInvoice(invoice: Invoice, parties: EinvoiceParties): EinvoiceDocument {
	const context: VatContext = { ...parties, ...(invoice.taxNote ? { taxNote: invoice.taxNote } : {}) };
	const prepaid = invoice.creditApplied ?? 0;
	return {
		kind: "invoice",
		number: invoice.number,
		issueDate: invoice.issueDate,
		dueDate: invoice.dueDate,
		currency: invoice.currency,
		accountId: invoice.accountId,
		...(parties.buyer.buyerReference ? { buyerReference: parties.buyer.buyerReference } : {}),
		...(invoice.paymentTerms ? { paymentTerms: invoice.paymentTerms } : {}),
		period: periodOf(invoice.period),
		...(invoice.taxNote ? { note: invoice.taxNote } : {}),
		seller: parties.seller,
		buyer: buyerOf(parties, invoice.billTo.email),
		lines: invoice.lines.map((line, i) => einvoiceLine(line, i, context)),
		vatBreakdown: breakdownOf(invoice.lines, context),
		totals: {
			lineTotal: invoice.subtotal,
			taxExclusive: invoice.subtotal,
			taxTotal: invoice.tax,
			taxInclusive: invoice.total,
			prepaid,
			payable: invoice.total - prepaid,
		},
		paymentMeans: {
			code: "58",
			iban: parties.seller.iban,
			...(parties.seller.bic ? { bic: parties.seller.bic } : {}),
			remittance: invoice.number,
		},
	};
}

/**
 * A credit memo stores one amount with VAT and no lines, so its credit note splits it over
 * the credited invoice's VAT breakdown in proportion to each part's amount with VAT (each
 * part rounded half-up, the remainder on the largest), then each part into net and VAT at
 * the part's share of the invoice's own net and VAT; one line per part. A memo for the
 * whole invoice gives back the invoice's figures exactly.
 */
export function einvoiceFromCreditMemo(memo: CreditMemo, invoice: Invoice, parties: EinvoiceParties): EinvoiceDocument {
	if (memo.invoiceNumber !== invoice.number)
		throw new Error(`credit memo ${memo.number} credits ${memo.invoiceNumber}, not ${invoice.number}`);
	const context: VatContext = { ...parties, ...(invoice.taxNote ? { taxNote: invoice.taxNote } : {}) };
	const credited = breakdownOf(invoice.lines, context);
	const grossParts = allocate(
		memo.amount,
		credited.map((g) => g.taxableAmount + g.taxAmount),
	);
	const breakdown = credited.map((g, i) => {
		const gross = grossParts[i] ?? 0;
		const [net = 0, tax = 0] = g.taxAmount === 0 ? [gross, 0] : allocate(gross, [g.taxableAmount, g.taxAmount]);
		return { ...g, taxableAmount: net, taxAmount: tax };
	});
	const lineTotal = breakdown.reduce((a, g) => a + g.taxableAmount, 0);
	const taxTotal = breakdown.reduce((a, g) => a + g.taxAmount, 0);
	return {
		kind: "credit_note",
		number: memo.number,
		issueDate: memo.issueDate,
		currency: memo.currency,
		accountId: memo.accountId,
		...(parties.buyer.buyerReference ? { buyerReference: parties.buyer.buyerReference } : {}),
		paymentTerms: `Credited against invoice ${invoice.number}`,
		period: periodOf(invoice.period),
		precedingInvoice: { number: invoice.number, issueDate: invoice.issueDate },
		note: memo.reason,
		seller: parties.seller,
		buyer: buyerOf(parties, memo.billTo.email),
		lines: breakdown.map((g, i) => ({
			id: String(i + 1),
			name: `Credit on invoice ${invoice.number}: ${memo.reason}`,
			quantity: "1",
			price: g.taxableAmount,
			netAmount: g.taxableAmount,
			category: g.category,
			ratePpm: g.ratePpm,
		})),
		vatBreakdown: breakdown,
		totals: { lineTotal, taxExclusive: lineTotal, taxTotal, taxInclusive: memo.amount, prepaid: 0, payable: memo.amount },
		paymentMeans: { code: "97" },
	};
}
