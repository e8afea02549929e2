import { describe, expect, it } from "vitest";
import type { Account } from "../../../shared/core/model.js";
import { einvoicePartiesOf } from "../../../shared/einvoicing/account-parties.js";
import { sellerConfig } from "../../../shared/platform/config.js";
import { testAccount } from "../../support/accounts.js";

const SELLER_ENV = {
	SENDER_EMAIL: "billing@example.be",
	SELLER_NAME: "Example Billing BV",
	SELLER_VAT_ID: "BE0123456749",
	SELLER_STREET: "Avenue Louise 54",
	SELLER_CITY: "Brussels",
	SELLER_POSTAL_CODE: "1050",
	SELLER_COUNTRY_CODE: "BE",
	SELLER_IBAN: "BE68539007547034",
	SELLER_BIC: "GKCCBEBB",
	SELLER_PHONE: "+32 2 555 01 00",
	SELLER_PEPPOL_ID: "0208:0123456749",
};

const buyer: Account = {
	...testAccount("EI-DE"),
	addressLines: ["Am Markt 5", "Gebäude B", "", "Eingang 3", "Postfach 12"],
	einvoice: "xrechnung",
	vatId: "DE123456789",
	buyerReference: "04011000-1234512345-06",
	city: "Musterstadt",
	postalCode: "12345",
	country: "DE",
};

describe("an e-invoice's parties, from the account and the configuration", () => {
	it("names the seller as configured and the buyer as the account is, under the name the document was issued to", () => {
		expect(einvoicePartiesOf(buyer, sellerConfig(SELLER_ENV), { name: "Stadtwerke Musterstadt" })).toEqual({
			seller: {
				name: "Example Billing BV",
				vatId: "BE0123456749",
				address: { lines: ["Avenue Louise 54"], city: "Brussels", postalCode: "1050", countryCode: "BE" },
				iban: "BE68539007547034",
				bic: "GKCCBEBB",
				email: "billing@example.be",
				phone: "+32 2 555 01 00",
				peppolId: "0208:0123456749",
			},
			buyer: {
				name: "Stadtwerke Musterstadt",
				// At most three street lines, empty ones left out.
				address: { lines: ["Am Markt 5", "Gebäude B", "Eingang 3"], city: "Musterstadt", postalCode: "12345", countryCode: "DE" },
				vatId: "DE123456789",
				buyerReference: "04011000-1234512345-06",
			},
		});
	});

	it("says what is missing when the seller has no e-invoice details or the account no country", () => {
		const { country: _country, ...withoutCountry } = buyer;
		const result = einvoicePartiesOf(withoutCountry, sellerConfig({ SENDER_EMAIL: "billing@example.com" }), { name: "x" });
		expect(result).toEqual({
			problems: [
				{ ruleId: "configuration", message: expect.stringMatching(/^the seller's e-invoice details are not configured \(SELLER_VAT_ID/) },
				{ ruleId: "BR-11", message: expect.stringMatching(/account EI-DE has no country.*billing accounts update EI-DE --country <code>/) },
			],
		});
	});
});
