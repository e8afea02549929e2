import type { CreditMemo, Invoice, InvoiceLine } from "../../../shared/core/model.js";
import { taxPerLineHalfUp } from "../../../shared/core/money.js";
import type { BuyerParty, EinvoiceParties, SellerParty } from "../../../shared/einvoicing/parties.js";

/** A German seller, as configuration will describe it: VAT id, registration, address, bank account, contact. */
export const SELLER: SellerParty = {
	name: "Ledgerline GmbH",
	vatId: "DE123456789",
	registrationId: "HRB 12345",
	address: { lines: ["Hauptstraße 1"], city: "Berlin", postalCode: "10115", countryCode: "DE" },
	iban: "DE89 3704 0044 0532 0130 00",
	bic: "COBADEFFXXX",
	email: "billing@ledgerline.example",
	contactName: "Billing team",
	phone: "+49 30 1234567",
	peppolId: "9930:DE123456789",
};

export const GERMAN_BUYER: BuyerParty = {
	name: "Stadtwerke Musterstadt",
	address: { lines: ["Am Markt 5"], city: "Musterstadt", postalCode: "12345", countryCode: "DE" },
	vatId: "DE987654321",
	buyerReference: "04011000-12345-34",
	peppolId: "0204:04011000-12345-34",
};

export const BELGIAN_BUYER: BuyerParty = {
	name: "Brouwerij De Koe & Zonen <BV>",
	address: { lines: ["Kerkstraat 12"], city: "Gent", postalCode: "9000", countryCode: "BE" },
	vatId: "BE0123456749",
	peppolId: "0208:0123456749",
};

export const FRENCH_BUYER: BuyerParty = {
	name: "Atelier Lumière SARL",
	address: { lines: ["12 rue de la Paix"], city: "Paris", postalCode: "75002", countryCode: "FR" },
	vatId: "FR40303265045",
};

export const JAPANESE_BUYER: BuyerParty = {
	name: "Sakura Trading KK",
	address: { lines: ["1-1 Marunouchi"], city: "Tokyo", postalCode: "100-0005", countryCode: "JP" },
};

export function parties(buyer: BuyerParty, seller: SellerParty = SELLER): EinvoiceParties {
	return { seller, buyer };
}

function line(description: string, quantity: InvoiceLine["quantity"], unitAmount: number, amount: number, ratePpm: number): InvoiceLine {
	return { description, quantity, unitAmount, amount, taxRatePpm: ratePpm, tax: taxPerLineHalfUp(amount, ratePpm) };
}

/** An invoice as the billing cycle stores it: per-line tax rounded half-up, totals the sums of the lines. */
export function storedInvoice(options: {
	number: string;
	currency: string;
	ratePpm: number;
	taxNote?: string;
	creditApplied?: number;
	lines?: readonly [string, InvoiceLine["quantity"], number, number][];
}): Invoice {
	const lines = (
		options.lines ?? [
			["Platform plan (Pro) for 2026-11", 2, 4900, 9800],
			["API calls over the allowance", "1250.5", 2, 2501],
			["Prorated seat added 2026-11-16", 1, 1500, 750],
			["Discount WELCOME: first month (10% off)", 1, -1305, -1305],
		]
	).map(([d, q, u, a]) => line(d, q, u, a, options.ratePpm));
	const subtotal = lines.reduce((acc, l) => acc + l.amount, 0);
	const tax = lines.reduce((acc, l) => acc + l.tax, 0);
	const total = subtotal + tax;
	const creditApplied = options.creditApplied ?? 0;
	return {
		number: options.number,
		accountId: "acct-0001",
		period: "2026-11",
		currency: options.currency,
		status: "open",
		issueDate: "2026-12-01",
		dueDate: "2026-12-31",
		billTo: { name: "Customer", email: "ap@customer.example", addressLines: ["Somewhere 1"] },
		lines,
		subtotal,
		tax,
		total,
		amountPaid: 0,
		...(creditApplied ? { creditApplied } : {}),
		amountDue: total - creditApplied,
		paymentTerms: "Net 30",
		...(options.taxNote ? { taxNote: options.taxNote } : {}),
		pdfKey: `invoices/2026-11/${options.number}.pdf`,
		createdAt: "2026-12-01T06:00:00.000Z",
	};
}

export function storedCreditMemo(invoice: Invoice, amount: number): CreditMemo {
	return {
		number: "CM-2026-000001",
		invoiceNumber: invoice.number,
		accountId: invoice.accountId,
		currency: invoice.currency,
		amount,
		appliedToInvoice: amount,
		addedToAccountCredit: 0,
		reason: "Service outage 2026-11-20 & 21",
		issueDate: "2026-12-05",
		billTo: invoice.billTo,
		pdfKey: "credit-memos/CM-2026-000001.pdf",
		createdBy: "cli:test",
		createdAt: "2026-12-05T09:00:00.000Z",
	};
}
