import { randomUUID } from "node:crypto";
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { getInvoice, listUnappliedPayments, type TableDeps } from "./db.js";
import { TransientError } from "./errors.js";
import type { Invoice, Payment } from "./model.js";
import type { PaymentReceived } from "./stripe-webhook.js";
import { keys } from "./table.js";

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]>[number];

export interface PaymentDecision {
	readonly applyTo?: { readonly invoiceNumber: string; readonly amount: number };
	readonly unappliedAmount: number;
	readonly unappliedReason?: string;
}

/**
 * Matching at this depth: the invoice named in the payment, in the same currency, for the
 * same customer when the payment names one, with an amount still due. What does not match
 * stays unapplied with its reason; an excess over the amount due stays unapplied too.
 */
export function decidePaymentApplication(
	payment: Pick<PaymentReceived, "amount" | "currency" | "invoiceNumber" | "accountId">,
	invoice: Invoice | undefined,
): PaymentDecision {
	const unapplied = (reason: string): PaymentDecision => ({ unappliedAmount: payment.amount, unappliedReason: reason });
	if (!payment.invoiceNumber) return unapplied("payment names no invoice (metadata.invoice_number)");
	if (!invoice) return unapplied(`invoice ${payment.invoiceNumber} does not exist`);
	if (invoice.currency !== payment.currency) {
		return unapplied(`payment currency ${payment.currency} differs from invoice currency ${invoice.currency}`);
	}
	if (payment.accountId && payment.accountId !== invoice.accountId) {
		return unapplied(`payment is for account ${payment.accountId} but invoice ${invoice.number} belongs to ${invoice.accountId}`);
	}
	if (invoice.status === "void") return unapplied(`invoice ${invoice.number} is void`);
	if (invoice.amountDue <= 0) return unapplied(`invoice ${invoice.number} has nothing due`);
	const amount = Math.min(payment.amount, invoice.amountDue);
	const excess = payment.amount - amount;
	return {
		applyTo: { invoiceNumber: invoice.number, amount },
		unappliedAmount: excess,
		...(excess > 0 ? { unappliedReason: `overpayment: ${excess} more than invoice ${invoice.number} had due` } : {}),
	};
}

/** The writes that apply an amount to an invoice: invoice, ledger entry and account balance, together. */
function applicationItems(deps: TableDeps, invoice: Invoice, amount: number, paymentRef: string, at: string): TransactItem[] {
	const amountPaid = invoice.amountPaid + amount;
	const amountDue = invoice.amountDue - amount;
	const status = amountDue === 0 ? "paid" : "partially_paid";
	return [
		{
			Update: {
				TableName: deps.tableName,
				Key: keys.invoice(invoice.number),
				UpdateExpression:
					amountDue === 0
						? "SET amountPaid = :paid, amountDue = :due, #status = :status REMOVE gsi2pk, gsi2sk"
						: "SET amountPaid = :paid, amountDue = :due, #status = :status",
				// Optimistic: another payment or a credit memo in between makes this transaction retry.
				ConditionExpression: "amountPaid = :expectedPaid AND amountDue = :expectedDue",
				ExpressionAttributeNames: { "#status": "status" },
				ExpressionAttributeValues: {
					":paid": amountPaid,
					":due": amountDue,
					":status": status,
					":expectedPaid": invoice.amountPaid,
					":expectedDue": invoice.amountDue,
				},
			},
		},
		{
			Put: {
				TableName: deps.tableName,
				Item: {
					...keys.ledgerEntry(invoice.accountId, at, randomUUID()),
					accountId: invoice.accountId,
					type: "payment_applied",
					amount: -amount,
					currency: invoice.currency,
					reference: `${paymentRef} -> ${invoice.number}`,
					at,
				},
			},
		},
		{
			Update: {
				TableName: deps.tableName,
				Key: keys.account(invoice.accountId),
				UpdateExpression: "SET balance = balance - :amount",
				ConditionExpression: "attribute_exists(pk)",
				ExpressionAttributeValues: { ":amount": amount },
			},
		},
	];
}

