import { divideRoundHalfUp, TAX_RATE_SCALE } from "../core/money.js";
import { type BuyerParty, inEu, type SellerParty } from "./parties.js";

/**
 * VAT categories (UNCL 5305 as EN 16931 uses them) from what an invoice stores: each line's
 * rate and the invoice's tax note. The stored invoice does not say why a rate is zero, so
 * the model decides it by one rule, in this order:
 *   rate above zero                                              → S standard
 *   zero, seller and buyer in different EU states, both VAT ids  → AE reverse charge
 *   zero, the invoice has a tax note (a tax-exempt customer)     → E exempt, the note as its reason
 *   zero, seller in the EU and buyer outside it                  → O outside the scope of EU VAT
 *   zero otherwise                                               → Z zero rated
 */

export type VatCategory = "S" | "Z" | "E" | "AE" | "O";

export interface VatBreakdown {
	readonly category: VatCategory;
	/** Parts per million (19% is 190,000), as the invoice stores it. */
	readonly ratePpm: number;
	/** BT-116 and BT-117, minor units. */
	readonly taxableAmount: number;
	readonly taxAmount: number;
	/** BT-120 and BT-121: why no VAT is charged (E, AE, O). */
	readonly exemptionReason?: string;
	readonly exemptionCode?: string;
}

export interface VatContext {
	readonly seller: SellerParty;
	readonly buyer: BuyerParty;
	readonly taxNote?: string;
}

function country(vatIdOrCountry: string): string {
	return vatIdOrCountry.slice(0, 2).toUpperCase();
}

export function vatCategory(ratePpm: number, context: VatContext): VatCategory {
	if (ratePpm > 0) return "S";
	const sellerCountry = context.seller.address.countryCode.toUpperCase();
	const buyerCountry = context.buyer.address.countryCode.toUpperCase();
	const crossBorderEu = inEu(sellerCountry) && inEu(buyerCountry) && sellerCountry !== buyerCountry;
	if (crossBorderEu && context.seller.vatId && context.buyer.vatId && country(context.seller.vatId) !== country(context.buyer.vatId)) {
		return "AE";
	}
	if (context.taxNote) return "E";
	if (inEu(sellerCountry) && !inEu(buyerCountry)) return "O";
	return "Z";
}

export function exemptionOf(category: VatCategory, context: VatContext): { exemptionReason?: string; exemptionCode?: string } {
	switch (category) {
		case "AE":
			return { exemptionReason: "Reverse charge", exemptionCode: "VATEX-EU-AE" };
		case "E":
			return {
				exemptionReason: context.taxNote ?? "Exempt from VAT",
				...(context.buyer.vatExemptionCode ? { exemptionCode: context.buyer.vatExemptionCode } : {}),
			};
		case "O":
			return { exemptionReason: "Not subject to VAT", exemptionCode: "VATEX-EU-O" };
		default:
			return {};
	}
}

/** A rate in parts per million as a percent, exactly: 190000 → "19", 88750 → "8.875". */
export function percentText(ratePpm: number): string {
	const scale = TAX_RATE_SCALE / 100;
	const whole = Math.trunc(ratePpm / scale);
	const fraction = String(ratePpm % scale)
		.padStart(4, "0")
		.replace(/0+$/, "");
	return fraction ? `${whole}.${fraction}` : String(whole);
}

/**
 * Splits `amount` over `weights` in proportion, each part rounded half-up, the remainder
 * going to the largest weight so the parts add up to `amount` exactly.
 */
export function allocate(amount: number, weights: readonly number[]): number[] {
	const total = weights.reduce((a, w) => a + w, 0);
	if (total === 0) throw new Error("cannot allocate over weights that sum to zero");
	const parts = weights.map((w) => Number(divideRoundHalfUp(BigInt(amount) * BigInt(w), BigInt(total))));
	const largest = weights.reduce((best, w, i) => (Math.abs(w) > Math.abs(weights[best] ?? 0) ? i : best), 0);
	parts[largest] = (parts[largest] ?? 0) + amount - parts.reduce((a, p) => a + p, 0);
	return parts;
}
