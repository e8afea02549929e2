import type { Payment } from "../core/model.js";

/** A payment as the ledger sees it, whatever the provider. */
export interface PaymentReceived {
	readonly provider: string;
	readonly eventId: string;
	/** One id per payment: a PaymentIntent and its Charge report the same payment. */
	readonly paymentId: string;
	readonly amount: number;
	readonly currency: string;
	readonly invoiceNumber?: string;
	readonly accountId?: string;
	readonly receivedAt: string;
}

/** Something that happened later to a payment already taken: a refund or a dispute. */
export type PaymentAdjustment = {
	readonly provider: string;
	readonly eventId: string;
	readonly paymentId: string;
	readonly currency: string;
	readonly occurredAt: string;
} & (
	| {
			readonly kind: "refund" /** Cumulative, as processors report it, so a redelivery or reordering refunds nothing twice. */;
			readonly refundedTotal: number;
	  }
	| { readonly kind: "dispute_opened"; readonly disputeId: string; readonly amount: number; readonly reason: string }
	| { readonly kind: "dispute_closed"; readonly disputeId: string; readonly amount: number; readonly outcome: "won" | "lost" }
);

/** What a provider's signed request carries, event by event (a GoCardless webhook carries a batch). */
export type ProviderEventResult =
	| { readonly kind: "payment"; readonly eventId: string; readonly eventType: string; readonly payment: PaymentReceived }
	| { readonly kind: "adjustment"; readonly eventId: string; readonly eventType: string; readonly adjustment: PaymentAdjustment }
	| { readonly kind: "ignored"; readonly eventId: string; readonly eventType: string };

export interface PaymentApplication {
	readonly invoiceNumber: string;
	readonly amount: number;
	/** Paid on a written-off invoice: a bad-debt recovery. */
	readonly recovery?: true;
}

export interface PaymentDecision {
	/** The account the money belongs to, when the payment could be tied to one. */
	readonly accountId?: string;
	/** Oldest due first. */
	readonly applications: readonly PaymentApplication[];
	readonly creditedAmount: number;
	readonly unappliedAmount: number;
	readonly unappliedReason?: string;
}

export type WebhookOutcome =
	| { readonly result: "duplicate_event"; readonly eventId: string }
	| { readonly result: "duplicate_payment"; readonly eventId: string; readonly paymentId: string }
	| { readonly result: "ignored"; readonly eventId: string; readonly eventType: string }
	| { readonly result: "parked"; readonly eventId: string; readonly paymentId: string; readonly reason: string }
	| {
			readonly result: "refunded" | "dispute_opened" | "dispute_won" | "dispute_lost" | "no_change";
			readonly eventId: string;
			readonly paymentId: string;
			readonly amount: number;
			readonly invoiceNumbers: readonly string[];
	  }
	| {
			readonly result: Payment["status"];
			readonly eventId: string;
			readonly paymentId: string;
			readonly invoiceNumber?: string;
			readonly invoiceNumbers: readonly string[];
			readonly creditedAmount: number;
			readonly unappliedReason?: string;
	  };