function paymentStatus(applied: number, unapplied: number): Payment["status"] {
	if (applied === 0) return "unapplied";
	return unapplied === 0 ? "applied" : "partially_applied";
}

export type WebhookOutcome =
	| { readonly result: "duplicate_event"; readonly eventId: string }
	| { readonly result: "duplicate_payment"; readonly eventId: string; readonly paymentId: string }
	| { readonly result: "ignored"; readonly eventId: string; readonly eventType: string }
	| {
			readonly result: Payment["status"];
			readonly eventId: string;
			readonly paymentId: string;
			readonly invoiceNumber?: string;
			readonly unappliedReason?: string;
	  };

const MAX_ATTEMPTS = 10;

function eventItem(
	deps: TableDeps,
	provider: string,
	eventId: string,
	eventType: string,
	rawBody: string,
	extra: Record<string, unknown>,
): TransactItem {
	return {
		Put: {
			TableName: deps.tableName,
			Item: {
				...keys.webhookEvent(provider, eventId),
				provider,
				eventId,
				eventType,
				rawBody,
				storedAt: new Date().toISOString(),
				...extra,
			},
			ConditionExpression: "attribute_not_exists(pk)",
		},
	};
}

function isConditionFailure(err: unknown, index: number): boolean {
	return err instanceof TransactionCanceledException && err.CancellationReasons?.[index]?.Code === "ConditionalCheckFailed";
}

/** Stores an event that carries no payment (kept for audit) exactly once. */
export async function recordIgnoredEvent(
	deps: TableDeps,
	provider: string,
	eventId: string,
	eventType: string,
	rawBody: string,
): Promise<WebhookOutcome> {
	try {
		await deps.ddb.send(
			new PutCommand({
				...(eventItem(deps, provider, eventId, eventType, rawBody, { handling: "ignored" }).Put as NonNullable<TransactItem["Put"]>),
			}),
		);
		return { result: "ignored", eventId, eventType };
	} catch (err) {
		if ((err as { name?: string }).name === "ConditionalCheckFailedException") return { result: "duplicate_event", eventId };
		throw err;
	}
}

/**
 * Stores the raw event, the payment and its application in one transaction: the event's
 * id makes a redelivery change nothing, the payment's id makes a second event for the same
 * payment (payment_intent.succeeded and charge.succeeded) apply it only once.
 */
export async function recordPayment(
	deps: TableDeps,
	payment: PaymentReceived,
	eventType: string,
	rawBody: string,
): Promise<WebhookOutcome> {
	for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		const invoice = payment.invoiceNumber ? await getInvoice(deps, payment.invoiceNumber) : undefined;
		const decision = decidePaymentApplication(payment, invoice);
		const applied = decision.applyTo?.amount ?? 0;
		const at = new Date().toISOString();
		const accountId = payment.accountId ?? invoice?.accountId;
		const record: Payment = {
			provider: payment.provider,
			paymentId: payment.paymentId,
			eventId: payment.eventId,
			...(accountId ? { accountId } : {}),
			...(payment.invoiceNumber ? { invoiceNumber: payment.invoiceNumber } : {}),
			amount: payment.amount,
			currency: payment.currency,
			receivedAt: payment.receivedAt,
			status: paymentStatus(applied, decision.unappliedAmount),
			appliedAmount: applied,
			unappliedAmount: decision.unappliedAmount,
			...(decision.unappliedReason ? { unappliedReason: decision.unappliedReason } : {}),
			applications: decision.applyTo ? [decision.applyTo] : [],
		};
		const items: TransactItem[] = [
			eventItem(deps, payment.provider, payment.eventId, eventType, rawBody, { handling: "payment", paymentId: payment.paymentId }),
			{
				Put: {
					TableName: deps.tableName,
					Item: {
						...keys.payment(payment.provider, payment.paymentId),
						...keys.paymentListing(payment.receivedAt, payment.provider, payment.paymentId),
						...(decision.unappliedAmount > 0 ? keys.unappliedPayment(payment.receivedAt, payment.provider, payment.paymentId) : {}),
						...record,
					},
					ConditionExpression: "attribute_not_exists(pk)",
				},
			},
			...(invoice && decision.applyTo ? applicationItems(deps, invoice, applied, `${payment.provider}:${payment.paymentId}`, at) : []),
		];
		try {
			await deps.ddb.send(new TransactWriteCommand({ TransactItems: items }));
			return {
				result: record.status,
				eventId: payment.eventId,
				paymentId: payment.paymentId,
				...(decision.applyTo ? { invoiceNumber: decision.applyTo.invoiceNumber } : {}),
				...(decision.unappliedReason ? { unappliedReason: decision.unappliedReason } : {}),
			};
		} catch (err) {
			if (isConditionFailure(err, 0)) return { result: "duplicate_event", eventId: payment.eventId };
			if (isConditionFailure(err, 1)) {
				const stored = await recordIgnoredEvent(deps, payment.provider, payment.eventId, eventType, rawBody);
				if (stored.result === "duplicate_event") return stored;
				return { result: "duplicate_payment", eventId: payment.eventId, paymentId: payment.paymentId };
			}
			if (!(err instanceof TransactionCanceledException)) throw err;
			await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
		}
	}
	throw new TransientError(`payment ${payment.paymentId} could not be recorded: the invoice kept changing`);
}

