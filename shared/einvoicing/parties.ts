/**
 * Who sells and who buys, as an e-invoice needs them: more than the PDF prints (VAT ids,
 * electronic addresses, a structured address, the bank account). The seller's come from
 * configuration, the buyer's from the account (DESIGN.md section 13).
 */

export interface PostalAddress {
	/** Street and further address lines, at most three. */
	readonly lines: readonly string[];
	readonly city?: string;
	readonly postalCode?: string;
	/** ISO 3166-1 alpha-2: "DE", "BE", "FR". */
	readonly countryCode: string;
}

export interface SellerParty {
	readonly name: string;
	/** BT-31, with its country prefix: "DE123456789". */
	readonly vatId: string;
	/** BT-30, the company's registration (e.g. "HRB 12345"). */
	readonly registrationId?: string;
	readonly address: PostalAddress & { readonly city: string; readonly postalCode: string };
	/** BG-17: where the buyer pays by credit transfer. */
	readonly iban: string;
	readonly bic?: string;
	readonly email: string;
	/** BG-6: XRechnung asks for a contact name and telephone number besides the email. */
	readonly contactName?: string;
	readonly phone?: string;
	/** BT-34 as `scheme:identifier` (e.g. "0208:0123456789"); without one the email address is written (scheme EM). */
	readonly peppolId?: string;
}

export interface BuyerParty {
	readonly name: string;
	readonly address: PostalAddress;
	/** BT-48. */
	readonly vatId?: string;
	/** BT-49 as `scheme:identifier`; without one the invoice's email address is written (scheme EM). */
	readonly peppolId?: string;
	/** BT-10: the buyer's routing reference; for XRechnung the Leitweg-ID. */
	readonly buyerReference?: string;
	/** BT-121, a VATEX code (e.g. "VATEX-EU-132") for an exempt invoice, besides its reason. */
	readonly vatExemptionCode?: string;
}

export interface EinvoiceParties {
	readonly seller: SellerParty;
	readonly buyer: BuyerParty;
}

/** An electronic address `scheme:identifier` in its two parts; the scheme is an EAS code ("0208", "9930", "EM"). */
export function electronicAddress(value: string): { scheme: string; id: string } {
	const at = value.indexOf(":");
	if (at <= 0 || at === value.length - 1) throw new Error(`electronic address ${JSON.stringify(value)} is not scheme:identifier`);
	return { scheme: value.slice(0, at), id: value.slice(at + 1) };
}

/** The EU member states, by the country code their VAT ids and addresses use (Greece's VAT ids start EL). */
const EU_MEMBER_STATES = new Set([
	"AT",
	"BE",
	"BG",
	"CY",
	"CZ",
	"DE",
	"DK",
	"EE",
	"ES",
	"FI",
	"FR",
	"GR",
	"EL",
	"HR",
	"HU",
	"IE",
	"IT",
	"LT",
	"LU",
	"LV",
	"MT",
	"NL",
	"PL",
	"PT",
	"RO",
	"SE",
	"SI",
	"SK",
]);

export function inEu(countryCode: string): boolean {
	return EU_MEMBER_STATES.has(countryCode.toUpperCase());
}
