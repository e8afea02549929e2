import { describe, expect, it } from "vitest";
import { einvoiceDetailsProblem, readCity, readCountryCode } from "../../../shared/core/einvoice-account.js";
import { ibanRemainder, readIban } from "../../../shared/core/iban.js";
import { PEPPOL_EAS_CODES, readPeppolId } from "../../../shared/core/peppol-schemes.js";
import { EU_VAT_ID_FORMATS, readVatId } from "../../../shared/core/vat-ids.js";

describe("EU VAT ids", () => {
	it("covers the 27 member states, Greece as EL", () => {
		expect(Object.keys(EU_VAT_ID_FORMATS)).toHaveLength(27);
		expect(EU_VAT_ID_FORMATS).toHaveProperty("EL");
		expect(EU_VAT_ID_FORMATS).not.toHaveProperty("GR");
	});

	it.each([
		["ATU12345678", "ATU12345678"],
		["be 0403.170.701", "BE0403170701"],
		["CY12345678L", "CY12345678L"],
		["DE123456789", "DE123456789"],
		["DK 12 34 56 78", "DK12345678"],
		["EL123456789", "EL123456789"],
		["ESX1234567X", "ESX1234567X"],
		["ES12345678Z", "ES12345678Z"],
		["FR40303265045", "FR40303265045"],
		["IE1234567WA", "IE1234567WA"],
		["IE1A23456B", "IE1A23456B"],
		["NL123456789B01", "NL123456789B01"],
		["RO12", "RO12"],
		["SE123456789701", "SE123456789701"],
	])("reads %s as %s", (written, stored) => {
		expect(readVatId(written)).toBe(stored);
	});

	it.each([
		["DE12345678", /does not have the shape of DE's VAT ids: DE999999999/],
		["ATU1234567", /shape of AT's VAT ids: ATU99999999/],
		["BE2403170701", /shape of BE's VAT ids/],
		["ES123456789", /shape of ES's VAT ids/],
		["NL123456789A01", /shape of NL's VAT ids/],
		["GR123456789", /Greek VAT ids start with EL, not GR: EL123456789/],
		["CH123456789", /CH is not the prefix of an EU member state's VAT id/],
		["123456789", /does not start with its country's two-letter prefix/],
	])("refuses %s", (written, reason) => {
		expect(() => readVatId(written)).toThrow(reason);
	});
});

describe("Peppol participant ids", () => {
	it("knows the 92 EAS codes of Peppol BIS Billing 3.0.19", () => {
		expect(PEPPOL_EAS_CODES.size).toBe(92);
		for (const code of ["0002", "0088", "0204", "0208", "0240", "9925", "9930", "9957", "9959"])
			expect(PEPPOL_EAS_CODES.has(code)).toBe(true);
		// 9901 (Danish CVR) left the list in 3.0.19; AN, AS... are EN 16931 schemes no Peppol participant has.
		for (const code of ["9901", "AN", "0219", "9999"]) expect(PEPPOL_EAS_CODES.has(code)).toBe(false);
	});

	it("reads scheme:identifier without the spaces around them", () => {
		expect(readPeppolId(" 0088 : 4000001123452 ")).toBe("0088:4000001123452");
		expect(readPeppolId("0208:0403170701")).toBe("0208:0403170701");
	});

	it.each([
		["0403170701", /is not scheme:identifier/],
		["9999:0403170701", /scheme "9999" is not a Peppol participant identifier scheme/],
		["0208:", /the identifier after 0208: is empty/],
		["0088:40000 01123452", /has a space in it/],
		["0208:0403170702", /0403170702 is not a Belgian enterprise number/],
		["0208:403170701", /is not a Belgian enterprise number/],
	])("refuses %s", (written, reason) => {
		expect(() => readPeppolId(written)).toThrow(reason);
	});
});

describe("an account's e-invoice fields together", () => {
	it("needs a Peppol id for peppol and a buyer reference for xrechnung; facturx and none need neither", () => {
		expect(einvoiceDetailsProblem({ einvoice: "peppol" })).toMatchObject({ field: "peppolId" });
		expect(einvoiceDetailsProblem({ einvoice: "peppol", peppolId: "0208:0403170701" })).toBeUndefined();
		expect(einvoiceDetailsProblem({ einvoice: "xrechnung", peppolId: "9930:DE123456789" })).toMatchObject({ field: "buyerReference" });
		expect(einvoiceDetailsProblem({ einvoice: "xrechnung", buyerReference: "04011000-1234512345-06" })).toBeUndefined();
		expect(einvoiceDetailsProblem({ einvoice: "facturx" })).toBeUndefined();
		expect(einvoiceDetailsProblem({})).toBeUndefined();
	});
});

describe("the buyer's address parts", () => {
	it.each([
		["DE", "DE"],
		["be", "BE"],
		[" fr ", "FR"],
		["GB", "GB"],
		["JP", "JP"],
	])("takes the country %j as %j", (given, stored) => {
		expect(readCountryCode(given)).toBe(stored);
	});

	it.each([
		["XX", /XX is not an ISO 3166-1 country code/],
		["UK", /UK is not an ISO 3166-1 country code/],
		["EU", /EU is not an ISO 3166-1 country code/],
		["Germany", /must be a two-letter ISO 3166-1 country code such as DE or BE, not "Germany"/],
		["D", /must be a two-letter ISO 3166-1 country code/],
	])("refuses the country %j", (given, message) => {
		expect(() => readCountryCode(given)).toThrow(message);
	});

	it("takes a city trimmed and refuses an empty or overlong one", () => {
		expect(readCity(" Gent ")).toBe("Gent");
		expect(() => readCity("  ")).toThrow("is empty");
		expect(() => readCity("x".repeat(65))).toThrow("is longer than 64 characters");
	});
});

describe("IBANs", () => {
	it.each([
		["BE68 5390 0754 7034", "BE68539007547034"],
		["de89 3704 0044 0532 0130 00", "DE89370400440532013000"],
		["FR1420041010050500013M02606", "FR1420041010050500013M02606"],
		["MT84MALT011000012345MTLCAST001S", "MT84MALT011000012345MTLCAST001S"],
	])("reads %s as %s (mod 97 is 1)", (written, stored) => {
		expect(readIban(written)).toBe(stored);
		expect(ibanRemainder(stored)).toBe(1);
	});

	it("refuses one digit off, two digits swapped, and what is not an IBAN", () => {
		expect(() => readIban("BE68539007547035")).toThrow(/BE68539007547035 is not a valid IBAN: its check digits do not match \(mod 97\)/);
		expect(() => readIban("DE89370400440532031000")).toThrow(/check digits do not match/);
		expect(() => readIban("1234")).toThrow(/is not an IBAN/);
	});
});
