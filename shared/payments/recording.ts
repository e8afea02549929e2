import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { TransientError } from "../core/errors.js";
import { type Account, type Invoice, type Payment, paymentSchema } from "../core/model.js";
import { auditPut } from "../store/audit.js";
import { GSI2, keys } from "../store/keys.js";
import { ledgerEntryPut } from "../store/ledger.js";
import {
	getAccount,
	getInvoice,
	listInvoicesOfAccount,
	listUnappliedPayments,
	parseRecord,
	queryAll,
	type TableDeps,
} from "../store/records.js";
import type { PaymentAdjustment, PaymentReceived } from "./providers/stripe.js";

type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]>[number];

export interface PaymentApplication {
	readonly invoiceNumber: string;
	readonly amount: number;
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

/** What the matcher may look at: the invoice the payment names, or its customer and their open invoices. */
export interface MatchContext {
	readonly invoice?: Invoice;
	readonly account?: Pick<Account, "accountId" | "currency">;
	readonly openInvoices: readonly Invoice[];
}

type PaymentToMatch = Pick<PaymentReceived, "amount" | "currency" | "invoiceNumber" | "accountId">;

/**
 * Each invoice a payment settles takes three items of its transaction (the invoice, its
 * audit entry, the ledger entry) and DynamoDB takes at most 100 per transaction.
 */
export const MAX_INVOICES_PER_PAYMENT = 30;

function byDueDate(a: Invoice, b: Invoice): number {
	return a.dueDate.localeCompare(b.dueDate) || a.number.localeCompare(b.number);
}

/**
 * Matching (DESIGN.md section 5a): the invoice named in the payment; otherwise the
 * customer's open invoice with exactly the amount due, or all their open invoices (oldest
 * due first) when the payment covers them. Anything beyond what is due becomes account
 * credit. What cannot be tied to an account in the payment's currency stays unapplied
 * with its reason.
 */
export function decidePaymentApplication(payment: PaymentToMatch, context: MatchContext): PaymentDecision {
	const unapplied = (reason: string): PaymentDecision => ({
		...(payment.accountId ? { accountId: payment.accountId } : {}),
		applications: [],
		creditedAmount: 0,
		unappliedAmount: payment.amount,
		unappliedReason: reason,
	});
	if (payment.invoiceNumber) {
		const invoice = context.invoice;
		if (!invoice) return unapplied(`invoice ${payment.invoiceNumber} does not exist`);
		if (invoice.currency !== payment.currency) {
			return unapplied(`payment currency ${payment.currency} differs from invoice currency ${invoice.currency}`);
		}
		if (payment.accountId && payment.accountId !== invoice.accountId) {
			return unapplied(`payment is for account ${payment.accountId} but invoice ${invoice.number} belongs to ${invoice.accountId}`);
		}
		if (invoice.status === "void") return unapplied(`invoice ${invoice.number} is void`);
		const amount = Math.min(payment.amount, Math.max(invoice.amountDue, 0));
		return {
			accountId: invoice.accountId,
			applications: amount > 0 ? [{ invoiceNumber: invoice.number, amount }] : [],
			creditedAmount: payment.amount - amount,
			unappliedAmount: 0,
		};
	}
	if (!payment.accountId) return unapplied("payment names neither an invoice nor a customer");
	const account = context.account;
	if (!account) return unapplied(`account ${payment.accountId} does not exist`);
	if (account.currency !== payment.currency) {
		return unapplied(`payment currency ${payment.currency} differs from account ${account.accountId}'s currency ${account.currency}`);
	}
	const open = context.openInvoices
		.filter((i) => i.accountId === account.accountId && i.currency === payment.currency && i.status !== "void" && i.amountDue > 0)
		.sort(byDueDate);
	const exact = open.find((i) => i.amountDue === payment.amount);
	if (exact) {
		return {
			accountId: account.accountId,
			applications: [{ invoiceNumber: exact.number, amount: payment.amount }],
			creditedAmount: 0,
			unappliedAmount: 0,
		};
	}
	const totalDue = open.reduce((acc, i) => acc + i.amountDue, 0);
	if (payment.amount >= totalDue && open.length > MAX_INVOICES_PER_PAYMENT) {
		return unapplied(
			`payment covers all ${open.length} open invoices of account ${account.accountId}; one payment settles at most ${MAX_INVOICES_PER_PAYMENT} automatically`,
		);
	}
	if (payment.amount < totalDue) {
		return unapplied(
			`no open invoice of account ${account.accountId} is due exactly ${payment.amount} and it does not cover all ${open.length} open invoices (${totalDue} due)`,
		);
	}
	return {
		accountId: account.accountId,
		applications: open.map((i) => ({ invoiceNumber: i.number, amount: i.amountDue })),
		creditedAmount: payment.amount - totalDue,
		unappliedAmount: 0,
	};
}

/**
 * With `assumeAccount`, the account is taken to exist in the payment's currency without
 * reading it: the settlement's account update checks both, and a failed check means
 * reading it and deciding again.
 */
async function loadMatchContext(
	deps: TableDeps,
	payment: PaymentToMatch,
	options: { assumeAccount?: boolean } = {},
): Promise<MatchContext> {
	if (payment.invoiceNumber) {
		const invoice = await getInvoice(deps, payment.invoiceNumber);
		return { ...(invoice ? { invoice } : {}), openInvoices: [] };
	}
	if (!payment.accountId) return { openInvoices: [] };
	if (options.assumeAccount) {
		const invoices = await listInvoicesOfAccount(deps, payment.accountId);
		return {
			account: { accountId: payment.accountId, currency: payment.currency },
			openInvoices: invoices.filter((i) => i.amountDue > 0),
		};
	}
	const [account, invoices] = await Promise.all([getAccount(deps, payment.accountId), listInvoicesOfAccount(deps, payment.accountId)]);
	return { ...(account ? { account } : {}), openInvoices: invoices.filter((i) => i.amountDue > 0) };
}

/** What a payment-driven change to an invoice records in its audit trail: the payment ("stripe:pi_…") and its provider as the actor. */
interface PaymentAudit {
	readonly action: "payment_applied" | "refund" | "chargeback" | "dispute_opened" | "dispute_closed";
	readonly provider: string;
	readonly paymentId: string;
	readonly at: string;
}

function paymentAudit(payment: Pick<Payment, "provider" | "paymentId">, action: PaymentAudit["action"], at: string): PaymentAudit {
	return { action, provider: payment.provider, paymentId: payment.paymentId, at };
}

function paymentAuditPut(
	deps: TableDeps,
	number: string,
	audit: PaymentAudit,
	before: Record<string, unknown>,
	after: Record<string, unknown>,
) {
	return auditPut(deps.tableName, {
		subject: "invoice",
		subjectId: number,
		action: audit.action,
		actor: audit.provider,
		at: audit.at,
		reason: `${audit.provider}:${audit.paymentId}`,
		before,
		after,
	});
}

/**
 * One write per invoice and transaction (DynamoDB refuses two on the same item): a change
 * of the amount paid (optimistic on the amount read) and/or setting or releasing a hold,
 * with the audit entry that records it.
 */
function invoiceUpdate(
	deps: TableDeps,
	invoice: Invoice,
	change: { paidDelta?: number; hold?: Invoice["hold"] | null },
	audit: PaymentAudit,
): TransactItem[] {
	const sets: string[] = [];
	const removes: string[] = [];
	const values: Record<string, unknown> = {};
	const names: Record<string, string> = {};
	const before: Record<string, unknown> = {};
	const after: Record<string, unknown> = {};
	let condition = "attribute_exists(pk)";
	if (change.paidDelta) {
		const amountPaid = invoice.amountPaid + change.paidDelta;
		// From what is due, not from the total: credit applied, credit memos and write-offs also reduce it.
		const amountDue = invoice.amountDue - change.paidDelta;
		const status = amountDue <= 0 ? "paid" : amountPaid === 0 ? "open" : "partially_paid";
		names["#status"] = "status";
		sets.push("amountPaid = :paid", "amountDue = :due", "#status = :status");
		Object.assign(values, {
			":paid": amountPaid,
			":due": amountDue,
			":status": status,
			":expectedPaid": invoice.amountPaid,
			":expectedDue": invoice.amountDue,
		});
		Object.assign(before, { status: invoice.status, amountPaid: invoice.amountPaid, amountDue: invoice.amountDue });
		Object.assign(after, { status, amountPaid, amountDue });
		if (amountDue === 0) removes.push("gsi2pk", "gsi2sk");
		else {
			// A refund reopens a paid invoice: it is back in the open-invoices queue dunning reads.
			const open = keys.openInvoice(invoice.dueDate, invoice.number);
			sets.push("gsi2pk = :gsi2pk", "gsi2sk = :gsi2sk");
			Object.assign(values, { ":gsi2pk": open.gsi2pk, ":gsi2sk": open.gsi2sk });
		}
		// Another payment or a credit memo in between makes the transaction retry.
		condition = "amountPaid = :expectedPaid AND amountDue = :expectedDue";
	}
	if (change.hold !== undefined) {
		before.hold = invoice.hold ?? null;
		after.hold = change.hold;
		names["#hold"] = "hold";
		if (change.hold) {
			sets.push("#hold = :hold");
			values[":hold"] = change.hold;
		} else removes.push("#hold");
		// The hold as read: a second dispute's hold set in between is neither overwritten nor misreported.
		const holdAsRead = invoice.hold ? "#hold = :holdRead" : "attribute_not_exists(#hold)";
		if (invoice.hold) values[":holdRead"] = invoice.hold;
		condition = change.paidDelta ? `${condition} AND ${holdAsRead}` : `attribute_exists(pk) AND ${holdAsRead}`;
	}
	const expression = [sets.length ? `SET ${sets.join(", ")}` : "", removes.length ? `REMOVE ${removes.join(", ")}` : ""]
		.filter(Boolean)
		.join(" ");
	return [
		{
			Update: {
				TableName: deps.tableName,
				Key: keys.invoice(invoice.number),
				UpdateExpression: expression,
				ConditionExpression: condition,
				...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
				...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
			},
		},
		paymentAuditPut(deps, invoice.number, audit, before, after),
	];
}

/**
 * A payment that names its invoice and customer is presumed to pay off an invoice nothing
 * has been paid on yet: the invoice's update checks that presumption (its customer,
 * currency, status, nothing paid and exactly this amount due) instead of reading the
 * invoice first, so the usual payment costs one transaction and its audit entry still
 * knows the invoice as it was. A failed check means reading the invoice and deciding on
 * what is stored.
 */
function presumedFullPayment(payment: PaymentToMatch): (PaymentDecision & { readonly accountId: string }) | undefined {
	if (!payment.invoiceNumber || !payment.accountId || payment.amount <= 0) return undefined;
	return {
		accountId: payment.accountId,
		applications: [{ invoiceNumber: payment.invoiceNumber, amount: payment.amount }],
		creditedAmount: 0,
		unappliedAmount: 0,
	};
}

/** Pays off an invoice presumed open, unpaid and due exactly `application.amount`, on the conditions that make the presumption true. */
function presumedFullPaymentUpdate(
	deps: TableDeps,
	accountId: string,
	currency: string,
	application: PaymentApplication,
	audit: PaymentAudit,
): TransactItem[] {
	const amount = application.amount;
	return [
		{
			Update: {
				TableName: deps.tableName,
				Key: keys.invoice(application.invoiceNumber),
				UpdateExpression: "SET amountPaid = :amount, amountDue = :zero, #status = :paid REMOVE gsi2pk, gsi2sk",
				ConditionExpression:
					"#status = :open AND amountPaid = :zero AND amountDue = :amount AND accountId = :account AND currency = :currency",
				ExpressionAttributeNames: { "#status": "status" },
				ExpressionAttributeValues: {
					":amount": amount,
					":zero": 0,
					":open": "open",
					":paid": "paid",
					":account": accountId,
					":currency": currency,
				},
			},
		},
		paymentAuditPut(
			deps,
			application.invoiceNumber,
			audit,
			{ status: "open", amountPaid: 0, amountDue: amount },
			{ status: "paid", amountPaid: amount, amountDue: 0 },
		),
	];
}

/** The writes that apply a decision: per invoice its update, audit and ledger entries, the credit's entry, and the account once. */
function settlementItems(
	deps: TableDeps,
	decision: PaymentDecision,
	invoiceWrite: (application: PaymentApplication, audit: PaymentAudit) => TransactItem[],
	payment: Pick<Payment, "provider" | "paymentId" | "currency">,
	at: string,
): TransactItem[] {
	const accountId = decision.accountId;
	const applied = decision.applications.reduce((acc, a) => acc + a.amount, 0);
	if (!accountId || applied + decision.creditedAmount === 0) return [];
	const { currency } = payment;
	const paymentRef = `${payment.provider}:${payment.paymentId}`;
	const audit = paymentAudit(payment, "payment_applied", at);
	const items: TransactItem[] = [];
	for (const application of decision.applications) {
		items.push(...invoiceWrite(application, audit));
		items.push(
			ledgerEntryPut(deps.tableName, {
				accountId,
				type: "payment_applied",
				amount: -application.amount,
				currency,
				reference: `${paymentRef} -> ${application.invoiceNumber}`,
				at,
			}),
		);
	}
	if (decision.creditedAmount > 0) {
		items.push(
			ledgerEntryPut(deps.tableName, {
				accountId,
				type: "account_credit",
				amount: -decision.creditedAmount,
				currency,
				reference: `${paymentRef} overpayment`,
				at,
			}),
		);
	}
	items.push({
		Update: {
			TableName: deps.tableName,
			Key: keys.account(accountId),
			UpdateExpression:
				decision.creditedAmount > 0
					? "SET balance = balance - :amount, creditBalance = if_not_exists(creditBalance, :zero) + :credit"
					: "SET balance = balance - :amount",
			ConditionExpression: "attribute_exists(pk) AND #currency = :currency",
			ExpressionAttributeNames: { "#currency": "currency" },
			ExpressionAttributeValues:
				decision.creditedAmount > 0
					? { ":amount": applied + decision.creditedAmount, ":credit": decision.creditedAmount, ":zero": 0, ":currency": currency }
					: { ":amount": applied, ":currency": currency },
		},
	});
	return items;
}

/** Each application's update, optimistic on the invoice as it was read. */
function loadedInvoiceWrite(
	deps: TableDeps,
	context: MatchContext,
): (application: PaymentApplication, audit: PaymentAudit) => TransactItem[] {
	const all = [...(context.invoice ? [context.invoice] : []), ...context.openInvoices];
	const invoices = new Map(all.map((i) => [i.number, i]));
	return (application, audit) => {
		const invoice = invoices.get(application.invoiceNumber);
		if (!invoice) throw new Error(`invoice ${application.invoiceNumber} was not loaded`);
		return invoiceUpdate(deps, invoice, { paidDelta: application.amount }, audit);
	};
}

function paymentStatus(settled: number, unapplied: number): Payment["status"] {
	if (settled === 0) return "unapplied";
	return unapplied === 0 ? "applied" : "partially_applied";
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

async function backOff(attempt: number): Promise<void> {
	await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
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

export async function getPayment(deps: TableDeps, provider: string, paymentId: string): Promise<Payment | undefined> {
	const out = await deps.ddb.send(
		new GetCommand({ TableName: deps.tableName, Key: keys.payment(provider, paymentId), ConsistentRead: true }),
	);
	return out.Item ? parseRecord(paymentSchema, out.Item) : undefined;
}

function paymentItem(record: Payment): Record<string, unknown> {
	return {
		...keys.payment(record.provider, record.paymentId),
		...keys.paymentListing(record.receivedAt, record.provider, record.paymentId),
		...(record.unappliedAmount > 0 ? keys.unappliedPayment(record.receivedAt, record.provider, record.paymentId) : {}),
		...record,
	};
}

function settledRecord(
	base: Omit<Payment, "status" | "appliedAmount" | "creditedAmount" | "unappliedAmount" | "applications" | "unappliedReason">,
	decision: PaymentDecision,
): Payment {
	const applied = decision.applications.reduce((acc, a) => acc + a.amount, 0);
	const { unappliedReason: _previous, ...rest } = base as Payment;
	return {
		...rest,
		...(decision.accountId ? { accountId: decision.accountId } : {}),
		status: paymentStatus(applied + decision.creditedAmount, decision.unappliedAmount),
		appliedAmount: applied,
		creditedAmount: decision.creditedAmount,
		unappliedAmount: decision.unappliedAmount,
		...(decision.unappliedReason ? { unappliedReason: decision.unappliedReason } : {}),
		applications: [...decision.applications],
	};
}

/**
 * Stores the raw event, the payment and its application in one transaction: the event's
 * id makes a redelivery change nothing, the payment's id makes a second event for the same
 * payment (payment_intent.succeeded and charge.succeeded) apply it only once. Refunds and
 * disputes that arrived first are applied right after: the transaction checks that no
 * parked marker exists, so only a payment with parked events pays for reading them.
 */
export async function recordPayment(
	deps: TableDeps,
	payment: PaymentReceived,
	eventType: string,
	rawBody: string,
): Promise<WebhookOutcome> {
	let parkedEvents = false;
	let assumeAccount = true;
	let presumed = presumedFullPayment(payment);
	for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		let context: MatchContext | undefined;
		let decision: PaymentDecision;
		let invoiceWrite: (application: PaymentApplication, audit: PaymentAudit) => TransactItem[];
		if (presumed) {
			const { accountId } = presumed;
			decision = presumed;
			invoiceWrite = (application, audit) => presumedFullPaymentUpdate(deps, accountId, payment.currency, application, audit);
		} else {
			context = await loadMatchContext(deps, payment, { assumeAccount });
			decision = decidePaymentApplication(payment, context);
			if (assumeAccount && context.account && decision.applications.length === 0 && decision.creditedAmount === 0) {
				// Nothing to write to the account would check the assumption: read it for the reason.
				assumeAccount = false;
				continue;
			}
			invoiceWrite = loadedInvoiceWrite(deps, context);
		}
		const at = new Date().toISOString();
		const record = settledRecord(
			{
				provider: payment.provider,
				paymentId: payment.paymentId,
				eventId: payment.eventId,
				...(payment.invoiceNumber ? { invoiceNumber: payment.invoiceNumber } : {}),
				amount: payment.amount,
				currency: payment.currency,
				receivedAt: payment.receivedAt,
				refundedAmount: 0,
				chargebackAmount: 0,
			},
			decision,
		);
		const items: TransactItem[] = [
			eventItem(deps, payment.provider, payment.eventId, eventType, rawBody, { handling: "payment", paymentId: payment.paymentId }),
			{ Put: { TableName: deps.tableName, Item: paymentItem(record), ConditionExpression: "attribute_not_exists(pk)" } },
			...(parkedEvents
				? []
				: [
						{
							ConditionCheck: {
								TableName: deps.tableName,
								Key: keys.parkedMarker(payment.provider, payment.paymentId),
								ConditionExpression: "attribute_not_exists(pk)",
							},
						},
					]),
			...settlementItems(deps, decision, invoiceWrite, payment, at),
		];
		try {
			await deps.ddb.send(new TransactWriteCommand({ TransactItems: items }));
		} catch (err) {
			if (isConditionFailure(err, 0)) return { result: "duplicate_event", eventId: payment.eventId };
			if (isConditionFailure(err, 1)) {
				const stored = await recordIgnoredEvent(deps, payment.provider, payment.eventId, eventType, rawBody);
				if (stored.result === "duplicate_event") return stored;
				return { result: "duplicate_payment", eventId: payment.eventId, paymentId: payment.paymentId };
			}
			if (!parkedEvents && isConditionFailure(err, 2)) {
				// A refund or dispute was parked for this payment: record it without the check, then apply what is parked.
				parkedEvents = true;
				continue;
			}
			if (!(err instanceof TransactionCanceledException)) throw err;
			if (presumed) {
				// The invoice is not due exactly this amount from this customer, or the account differs: read and decide.
				presumed = undefined;
				continue;
			}
			if (assumeAccount && context?.account && isConditionFailure(err, items.length - 1)) {
				// The account is missing or in another currency: decide again on what is stored.
				assumeAccount = false;
				continue;
			}
			await backOff(attempt);
			continue;
		}
		if (parkedEvents) await applyParkedAdjustments(deps, { provider: payment.provider, paymentId: payment.paymentId });
		const first = decision.applications[0];
		return {
			result: record.status,
			eventId: payment.eventId,
			paymentId: payment.paymentId,
			...(first ? { invoiceNumber: first.invoiceNumber } : {}),
			invoiceNumbers: decision.applications.map((a) => a.invoiceNumber),
			creditedAmount: decision.creditedAmount,
			...(decision.unappliedReason ? { unappliedReason: decision.unappliedReason } : {}),
		};
	}
	throw new TransientError(`payment ${payment.paymentId} could not be recorded: the invoice kept changing`);
}

interface Reversal {
	readonly fromCredit: number;
	readonly fromInvoices: readonly PaymentApplication[];
}

/**
 * Where money taken back (refund or lost dispute) comes from: account credit first (the
 * overpayment), then the applications newest first. Earlier reversals already used the
 * first `alreadyReversed` of that order, so a second partial refund continues where the
 * first stopped. Money that was never booked (unapplied cash) reverses no ledger entry.
 */
export function allocateReversal(payment: Payment, amount: number): Reversal {
	let skip = payment.refundedAmount + payment.chargebackAmount;
	let left = amount;
	const take = (layer: number): number => {
		const available = Math.max(layer - skip, 0);
		skip = Math.max(skip - layer, 0);
		const taken = Math.min(available, left);
		left -= taken;
		return taken;
	};
	const fromCredit = take(payment.creditedAmount);
	const fromInvoices: PaymentApplication[] = [];
	for (const application of [...payment.applications].reverse()) {
		const taken = take(application.amount);
		if (taken > 0) fromInvoices.push({ invoiceNumber: application.invoiceNumber, amount: taken });
	}
	return { fromCredit, fromInvoices };
}

interface AdjustmentPlan {
	readonly outcome: "refunded" | "dispute_opened" | "dispute_won" | "dispute_lost" | "no_change";
	readonly amount: number;
	readonly items: TransactItem[];
	readonly invoiceNumbers: readonly string[];
}

type Hold = NonNullable<Invoice["hold"]>;

/** The invoice's hold with this dispute added: it stays on hold while any dispute of a payment that paid it is open. */
export function holdWithDispute(current: Invoice["hold"], disputeId: string, reason: string, since: string): Hold | undefined {
	const ids = current?.disputeIds ?? [];
	if (ids.includes(disputeId)) return undefined;
	return { reason: current ? `${current.reason}; ${reason}` : reason, since: current?.since ?? since, disputeIds: [...ids, disputeId] };
}

/** The invoice's hold without this dispute: null when no other dispute keeps it on hold, undefined when nothing changes. */
export function holdWithoutDispute(current: Invoice["hold"], disputeId: string): Hold | null | undefined {
	if (!current) return undefined;
	const ids = (current.disputeIds ?? []).filter((id) => id !== disputeId);
	if (ids.length === 0) return null;
	if (ids.length === current.disputeIds?.length) return undefined;
	const reason = current.reason
		.split("; ")
		.filter((r) => !r.startsWith(`dispute ${disputeId} `))
		.join("; ");
	return { ...current, reason, disputeIds: ids };
}

async function planAdjustment(deps: TableDeps, payment: Payment, adjustment: PaymentAdjustment): Promise<AdjustmentPlan> {
	const paymentKey = keys.payment(payment.provider, payment.paymentId);
	const ref = `${payment.provider}:${payment.paymentId}`;
	const at = new Date().toISOString();
	const noChange: AdjustmentPlan = { outcome: "no_change", amount: 0, items: [], invoiceNumbers: [] };
	if (adjustment.currency !== payment.currency) return noChange;
	const appliedInvoices = [...new Set(payment.applications.map((a) => a.invoiceNumber))];
	const loaded = new Map<string, Invoice>();
	for (const number of appliedInvoices) {
		const invoice = await getInvoice(deps, number);
		if (invoice) loaded.set(number, invoice);
	}
	const audit = (action: PaymentAudit["action"]) => paymentAudit(payment, action, at);
	/** A closed dispute releases its part of each invoice's hold. */
	const released = (invoice: Invoice, disputeId: string | undefined) => {
		const hold = disputeId ? holdWithoutDispute(invoice.hold, disputeId) : undefined;
		return hold === undefined ? {} : { hold };
	};
	/** The hold releases of a closed dispute on the invoices whose amount paid does not change as well. */
	const holdReleases = (disputeId: string, amountsChanged: ReadonlySet<string> = new Set()): TransactItem[] =>
		[...loaded.values()].flatMap((invoice) => {
			const change = released(invoice, disputeId);
			return amountsChanged.has(invoice.number) || !("hold" in change) ? [] : invoiceUpdate(deps, invoice, change, audit("dispute_closed"));
		});
	const reversalItems = (amount: number, type: "refund" | "chargeback", closedDispute?: string): TransactItem[] => {
		const reversal = allocateReversal(payment, amount);
		const items: TransactItem[] = [];
		const touched = new Set<string>();
		for (const part of reversal.fromInvoices) {
			const invoice = loaded.get(part.invoiceNumber);
			if (!invoice) continue;
			touched.add(part.invoiceNumber);
			items.push(...invoiceUpdate(deps, invoice, { paidDelta: -part.amount, ...released(invoice, closedDispute) }, audit(type)));
			items.push(
				ledgerEntryPut(deps.tableName, {
					accountId: invoice.accountId,
					type: type,
					amount: part.amount,
					currency: payment.currency,
					reference: `${ref} ${type} <- ${invoice.number}`,
					at,
				}),
			);
		}
		if (closedDispute) items.push(...holdReleases(closedDispute, touched));
		const booked = reversal.fromCredit + reversal.fromInvoices.reduce((acc, p) => acc + p.amount, 0);
		if (payment.accountId && booked > 0) {
			if (reversal.fromCredit > 0) {
				items.push(
					ledgerEntryPut(deps.tableName, {
						accountId: payment.accountId,
						type: type,
						amount: reversal.fromCredit,
						currency: payment.currency,
						reference: `${ref} ${type} of account credit`,
						at,
					}),
				);
			}
			items.push({
				Update: {
					TableName: deps.tableName,
					Key: keys.account(payment.accountId),
					UpdateExpression: "SET balance = balance + :amount, creditBalance = creditBalance - :credit",
					// Credit already consumed by a later invoice cannot be handed back twice.
					ConditionExpression: "attribute_exists(pk) AND creditBalance >= :credit",
					ExpressionAttributeValues: { ":amount": booked, ":credit": reversal.fromCredit },
				},
			});
		}
		return items;
	};
	switch (adjustment.kind) {
		case "refund": {
			const amount = Math.min(adjustment.refundedTotal, payment.amount) - payment.refundedAmount;
			if (amount <= 0) return noChange;
			return {
				outcome: "refunded",
				amount,
				invoiceNumbers: allocateReversal(payment, amount).fromInvoices.map((p) => p.invoiceNumber),
				items: [
					{
						Update: {
							TableName: deps.tableName,
							Key: paymentKey,
							UpdateExpression: "SET refundedAmount = :new",
							ConditionExpression: "refundedAmount = :old AND chargebackAmount = :chargeback",
							ExpressionAttributeValues: {
								":new": payment.refundedAmount + amount,
								":old": payment.refundedAmount,
								":chargeback": payment.chargebackAmount,
							},
						},
					},
					...reversalItems(amount, "refund"),
				],
			};
		}
		case "dispute_opened": {
			if (payment.dispute?.disputeId === adjustment.disputeId) return noChange;
			const reason = `dispute ${adjustment.disputeId} (${adjustment.reason}) on ${ref}`;
			return {
				outcome: "dispute_opened",
				amount: adjustment.amount,
				invoiceNumbers: [...loaded.keys()],
				items: [
					{
						Update: {
							TableName: deps.tableName,
							Key: paymentKey,
							UpdateExpression: "SET dispute = :dispute",
							ConditionExpression: "attribute_exists(pk)",
							ExpressionAttributeValues: {
								":dispute": {
									disputeId: adjustment.disputeId,
									status: "open",
									amount: adjustment.amount,
									reason: adjustment.reason,
									since: adjustment.occurredAt,
								},
							},
						},
					},
					...[...loaded.values()].flatMap((invoice) => {
						const hold = holdWithDispute(invoice.hold, adjustment.disputeId, reason, adjustment.occurredAt);
						return hold ? invoiceUpdate(deps, invoice, { hold }, audit("dispute_opened")) : [];
					}),
				],
			};
		}
		case "dispute_closed": {
			if (payment.dispute && payment.dispute.status !== "open") return noChange;
			const dispute = {
				disputeId: adjustment.disputeId,
				status: adjustment.outcome,
				amount: adjustment.amount,
				reason: payment.dispute?.reason ?? "unspecified",
				since: payment.dispute?.since ?? adjustment.occurredAt,
			};
			const lost = adjustment.outcome === "lost";
			const amount = lost ? Math.min(adjustment.amount, payment.amount - payment.refundedAmount - payment.chargebackAmount) : 0;
			return {
				outcome: lost ? "dispute_lost" : "dispute_won",
				amount,
				invoiceNumbers: [...loaded.keys()],
				items: [
					{
						Update: {
							TableName: deps.tableName,
							Key: paymentKey,
							UpdateExpression: "SET dispute = :dispute, chargebackAmount = :new",
							ConditionExpression: "chargebackAmount = :old AND refundedAmount = :refunded",
							ExpressionAttributeValues: {
								":dispute": dispute,
								":new": payment.chargebackAmount + amount,
								":old": payment.chargebackAmount,
								":refunded": payment.refundedAmount,
							},
						},
					},
					...(lost ? reversalItems(amount, "chargeback", adjustment.disputeId) : holdReleases(adjustment.disputeId)),
				],
			};
		}
	}
}

/**
 * A refund or dispute: stored with its effects in one transaction. One that refers to a
 * payment not yet recorded is parked and applied when the payment arrives (or by the
 * reconcile step), claimed from the parked queue so it takes effect once.
 */
export async function recordAdjustment(
	deps: TableDeps,
	adjustment: PaymentAdjustment,
	eventType: string,
	rawBody: string,
	options: { fromParked?: boolean } = {},
): Promise<WebhookOutcome> {
	const { provider, eventId, paymentId } = adjustment;
	for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		const payment = await getPayment(deps, provider, paymentId);
		if (!payment) {
			const reason = `payment ${provider}:${paymentId} has not arrived yet`;
			if (options.fromParked) return { result: "parked", eventId, paymentId, reason };
			const parkedKey = keys.parkedEvent(provider, paymentId, adjustment.occurredAt, eventId);
			try {
				await deps.ddb.send(
					new TransactWriteCommand({
						TransactItems: [
							eventItem(deps, provider, eventId, eventType, rawBody, { handling: "parked", paymentId }),
							{
								Put: {
									TableName: deps.tableName,
									Item: {
										...parkedKey,
										...keys.parkedListing(provider, paymentId, adjustment.occurredAt, eventId),
										adjustment,
										eventType,
										rawBody,
									},
								},
							},
							// Stays after the parked events are applied: the payment it guards is then already recorded.
							{ Put: { TableName: deps.tableName, Item: keys.parkedMarker(provider, paymentId) } },
						],
					}),
				);
			} catch (err) {
				if (isConditionFailure(err, 0)) return { result: "duplicate_event", eventId };
				throw err;
			}
			// The payment may have been recorded between the read above and the parking; it then missed this event.
			if (await getPayment(deps, provider, paymentId)) await applyParkedAdjustments(deps, { provider, paymentId });
			return { result: "parked", eventId, paymentId, reason };
		}
		const plan = await planAdjustment(deps, payment, adjustment);
		const eventWrites: TransactItem[] = options.fromParked
			? [
					{
						Delete: {
							TableName: deps.tableName,
							Key: keys.parkedEvent(provider, paymentId, adjustment.occurredAt, eventId),
							ConditionExpression: "attribute_exists(pk)",
						},
					},
					{
						Update: {
							TableName: deps.tableName,
							Key: keys.webhookEvent(provider, eventId),
							UpdateExpression: "SET handling = :done, outcome = :outcome",
							ExpressionAttributeValues: { ":done": "adjustment", ":outcome": plan.outcome },
						},
					},
				]
			: [eventItem(deps, provider, eventId, eventType, rawBody, { handling: "adjustment", paymentId, outcome: plan.outcome })];
		try {
			await deps.ddb.send(new TransactWriteCommand({ TransactItems: [...eventWrites, ...plan.items] }));
			return { result: plan.outcome, eventId, paymentId, amount: plan.amount, invoiceNumbers: plan.invoiceNumbers };
		} catch (err) {
			if (isConditionFailure(err, 0)) return { result: "duplicate_event", eventId };
			if (!(err instanceof TransactionCanceledException)) throw err;
			await backOff(attempt);
		}
	}
	throw new TransientError(`event ${eventId} for payment ${paymentId} could not be applied: the payment kept changing`);
}

/** Applies parked refunds and disputes whose payment is now recorded, oldest first; all of them when no payment is named. */
export async function applyParkedAdjustments(
	deps: TableDeps,
	payment?: { provider: string; paymentId: string },
): Promise<{ applied: number; stillParked: number }> {
	const parked = payment
		? await queryAll(deps, {
				KeyConditionExpression: "pk = :pk AND begins_with(sk, :events)",
				ExpressionAttributeValues: {
					":pk": keys.parkedEvent(payment.provider, payment.paymentId, "", "").pk,
					":events": keys.parkedEventPrefix,
				},
				ConsistentRead: true,
			})
		: await queryAll(deps, {
				IndexName: GSI2,
				KeyConditionExpression: "gsi2pk = :pk",
				ExpressionAttributeValues: { ":pk": keys.parkedListing("", "", "", "").gsi2pk },
			});
	let applied = 0;
	for (const item of parked) {
		const outcome = await recordAdjustment(deps, item.adjustment as PaymentAdjustment, String(item.eventType), String(item.rawBody), {
			fromParked: true,
		});
		if (outcome.result !== "parked" && outcome.result !== "duplicate_event") applied += 1;
	}
	return { applied, stillParked: parked.length - applied };
}

export interface ReapplyResult {
	readonly examined: number;
	readonly applied: number;
	readonly amountApplied: Record<string, number>;
	readonly amountCredited: Record<string, number>;
	readonly stillUnapplied: number;
}

/**
 * The reconcile step: an unapplied payment that now has a match (its invoice was issued
 * after it arrived, its customer now has an invoice of that amount) is applied now, in one
 * transaction with its ledger entries. Payments already refunded or disputed stay as they are.
 */
export async function reapplyUnappliedPayments(deps: TableDeps): Promise<ReapplyResult> {
	const unapplied = await listUnappliedPayments(deps);
	let applied = 0;
	const amountApplied: Record<string, number> = {};
	const amountCredited: Record<string, number> = {};
	for (const payment of unapplied) {
		const untouched =
			payment.appliedAmount === 0 &&
			payment.creditedAmount === 0 &&
			payment.refundedAmount === 0 &&
			payment.chargebackAmount === 0 &&
			!payment.dispute;
		if (!untouched) continue;
		const context = await loadMatchContext(deps, payment);
		const decision = decidePaymentApplication(payment, context);
		const settled = decision.applications.reduce((acc, a) => acc + a.amount, 0);
		if (settled + decision.creditedAmount === 0) continue;
		const record = settledRecord(payment, decision);
		try {
			await deps.ddb.send(
				new TransactWriteCommand({
					TransactItems: [
						{
							Put: {
								TableName: deps.tableName,
								Item: paymentItem(record),
								ConditionExpression: "unappliedAmount = :expected AND appliedAmount = :zero",
								ExpressionAttributeValues: { ":expected": payment.unappliedAmount, ":zero": 0 },
							},
						},
						...settlementItems(deps, decision, loadedInvoiceWrite(deps, context), payment, new Date().toISOString()),
					],
				}),
			);
			applied += 1;
			if (settled > 0) amountApplied[payment.currency] = (amountApplied[payment.currency] ?? 0) + settled;
			if (decision.creditedAmount > 0) amountCredited[payment.currency] = (amountCredited[payment.currency] ?? 0) + decision.creditedAmount;
		} catch (err) {
			if (!(err instanceof TransactionCanceledException)) throw err;
			// Changed under us (a webhook applied it meanwhile): the next run looks again.
		}
	}
	return { examined: unapplied.length, applied, amountApplied, amountCredited, stillUnapplied: unapplied.length - applied };
}
