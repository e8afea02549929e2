import { queryOptions } from "@tanstack/react-query";
import { apiGet, apiPath, apiSend } from "./client.js";

export interface Candidate {
	readonly number: string;
	readonly amountDue: number;
	readonly currency: string;
	readonly dueDate?: string;
}

export interface UnappliedPayment {
	/** As `stripe:pi_1`: the provider and its payment id. */
	readonly id: string;
	readonly provider: string;
	readonly paymentId: string;
	readonly accountId?: string;
	readonly amount: number;
	readonly unappliedAmount: number;
	readonly currency: string;
	readonly receivedAt: string;
	readonly reference?: string;
	readonly status: string;
	readonly allowedActions: readonly string[];
	readonly candidates?: readonly Candidate[];
}

export const unappliedPaymentsQuery = (cursor: string | undefined) =>
	queryOptions({
		queryKey: ["payments", "unapplied", cursor],
		queryFn: ({ signal }) =>
			apiGet<{ items: UnappliedPayment[]; nextCursor?: string }>("payments", { query: { status: "unapplied", cursor }, signal }),
	});

/** One payment with the invoices it could pay, for the apply dialog opened from elsewhere (the worklist). */
export const paymentQuery = (paymentId: string) =>
	queryOptions({
		queryKey: ["payment", paymentId],
		queryFn: ({ signal }) => apiGet<UnappliedPayment>(apiPath`payments/${paymentId}`, { signal }),
	});

export const applyPayment = (paymentId: string, body: { invoiceNumber: string; amount?: number }) =>
	apiSend<unknown>("POST", apiPath`payments/${paymentId}/apply`, body);

export const unapplyPayment = (paymentId: string, body: { invoiceNumber: string; reason: string }) =>
	apiSend<unknown>("POST", apiPath`payments/${paymentId}/unapply`, body);
