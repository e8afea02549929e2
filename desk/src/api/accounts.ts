import { queryOptions } from "@tanstack/react-query";
import { apiGet, apiPath, apiSend } from "./client.js";
import type { InvoiceSummary } from "./invoices.js";

export interface AccountSummary {
	readonly accountId: string;
	readonly name: string;
	readonly email: string;
	readonly currency: string;
	readonly status: string;
	/** Minor units of the account's currency: what the customer owes, negative for a credit. */
	readonly balance: number;
}

/** The structured e-invoice an account's documents are also issued as; an account without one has none. */
export type EInvoiceKind = "none" | "peppol" | "xrechnung" | "facturx";

export interface Account extends Omit<AccountSummary, "balance"> {
	readonly addressLines?: readonly string[];
	readonly delivery?: "email" | "postal";
	readonly closedOn?: string;
	readonly einvoice?: Exclude<EInvoiceKind, "none">;
	readonly vatId?: string;
	readonly peppolId?: string;
	readonly buyerReference?: string;
	/** The buyer's city, post code and ISO 3166-1 country code, as its e-invoices name them. */
	readonly city?: string;
	readonly postalCode?: string;
	readonly country?: string;
}

export type TimelineKind = "invoice" | "payment" | "credit_memo" | "statement" | "dunning" | "audit" | "ledger";

export interface TimelineEntry {
	readonly at: string;
	readonly kind: TimelineKind;
	readonly title: string;
	readonly amount?: number;
	readonly currency?: string;
	readonly reference?: string;
	readonly actor?: string;
	readonly reason?: string;
}

export interface AccountDetail {
	readonly account: Account;
	readonly balance: number;
	readonly invoices: readonly InvoiceSummary[];
	readonly timeline: readonly TimelineEntry[];
	readonly allowedActions: readonly string[];
}

export const accountsQuery = (filters: { query?: string | undefined; cursor?: string | undefined }) =>
	queryOptions({
		queryKey: ["accounts", filters],
		queryFn: ({ signal }) => apiGet<{ items: AccountSummary[]; nextCursor?: string }>("accounts", { query: { ...filters }, signal }),
	});

export const accountQuery = (accountId: string) =>
	queryOptions({
		queryKey: ["account", accountId],
		queryFn: ({ signal }) => apiGet<AccountDetail>(apiPath`accounts/${accountId}`, { signal }),
	});

export interface AccountChanges {
	readonly email?: string;
	readonly addressLines?: readonly string[];
	readonly delivery?: "email" | "postal";
	readonly emailConfirmed?: boolean;
	readonly einvoice?: EInvoiceKind;
	/** null clears the field. */
	readonly vatId?: string | null;
	readonly peppolId?: string | null;
	readonly buyerReference?: string | null;
	readonly city?: string | null;
	readonly postalCode?: string | null;
	readonly country?: string | null;
	readonly reason?: string;
}

export const updateAccount = (accountId: string, changes: AccountChanges) =>
	apiSend<unknown>("PATCH", apiPath`accounts/${accountId}`, changes);
