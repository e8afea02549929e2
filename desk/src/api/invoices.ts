import { queryOptions } from "@tanstack/react-query";
import { apiGet, apiPath, apiSend } from "./client.js";

export interface InvoiceSummary {
	readonly number: string;
	readonly accountId: string;
	readonly period: string;
	readonly currency: string;
	readonly total: number;
	readonly amountPaid: number;
	readonly amountDue: number;
	readonly status: string;
	readonly issueDate: string;
	readonly dueDate: string;
	readonly onHold?: boolean;
	readonly allowedActions: readonly string[];
}

export interface InvoiceLine {
	readonly description: string;
	readonly quantity: number;
	readonly unitAmount: number;
	readonly amount: number;
}

export interface Invoice extends Omit<InvoiceSummary, "allowedActions"> {
	readonly lines: readonly InvoiceLine[];
	readonly subtotal: number;
	readonly tax: number;
}

export interface InvoicePayment {
	/** As `stripe:pi_1`. */
	readonly id: string;
	readonly amount: number;
	readonly currency: string;
	readonly appliedAt?: string;
	readonly reference?: string;
}

export interface Delivery {
	readonly channel: string;
	readonly status: string;
	readonly at?: string;
	readonly to?: string;
	readonly detail?: string;
}

export interface CreditMemo {
	readonly number: string;
	readonly amount: number;
	readonly currency: string;
	readonly issueDate?: string;
	readonly reason?: string;
}

export interface AuditEntry {
	readonly at: string;
	readonly action: string;
	readonly actor: string;
	readonly reason?: string;
}

export interface InvoiceDetail {
	readonly invoice: Invoice;
	readonly payments: readonly InvoicePayment[];
	readonly deliveries: readonly Delivery[];
	readonly creditMemos: readonly CreditMemo[];
	readonly audit: readonly AuditEntry[];
	readonly allowedActions: readonly string[];
}

export interface InvoiceFilters {
	readonly status?: string | undefined;
	readonly period?: string | undefined;
	readonly account?: string | undefined;
	readonly cursor?: string | undefined;
}

export const invoicesQuery = (filters: InvoiceFilters) =>
	queryOptions({
		queryKey: ["invoices", filters],
		queryFn: ({ signal }) => apiGet<{ items: InvoiceSummary[]; nextCursor?: string }>("invoices", { query: { ...filters }, signal }),
	});

export const invoiceQuery = (number: string) =>
	queryOptions({
		queryKey: ["invoice", number],
		queryFn: ({ signal }) => apiGet<InvoiceDetail>(apiPath`invoices/${number}`, { signal }),
	});

/** A short-lived link to the PDF (a browser cannot send the bearer token from an iframe); fetched again once it expires. */
export const invoicePdfQuery = (number: string) =>
	queryOptions({
		queryKey: ["invoice-pdf", number],
		queryFn: ({ signal }) => apiGet<{ url: string; expiresAt: string }>(apiPath`invoices/${number}/pdf`, { signal }),
		staleTime: (query) => (query.state.data ? Math.max(0, Date.parse(query.state.data.expiresAt) - Date.now() - 30_000) : 0),
	});

export interface OneOffInvoice {
	readonly accountId: string;
	/** `unitPrice` in major units as typed ("250.00"), priced in the account's currency. */
	readonly lines: readonly { description: string; quantity: number; unitPrice: string }[];
	readonly date?: string;
}

export const issueInvoice = (input: OneOffInvoice) => apiSend<{ invoice?: { number?: string } }>("POST", "invoices", input);
