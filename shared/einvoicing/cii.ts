import { XMLBuilder } from "fast-xml-parser";
import { formatMajorUnits } from "../core/money.js";
import type { EinvoiceDocument, EinvoiceLine } from "./model.js";
import { electronicAddress, type PostalAddress } from "./parties.js";
import { percentText, type VatBreakdown } from "./vat.js";

/**
 * UN/CEFACT Cross Industry Invoice (D16B) in the EN 16931 profile, the XML inside a
 * Factur-X / ZUGFeRD PDF. Elements are in the order the CII schema's sequences require.
 */

/** The EN 16931 guideline: Factur-X's and ZUGFeRD's "EN 16931" (formerly COMFORT) profile. */
export const CII_EN16931_GUIDELINE = "urn:cen.eu:en16931:2017";

const NAMESPACES = {
	"@xmlns:rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
	"@xmlns:ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
	"@xmlns:udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
	"@xmlns:qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
};

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: "@", format: true, suppressEmptyNode: true });

type Node = Record<string, unknown>;

function optional(name: string, value: unknown): Node {
	return value === undefined || value === "" ? {} : { [name]: value };
}

/** CII dates are YYYYMMDD with format 102. */
function dateNode(isoDate: string, prefix: "udt" | "qdt" = "udt"): Node {
	return { [`${prefix}:DateTimeString`]: { "#text": isoDate.replaceAll("-", ""), "@format": "102" } };
}

function amount(doc: EinvoiceDocument, minor: number): string {
	return formatMajorUnits(minor, doc.currency);
}

function addressNode(address: PostalAddress): Node {
	const [one, two, three] = address.lines;
	return {
		...optional("ram:PostcodeCode", address.postalCode),
		...optional("ram:LineOne", one),
		...optional("ram:LineTwo", two),
		...optional("ram:LineThree", three),
		...optional("ram:CityName", address.city),
		"ram:CountryID": address.countryCode.toUpperCase(),
	};
}

function uriNode(value: string): Node {
	const { scheme, id } = electronicAddress(value);
	return { "ram:URIUniversalCommunication": { "ram:URIID": { "#text": id, "@schemeID": scheme } } };
}

function outsideScope(doc: EinvoiceDocument): boolean {
	return doc.vatBreakdown.every((g) => g.category === "O");
}

function taxRegistration(doc: EinvoiceDocument, vatId: string | undefined): Node {
	return vatId && !outsideScope(doc) ? { "ram:SpecifiedTaxRegistration": { "ram:ID": { "#text": vatId, "@schemeID": "VA" } } } : {};
}

function sellerNode(doc: EinvoiceDocument): Node {
	const { seller } = doc;
	return {
		"ram:Name": seller.name,
		...(seller.registrationId ? { "ram:SpecifiedLegalOrganization": { "ram:ID": seller.registrationId } } : {}),
		"ram:DefinedTradeContact": {
			"ram:PersonName": seller.contactName ?? seller.name,
			...(seller.phone ? { "ram:TelephoneUniversalCommunication": { "ram:CompleteNumber": seller.phone } } : {}),
			"ram:EmailURIUniversalCommunication": { "ram:URIID": seller.email },
		},
		"ram:PostalTradeAddress": addressNode(seller.address),
		...uriNode(seller.peppolId ?? `EM:${seller.email}`),
		...taxRegistration(doc, seller.vatId),
	};
}

function buyerNode(doc: EinvoiceDocument): Node {
	const { buyer } = doc;
	const endpoint = buyer.peppolId ?? (buyer.email ? `EM:${buyer.email}` : undefined);
	return {
		"ram:Name": buyer.name,
		"ram:PostalTradeAddress": addressNode(buyer.address),
		...(endpoint ? uriNode(endpoint) : {}),
		...taxRegistration(doc, buyer.vatId),
	};
}

function percentNode(category: string, ratePpm: number): Node {
	return category === "O" ? {} : { "ram:RateApplicablePercent": percentText(ratePpm) };
}

function headerTaxNode(doc: EinvoiceDocument, g: VatBreakdown): Node {
	return {
		"ram:CalculatedAmount": amount(doc, g.taxAmount),
		"ram:TypeCode": "VAT",
		...optional("ram:ExemptionReason", g.exemptionReason),
		"ram:BasisAmount": amount(doc, g.taxableAmount),
		"ram:CategoryCode": g.category,
		...optional("ram:ExemptionReasonCode", g.exemptionCode),
		...percentNode(g.category, g.ratePpm),
	};
}

