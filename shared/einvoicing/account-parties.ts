import type { Account } from "../core/model.js";
import type { SellerConfig } from "../platform/config.js";
import type { EinvoiceParties } from "./parties.js";

/**
 * The parties of an account's e-invoice: the seller from configuration (SellerConfig and its
 * e-invoice details), the buyer from the account as it is now (so a corrected account gives
 * a corrected document) under the name the document was issued to.
 */

/** Why the parties cannot be named: a rule id as the validator would give it, and what to do. */
export interface PartiesProblem {
	readonly ruleId: string;
	readonly message: string;
}

/** EN 16931 writes at most three street lines (BT-50, BT-51, BT-163). */
const MAX_ADDRESS_LINES = 3;

export function einvoicePartiesOf(
	account: Account,
	seller: SellerConfig,
	issuedTo: { readonly name: string },
): EinvoiceParties | { readonly problems: readonly PartiesProblem[] } {
	const problems: PartiesProblem[] = [];
	if (!seller.einvoice) {
		problems.push({
			ruleId: "configuration",
			message:
				"the seller's e-invoice details are not configured (SELLER_VAT_ID, SELLER_STREET, SELLER_CITY, SELLER_POSTAL_CODE, SELLER_COUNTRY_CODE, SELLER_IBAN; deployed, the sellerVatId… context values)",
		});
	}
	if (!account.country) {
		problems.push({
			ruleId: "BR-11",
			message: `account ${account.accountId} has no country: the buyer's postal address needs its ISO 3166-1 country code (billing accounts update ${account.accountId} --country <code>)`,
		});
	}
	const details = seller.einvoice;
	if (!details || !account.country) return { problems };
	return {
		seller: {
			name: seller.name,
			vatId: details.vatId,
			...(details.registrationId ? { registrationId: details.registrationId } : {}),
			address: details.postalAddress,
			iban: details.paymentAccount.iban,
			...(details.paymentAccount.bic ? { bic: details.paymentAccount.bic } : {}),
			email: seller.email,
			...(details.phone ? { phone: details.phone } : {}),
			...(details.peppolId ? { peppolId: details.peppolId } : {}),
		},
		buyer: {
			name: issuedTo.name,
			address: {
				lines: account.addressLines.filter((line) => line.trim() !== "").slice(0, MAX_ADDRESS_LINES),
				...(account.city ? { city: account.city } : {}),
				...(account.postalCode ? { postalCode: account.postalCode } : {}),
				countryCode: account.country,
			},
			...(account.vatId ? { vatId: account.vatId } : {}),
			...(account.peppolId ? { peppolId: account.peppolId } : {}),
			...(account.buyerReference ? { buyerReference: account.buyerReference } : {}),
		},
	};
}
