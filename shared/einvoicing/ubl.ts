import { XMLBuilder } from "fast-xml-parser";
import { formatMajorUnits } from "../core/money.js";
import type { EinvoiceDocument, EinvoiceLine } from "./model.js";
import { electronicAddress, type PostalAddress } from "./parties.js";
import { percentText, type VatBreakdown, type VatCategory } from "./vat.js";

/**
 * UBL 2.1 Invoice and CreditNote (OASIS), as Peppol BIS Billing 3.0 and XRechnung 3.0
 * specify them. Elements are in the order the UBL schema's sequences require.
 */

export type UblProfile = "peppol" | "xrechnung";

export const CUSTOMIZATION_IDS: Readonly<Record<UblProfile, string>> = {
	peppol: "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
	xrechnung: "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
};

/** Peppol's billing process; XRechnung documents name it too. */
export const PEPPOL_BILLING_PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";

const NAMESPACES = {
	invoice: "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
	credit_note: "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
	cac: "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
	cbc: "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
};

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@", format: true, suppressEmptyNode: true });

type Node = Record<string, unknown>;

/** An element only when its value is there. */
function optional(name: string, value: unknown): Node {
	return value === undefined || value === "" ? {} : { [name]: value };
}

function amountNode(doc: EinvoiceDocument, minor: number): Node {
	return { "#text": formatMajorUnits(minor, doc.currency), "@currencyID": doc.currency };
}

function addressNode(address: PostalAddress): Node {
	const [street, additional, third] = address.lines;
	return {
		...optional("cbc:StreetName", street),
		...optional("cbc:AdditionalStreetName", additional),
		...optional("cbc:CityName", address.city),
		...optional("cbc:PostalZone", address.postalCode),
		...(third ? { "cac:AddressLine": { "cbc:Line": third } } : {}),
		"cac:Country": { "cbc:IdentificationCode": address.countryCode.toUpperCase() },
	};
}

function endpointNode(value: string): Node {
	const { scheme, id } = electronicAddress(value);
	return { "#text": id, "@schemeID": scheme };
}

/** "Outside the scope of VAT" invoices carry no VAT ids (BR-O-2 to BR-O-4). */
function outsideScope(doc: EinvoiceDocument): boolean {
	return doc.vatBreakdown.every((g) => g.category === "O");
}

function taxSchemeNode(): Node {
	return { "cbc:ID": "VAT" };
}

function partyTaxScheme(doc: EinvoiceDocument, vatId: string | undefined): Node {
	return vatId && !outsideScope(doc) ? { "cac:PartyTaxScheme": { "cbc:CompanyID": vatId, "cac:TaxScheme": taxSchemeNode() } } : {};
}

function supplierParty(doc: EinvoiceDocument): Node {
	const { seller } = doc;
	return {
		"cac:Party": {
			"cbc:EndpointID": endpointNode(seller.peppolId ?? `EM:${seller.email}`),
			"cac:PartyName": { "cbc:Name": seller.name },
			"cac:PostalAddress": addressNode(seller.address),
			...partyTaxScheme(doc, seller.vatId),
			"cac:PartyLegalEntity": { "cbc:RegistrationName": seller.name, ...optional("cbc:CompanyID", seller.registrationId) },
			"cac:Contact": {
				...optional("cbc:Name", seller.contactName ?? seller.name),
				...optional("cbc:Telephone", seller.phone),
				"cbc:ElectronicMail": seller.email,
			},
		},
	};
}

function customerParty(doc: EinvoiceDocument): Node {
	const { buyer } = doc;
	const endpoint = buyer.peppolId ?? (buyer.email ? `EM:${buyer.email}` : undefined);
	return {
		"cac:Party": {
			...(endpoint ? { "cbc:EndpointID": endpointNode(endpoint) } : {}),
			"cac:PartyName": { "cbc:Name": buyer.name },
			"cac:PostalAddress": addressNode(buyer.address),
			...partyTaxScheme(doc, buyer.vatId),
			"cac:PartyLegalEntity": { "cbc:RegistrationName": buyer.name },
			...(buyer.email ? { "cac:Contact": { "cbc:ElectronicMail": buyer.email } } : {}),
		},
	};
}

function taxCategoryNode(category: VatCategory, ratePpm: number, exemption?: VatBreakdown): Node {
	return {
		"cbc:ID": category,
		// "Not subject to VAT" has no rate (BR-O-5, BR-O-9).
		...(category === "O" ? {} : { "cbc:Percent": percentText(ratePpm) }),
		...optional("cbc:TaxExemptionReasonCode", exemption?.exemptionCode),
		...optional("cbc:TaxExemptionReason", exemption?.exemptionReason),
		"cac:TaxScheme": taxSchemeNode(),
	};
}

