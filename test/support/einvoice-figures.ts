import { XMLParser } from "fast-xml-parser";
import type { Invoice } from "../../shared/core/model.js";
import type { EinvoiceProfile } from "../../shared/einvoicing/validate.js";

// What a receiver reads from a UBL or CII e-invoice, for tests to compare with `billing invoices show`.

/** "139.78" in EUR as 13978: the decimal's digits, never through a float. */
export function minor(text: unknown): number {
	const [whole = "0", fraction = ""] = String(text).split(".");
	return Number(`${whole}${fraction.padEnd(2, "0")}`);
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", removeNSPrefix: true, parseTagValue: false });
const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const text = (node: unknown) => String(typeof node === "object" && node !== null ? (node as { "#text": unknown })["#text"] : node);

export interface Figures {
	readonly taxExclusive: number;
	readonly tax: number;
	readonly taxInclusive: number;
	readonly payable: number;
	readonly dueDate: string;
	/** BG-23; reason is BT-120, the exemption reason, where one is written. */
	readonly breakdown: { category: string; percent: string; taxable: number; tax: number; reason?: string }[];
}

/** The totals, VAT breakdown and due date a receiver reads from the UBL or CII. */
export function figures(xml: string, profile: EinvoiceProfile): Figures {
	const doc = parser.parse(xml) as Record<string, Record<string, unknown>>;
	if (profile === "facturx") {
		const transaction = doc.CrossIndustryInvoice?.SupplyChainTradeTransaction as Record<string, unknown>;
		const settlement = transaction.ApplicableHeaderTradeSettlement as Record<string, unknown>;
		const sums = settlement.SpecifiedTradeSettlementHeaderMonetarySummation as Record<string, unknown>;
		const due = (settlement.SpecifiedTradePaymentTerms as Record<string, Record<string, unknown>>).DueDateDateTime?.DateTimeString;
		const ymd = text(due);
		return {
			taxExclusive: minor(sums.TaxBasisTotalAmount),
			tax: minor(text(sums.TaxTotalAmount)),
			taxInclusive: minor(sums.GrandTotalAmount),
			payable: minor(sums.DuePayableAmount),
			dueDate: `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`,
			breakdown: list(settlement.ApplicableTradeTax as Record<string, unknown>[]).map((t) => ({
				category: String(t.CategoryCode),
				percent: String(t.RateApplicablePercent ?? ""),
				taxable: minor(t.BasisAmount),
				tax: minor(t.CalculatedAmount),
				...(t.ExemptionReason === undefined ? {} : { reason: text(t.ExemptionReason) }),
			})),
		};
	}
	// A UBL CreditNote carries the same totals as an Invoice; its due date, if any, is elsewhere.
	const invoice = (doc.Invoice ?? doc.CreditNote) as Record<string, unknown>;
	const totals = invoice.LegalMonetaryTotal as Record<string, unknown>;
	const taxTotal = list(invoice.TaxTotal as Record<string, unknown>[])[0] as Record<string, unknown>;
	return {
		taxExclusive: minor(text(totals.TaxExclusiveAmount)),
		tax: minor(text(taxTotal.TaxAmount)),
		taxInclusive: minor(text(totals.TaxInclusiveAmount)),
		payable: minor(text(totals.PayableAmount)),
		dueDate: String(invoice.DueDate ?? ""),
		breakdown: list(taxTotal.TaxSubtotal as Record<string, unknown>[]).map((s) => {
			const category = s.TaxCategory as Record<string, unknown>;
			return {
				category: text(category.ID),
				percent: String(category.Percent ?? ""),
				taxable: minor(text(s.TaxableAmount)),
				tax: minor(text(s.TaxAmount)),
				...(category.TaxExemptionReason === undefined ? {} : { reason: text(category.TaxExemptionReason) }),
			};
		}),
	};
}

/** The VAT breakdown `billing invoices show` implies: its lines' amounts and taxes summed per rate. */
export function breakdownOf(invoice: Invoice): Map<number, { taxable: number; tax: number }> {
	const groups = new Map<number, { taxable: number; tax: number }>();
	for (const line of invoice.lines) {
		const group = groups.get(line.taxRatePpm) ?? { taxable: 0, tax: 0 };
		groups.set(line.taxRatePpm, { taxable: group.taxable + line.amount, tax: group.tax + line.tax });
	}
	return groups;
}
