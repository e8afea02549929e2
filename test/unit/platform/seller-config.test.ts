import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/core/errors.js";
import { sellerConfig, sellerEInvoiceDetails } from "../../../shared/platform/config.js";

const SELLER = {
	SENDER_EMAIL: "billing@example.be",
	SELLER_VAT_ID: "BE 0403.170.701",
	SELLER_REGISTRATION_ID: "0403170701",
	SELLER_STREET: "Avenue Louise 54|Box 3",
	SELLER_CITY: "Brussels",
	SELLER_POSTAL_CODE: "1050",
	SELLER_COUNTRY_CODE: "be",
	SELLER_IBAN: "BE68 5390 0754 7034",
	SELLER_BIC: "gkccbebb",
	SELLER_PHONE: "+32 2 555 01 00",
	SELLER_PEPPOL_ID: "0208:0403170701",
};

describe("the seller's e-invoice details (configuration)", () => {
	it("reads them, as e-invoices carry them", () => {
		expect(sellerConfig(SELLER).einvoice).toEqual({
			vatId: "BE0403170701",
			registrationId: "0403170701",
			postalAddress: { lines: ["Avenue Louise 54", "Box 3"], city: "Brussels", postalCode: "1050", countryCode: "BE" },
			paymentAccount: { iban: "BE68539007547034", bic: "GKCCBEBB" },
			phone: "+32 2 555 01 00",
			peppolId: "0208:0403170701",
		});
	});

	it("takes the registration id, the BIC and the phone as optional", () => {
		const {
			SELLER_REGISTRATION_ID: _registration,
			SELLER_BIC: _bic,
			SELLER_PHONE: _phone,
			SELLER_PEPPOL_ID: _peppol,
			...required
		} = SELLER;
		const details = sellerEInvoiceDetails(required);
		expect(details).toEqual({
			vatId: "BE0403170701",
			postalAddress: { lines: ["Avenue Louise 54", "Box 3"], city: "Brussels", postalCode: "1050", countryCode: "BE" },
			paymentAccount: { iban: "BE68539007547034" },
		});
	});

	it("is absent when none of it is set, so a seller without e-invoices loads as before", () => {
		const config = sellerConfig({ SENDER_EMAIL: "billing@example.com" });
		expect(config).not.toHaveProperty("einvoice");
		expect(config.name).toBe("Example Billing Co.");
	});

	it.each([
		[{ SELLER_IBAN: "BE68 5390 0754 7035" }, /SELLER_IBAN: BE68539007547035 is not a valid IBAN: its check digits do not match \(mod 97\)/],
		[{ SELLER_IBAN: "not an iban" }, /SELLER_IBAN: "not an iban" is not an IBAN/],
		[{ SELLER_VAT_ID: "BE123" }, /SELLER_VAT_ID: "BE123" does not have the shape of BE's VAT ids/],
		[{ SELLER_BIC: "GKCC" }, /SELLER_BIC must be a BIC of 8 or 11 letters and digits/],
		[{ SELLER_PHONE: "call us" }, /SELLER_PHONE must be a telephone number/],
		[{ SELLER_PEPPOL_ID: "0208" }, /SELLER_PEPPOL_ID: /],
		[{ SELLER_COUNTRY_CODE: "Belgium" }, /SELLER_COUNTRY_CODE must be a two-letter ISO 3166-1 code/],
		[{ SELLER_STREET: "a|b|c|d" }, /SELLER_STREET must be one to three street lines/],
		[{ SELLER_CITY: " " }, /SELLER_CITY is required with the seller's other e-invoice details/],
	])("refuses %j at load with a message naming the variable", (change, message) => {
		expect(() => sellerConfig({ ...SELLER, ...change })).toThrow(ConfigError);
		expect(() => sellerConfig({ ...SELLER, ...change })).toThrow(message);
	});

	it("names every required variable missing when only some are set", () => {
		expect(() => sellerEInvoiceDetails({ SELLER_IBAN: "BE68539007547034" })).toThrow(
			"environment variables SELLER_VAT_ID, SELLER_STREET, SELLER_CITY, SELLER_POSTAL_CODE, SELLER_COUNTRY_CODE are required with the seller's other e-invoice details (SELLER_IBAN set)",
		);
	});
});