function paymentMeansNode(doc: EinvoiceDocument): Node {
	const means = doc.paymentMeans;
	if (means.code === "97") return { "cbc:PaymentMeansCode": "97" };
	return {
		"cbc:PaymentMeansCode": { "#text": "58", "@name": "SEPA credit transfer" },
		"cbc:PaymentID": means.remittance,
		"cac:PayeeFinancialAccount": {
			"cbc:ID": means.iban.replace(/\s+/g, ""),
			"cbc:Name": doc.seller.name,
			...(means.bic ? { "cac:FinancialInstitutionBranch": { "cbc:ID": means.bic } } : {}),
		},
	};
}

function lineNode(doc: EinvoiceDocument, line: EinvoiceLine): Node {
	const quantityElement = doc.kind === "invoice" ? "cbc:InvoicedQuantity" : "cbc:CreditedQuantity";
	return {
		"cbc:ID": line.id,
		[quantityElement]: { "#text": line.quantity, "@unitCode": "C62" },
		"cbc:LineExtensionAmount": amountNode(doc, line.netAmount),
		"cac:Item": { "cbc:Name": line.name, "cac:ClassifiedTaxCategory": taxCategoryNode(line.category, line.ratePpm) },
		"cac:Price": {
			"cbc:PriceAmount": amountNode(doc, line.price),
			...(line.baseQuantity ? { "cbc:BaseQuantity": { "#text": line.baseQuantity, "@unitCode": "C62" } } : {}),
		},
	};
}

/** The document as UBL 2.1 XML for the profile. */
export function writeUbl(doc: EinvoiceDocument, profile: UblProfile): string {
	const isInvoice = doc.kind === "invoice";
	const root = isInvoice ? "Invoice" : "CreditNote";
	// Peppol asks for a buyer reference or an order reference (PEPPOL-EN16931-R003); the account id stands in when the account has none.
	// XRechnung's Leitweg-ID is never made up: without one, BR-DE-15 refuses the document.
	const buyerReference = doc.buyerReference ?? (profile === "peppol" ? doc.accountId : undefined);
	const body: Node = {
		"@xmlns": isInvoice ? NAMESPACES.invoice : NAMESPACES.credit_note,
		"@xmlns:cac": NAMESPACES.cac,
		"@xmlns:cbc": NAMESPACES.cbc,
		"cbc:CustomizationID": CUSTOMIZATION_IDS[profile],
		"cbc:ProfileID": PEPPOL_BILLING_PROFILE_ID,
		"cbc:ID": doc.number,
		"cbc:IssueDate": doc.issueDate,
		...(isInvoice ? optional("cbc:DueDate", doc.dueDate) : {}),
		[isInvoice ? "cbc:InvoiceTypeCode" : "cbc:CreditNoteTypeCode"]: isInvoice ? "380" : "381",
		...optional("cbc:Note", doc.note),
		"cbc:DocumentCurrencyCode": doc.currency,
		...optional("cbc:BuyerReference", buyerReference),
		...(doc.period ? { "cac:InvoicePeriod": { "cbc:StartDate": doc.period.start, "cbc:EndDate": doc.period.end } } : {}),
		...(doc.precedingInvoice
			? {
					"cac:BillingReference": {
						"cac:InvoiceDocumentReference": { "cbc:ID": doc.precedingInvoice.number, "cbc:IssueDate": doc.precedingInvoice.issueDate },
					},
				}
			: {}),
		"cac:AccountingSupplierParty": supplierParty(doc),
		"cac:AccountingCustomerParty": customerParty(doc),
		"cac:PaymentMeans": paymentMeansNode(doc),
		...(doc.paymentTerms ? { "cac:PaymentTerms": { "cbc:Note": doc.paymentTerms } } : {}),
		"cac:TaxTotal": {
			"cbc:TaxAmount": amountNode(doc, doc.totals.taxTotal),
			"cac:TaxSubtotal": doc.vatBreakdown.map((g) => ({
				"cbc:TaxableAmount": amountNode(doc, g.taxableAmount),
				"cbc:TaxAmount": amountNode(doc, g.taxAmount),
				"cac:TaxCategory": taxCategoryNode(g.category, g.ratePpm, g),
			})),
		},
		"cac:LegalMonetaryTotal": {
			"cbc:LineExtensionAmount": amountNode(doc, doc.totals.lineTotal),
			"cbc:TaxExclusiveAmount": amountNode(doc, doc.totals.taxExclusive),
			"cbc:TaxInclusiveAmount": amountNode(doc, doc.totals.taxInclusive),
			...(doc.totals.prepaid ? { "cbc:PrepaidAmount": amountNode(doc, doc.totals.prepaid) } : {}),
			"cbc:PayableAmount": amountNode(doc, doc.totals.payable),
		},
		[isInvoice ? "cac:InvoiceLine" : "cac:CreditNoteLine"]: doc.lines.map((line) => lineNode(doc, line)),
	};
	return builder.build({ "?xml": { "@version": "1.0", "@encoding": "UTF-8" }, [root]: body }) as string;
}