export interface ReapplyResult {
	readonly examined: number;
	readonly applied: number;
	readonly amountApplied: Record<string, number>;
	readonly stillUnapplied: number;
}

/**
 * The reconcile step: an unapplied payment whose invoice now exists and is open (the
 * payment arrived first) is applied now, in one transaction with its ledger entry.
 */
export async function reapplyUnappliedPayments(deps: TableDeps): Promise<ReapplyResult> {
	const unapplied = await listUnappliedPayments(deps);
	let applied = 0;
	const amountApplied: Record<string, number> = {};
	for (const payment of unapplied) {
		if (payment.appliedAmount > 0 || !payment.invoiceNumber) continue;
		const invoice = await getInvoice(deps, payment.invoiceNumber);
		const decision = decidePaymentApplication({ ...payment, amount: payment.unappliedAmount }, invoice);
		if (!invoice || !decision.applyTo) continue;
		const amount = decision.applyTo.amount;
		const remaining = payment.unappliedAmount - amount;
		const at = new Date().toISOString();
		try {
			await deps.ddb.send(
				new TransactWriteCommand({
					TransactItems: [
						{
							Update: {
								TableName: deps.tableName,
								Key: keys.payment(payment.provider, payment.paymentId),
								UpdateExpression:
									remaining === 0
										? "SET appliedAmount = :applied, unappliedAmount = :remaining, #status = :status, applications = :apps, accountId = :account REMOVE gsi2pk, gsi2sk, unappliedReason"
										: "SET appliedAmount = :applied, unappliedAmount = :remaining, #status = :status, applications = :apps, accountId = :account, unappliedReason = :reason",
								ConditionExpression: "unappliedAmount = :expected",
								ExpressionAttributeNames: { "#status": "status" },
								ExpressionAttributeValues: {
									":applied": payment.appliedAmount + amount,
									":remaining": remaining,
									":status": paymentStatus(payment.appliedAmount + amount, remaining),
									":apps": [...payment.applications, { invoiceNumber: invoice.number, amount }],
									":account": invoice.accountId,
									":expected": payment.unappliedAmount,
									...(remaining === 0 ? {} : { ":reason": decision.unappliedReason ?? "overpayment" }),
								},
							},
						},
						...applicationItems(deps, invoice, amount, `${payment.provider}:${payment.paymentId}`, at),
					],
				}),
			);
			applied += 1;
			amountApplied[invoice.currency] = (amountApplied[invoice.currency] ?? 0) + amount;
		} catch (err) {
			if (!(err instanceof TransactionCanceledException)) throw err;
			// Changed under us (a webhook applied it meanwhile): the next run looks again.
		}
	}
	return { examined: unapplied.length, applied, amountApplied, stillUnapplied: unapplied.length - applied };
}