function lineNode(doc: EinvoiceDocument, line: EinvoiceLine): Node {
	return {
		"ram:AssociatedDocumentLineDocument": { "ram:LineID": line.id },
		"ram:SpecifiedTradeProduct": { "ram:Name": line.name },
		"ram:SpecifiedLineTradeAgreement": {
			"ram:NetPriceProductTradePrice": {
				"ram:ChargeAmount": amount(doc, line.price),
				...(line.baseQuantity ? { "ram:BasisQuantity": { "#text": line.baseQuantity, "@unitCode": "C62" } } : {}),
			},
		},
		"ram:SpecifiedLineTradeDelivery": { "ram:BilledQuantity": { "#text": line.quantity, "@unitCode": "C62" } },
		"ram:SpecifiedLineTradeSettlement": {
			"ram:ApplicableTradeTax": { "ram:TypeCode": "VAT", "ram:CategoryCode": line.category, ...percentNode(line.category, line.ratePpm) },
			"ram:SpecifiedTradeSettlementLineMonetarySummation": { "ram:LineTotalAmount": amount(doc, line.netAmount) },
		},
	};
}

function paymentMeansNode(doc: EinvoiceDocument): Node {
	const means = doc.paymentMeans;
	if (means.code === "97") return { "ram:TypeCode": "97" };
	return {
		"ram:TypeCode": "58",
		"ram:PayeePartyCreditorFinancialAccount": { "ram:IBANID": means.iban.replace(/\s+/g, ""), "ram:AccountName": doc.seller.name },
		...(means.bic ? { "ram:PayeeSpecifiedCreditorFinancialInstitution": { "ram:BICID": means.bic } } : {}),
	};
}

/** The document as CII XML: type code 380 for an invoice, 381 for a credit note. */
export function writeCii(doc: EinvoiceDocument): string {
	const settlement: Node = {
		...(doc.paymentMeans.code === "58" ? { "ram:PaymentReference": doc.paymentMeans.remittance } : {}),
		"ram:InvoiceCurrencyCode": doc.currency,
		"ram:SpecifiedTradeSettlementPaymentMeans": paymentMeansNode(doc),
		"ram:ApplicableTradeTax": doc.vatBreakdown.map((g) => headerTaxNode(doc, g)),
		...(doc.period
			? { "ram:BillingSpecifiedPeriod": { "ram:StartDateTime": dateNode(doc.period.start), "ram:EndDateTime": dateNode(doc.period.end) } }
			: {}),
		...(doc.paymentTerms || doc.dueDate
			? {
					"ram:SpecifiedTradePaymentTerms": {
						...optional("ram:Description", doc.paymentTerms),
						...(doc.dueDate ? { "ram:DueDateDateTime": dateNode(doc.dueDate) } : {}),
					},
				}
			: {}),
		"ram:SpecifiedTradeSettlementHeaderMonetarySummation": {
			"ram:LineTotalAmount": amount(doc, doc.totals.lineTotal),
			"ram:TaxBasisTotalAmount": amount(doc, doc.totals.taxExclusive),
			"ram:TaxTotalAmount": { "#text": amount(doc, doc.totals.taxTotal), "@currencyID": doc.currency },
			"ram:GrandTotalAmount": amount(doc, doc.totals.taxInclusive),
			...(doc.totals.prepaid ? { "ram:TotalPrepaidAmount": amount(doc, doc.totals.prepaid) } : {}),
			"ram:DuePayableAmount": amount(doc, doc.totals.payable),
		},
		...(doc.precedingInvoice
			? {
					"ram:InvoiceReferencedDocument": {
						"ram:IssuerAssignedID": doc.precedingInvoice.number,
						"ram:FormattedIssueDateTime": dateNode(doc.precedingInvoice.issueDate, "qdt"),
					},
				}
			: {}),
	};
	const body: Node = {
		...NAMESPACES,
		"rsm:ExchangedDocumentContext": { "ram:GuidelineSpecifiedDocumentContextParameter": { "ram:ID": CII_EN16931_GUIDELINE } },
		"rsm:ExchangedDocument": {
			"ram:ID": doc.number,
			"ram:TypeCode": doc.kind === "invoice" ? "380" : "381",
			"ram:IssueDateTime": dateNode(doc.issueDate),
			...(doc.note ? { "ram:IncludedNote": { "ram:Content": doc.note } } : {}),
		},
		"rsm:SupplyChainTradeTransaction": {
			"ram:IncludedSupplyChainTradeLineItem": doc.lines.map((line) => lineNode(doc, line)),
			"ram:ApplicableHeaderTradeAgreement": {
				...optional("ram:BuyerReference", doc.buyerReference),
				"ram:SellerTradeParty": sellerNode(doc),
				"ram:BuyerTradeParty": buyerNode(doc),
			},
			"ram:ApplicableHeaderTradeDelivery": "",
			"ram:ApplicableHeaderTradeSettlement": settlement,
		},
	};
	return builder.build({ "?xml": { "@version": "1.0", "@encoding": "UTF-8" }, "rsm:CrossIndustryInvoice": body }) as string;
}
