import * as z from "zod";
import { readPeppolId } from "./peppol-schemes.js";
import { readVatId } from "./vat-ids.js";

/**
 * What an account says about the structured e-invoices it needs (DESIGN.md section 13), and
 * the checks of it: one place for the import's columns and the desk's `accounts.update`.
 */

/** `none` (the default), Peppol BIS Billing 3.0 UBL, XRechnung 3.0 UBL, Factur-X / ZUGFeRD EN 16931 (CII in a PDF/A-3). */
export const EINVOICE_KINDS = ["none", "peppol", "xrechnung", "facturx"] as const;
export type EInvoiceKind = (typeof EINVOICE_KINDS)[number];

/** As stored on the account: `none` is the field's absence, so accounts stored before e-invoices read as none. */
export const storedEInvoiceKindSchema = z.enum(["peppol", "xrechnung", "facturx"]);
export type StoredEInvoiceKind = z.infer<typeof storedEInvoiceKindSchema>;

/**
 * The account's e-invoice fields; each is absent when not given. The buyer's city, post code
 * and country (BT-52, BT-53, BT-55) besides its address lines: the e-invoice names them
 * apart, and XRechnung requires city and post code (BR-DE-8, BR-DE-9).
 */
export interface EInvoiceDetails {
	readonly einvoice?: StoredEInvoiceKind;
	readonly vatId?: string;
	readonly peppolId?: string;
	readonly buyerReference?: string;
	readonly city?: string;
	readonly postalCode?: string;
	/** ISO 3166-1 alpha-2, upper case: "DE". */
	readonly country?: string;
}

/** The longest buyer reference taken: a Leitweg-ID has at most 46 characters, a purchase order number fewer. */
export const BUYER_REFERENCE_MAX_LENGTH = 64;

export function readEInvoiceKind(value: string): EInvoiceKind {
	const kind = value.trim();
	if (!(EINVOICE_KINDS as readonly string[]).includes(kind)) {
		throw new Error(`must be one of ${EINVOICE_KINDS.join(", ")}, not ${JSON.stringify(kind)}`);
	}
	return kind as EInvoiceKind;
}

export function readBuyerReference(value: string): string {
	const reference = value.trim();
	if (reference === "") throw new Error("is empty");
	if ([...reference].length > BUYER_REFERENCE_MAX_LENGTH) throw new Error(`is longer than ${BUYER_REFERENCE_MAX_LENGTH} characters`);
	return reference;
}

/** The longest city or post code taken (UN/ECE recommends 35 characters for a city name). */
export const ADDRESS_PART_MAX_LENGTH = 64;

function readAddressPart(value: string): string {
	const part = value.trim();
	if (part === "") throw new Error("is empty");
	if ([...part].length > ADDRESS_PART_MAX_LENGTH) throw new Error(`is longer than ${ADDRESS_PART_MAX_LENGTH} characters`);
	return part;
}

export const readCity = readAddressPart;
export const readPostalCode = readAddressPart;

/** Two letters ICU names that are no ISO 3166-1 country: UK (the code is GB), groupings, pseudo-regions. */
const NOT_COUNTRIES = new Set(["UK", "EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"]);
const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "code" });

/** An ISO 3166-1 alpha-2 country code, in either case; one no country has ("XX", "UK") is refused. */
export function readCountryCode(value: string): string {
	const code = value.trim().toUpperCase();
	if (!/^[A-Z]{2}$/.test(code))
		throw new Error(`must be a two-letter ISO 3166-1 country code such as DE or BE, not ${JSON.stringify(value.trim())}`);
	if (NOT_COUNTRIES.has(code) || regionNames.of(code) === code) throw new Error(`${code} is not an ISO 3166-1 country code`);
	return code;
}

/**
 * What an account's e-invoice fields, taken together, lack: a Peppol account is addressed by
 * its Peppol id; XRechnung requires the buyer reference (BT-10, rule BR-DE-15), for a
 * German public buyer its Leitweg-ID. Field names are the account's.
 */
export function einvoiceDetailsProblem(
	details: EInvoiceDetails,
): { readonly field: keyof EInvoiceDetails; readonly reason: string } | undefined {
	if (details.einvoice === "peppol" && !details.peppolId) {
		return {
			field: "peppolId",
			reason: "a peppol account needs its Peppol id (scheme:identifier, e.g. 0208:0123456749); its e-invoices are addressed to it",
		};
	}
	if (details.einvoice === "xrechnung" && !details.buyerReference) {
		return {
			field: "buyerReference",
			reason:
				"an xrechnung account needs its buyer reference (BT-10, a German public buyer's Leitweg-ID, e.g. 04011000-1234512345-06); XRechnung requires it",
		};
	}
	return undefined;
}

/** A zod string read by one of the readers above: its message is the issue's. */
function readWith<T>(read: (value: string) => T) {
	return z.string().transform((value, ctx) => {
		try {
			return read(value);
		} catch (err) {
			ctx.addIssue({ code: "custom", message: (err as Error).message });
			return z.NEVER;
		}
	});
}

/** The desk's inputs for the fields, with the import's checks. */
export const einvoiceKindInput = z.enum(EINVOICE_KINDS);
export const vatIdInput = readWith(readVatId);
export const peppolIdInput = readWith(readPeppolId);
export const buyerReferenceInput = readWith(readBuyerReference);
export const cityInput = readWith(readCity);
export const postalCodeInput = readWith(readPostalCode);
export const countryInput = readWith(readCountryCode);
