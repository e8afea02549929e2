import fc from "fast-check";
import { expect } from "vitest";
import { writeOffInvoice } from "../../shared/collections/write-off.js";
import { addDays, resolveBillingPeriod } from "../../shared/core/period.js";
import { createCreditMemo } from "../../shared/invoicing/credit-memos.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { issueStatement } from "../../shared/invoicing/statements.js";
import { voidInvoice } from "../../shared/invoicing/void.js";
import { reconcilePayments } from "../../shared/reporting/reconciliation.js";
import { amountDue, type ModelInvoice, type ModelPayment, type MoneyModel, RefusedOperation } from "./reference-model.js";
import { expectSameState, type MoneySystem } from "./system.js";

type Command = fc.AsyncCommand<MoneyModel, MoneySystem>;

const pick = <T>(items: readonly T[], index: number): T | undefined => (items.length ? items[index % items.length] : undefined);
const monthOf = (n: number) => `${2026 + Math.floor((n - 1) / 12)}-${String(((n - 1) % 12) + 1).padStart(2, "0")}`;

/** Runs the operation on the model and the system: both refuse it, or both do it; then the states must be equal. */
async function both(model: MoneyModel, system: MoneySystem, onModel: () => void, onSystem: () => Promise<unknown>): Promise<void> {
	let refused = false;
	try {
		onModel();
	} catch (err) {
		if (!(err instanceof RefusedOperation)) throw err;
		refused = true;
	}
	if (refused) await expect(onSystem()).rejects.toThrow();
	else await onSystem();
	await expectSameState(model, system);
}

abstract class Base implements Command {
	check(_model: Readonly<MoneyModel>): boolean {
		return true;
	}
	abstract run(model: MoneyModel, system: MoneySystem): Promise<void>;
	abstract toString(): string;
}

/** Next month's run: each account's invoice, then its statement. */
class RunMonth extends Base {
	override check(model: Readonly<MoneyModel>) {
		return model.billedMonths < 12;
	}
	async run(model: MoneyModel, system: MoneySystem) {
		model.billedMonths += 1;
		const period = monthOf(model.billedMonths);
		const asOf = `${monthOf(model.billedMonths + 1)}-01`;
		const billing = resolveBillingPeriod({ period, asOf }, new Date(`${asOf}T00:00:00Z`));
		for (const account of model.accounts.values()) {
			const outcome = await issueInvoiceForAccount(system.deps, account.id, billing);
			expect(outcome.outcome).toBe("issued");
			model.issueInvoice(account.id, "invoiceNumber" in outcome ? outcome.invoiceNumber : "", asOf, addDays(asOf, 30));
		}
		for (const account of model.accounts.values()) await expectStatement(model, system, account.id, period, asOf);
		await expectSameState(model, system);
	}
	toString() {
		return "runMonth";
	}
}

async function expectStatement(model: MoneyModel, system: MoneySystem, accountId: string, period: string, date: string) {
	const expected = model.statement(accountId, period);
	const statement = await issueStatement(system.deps, accountId, period, date);
	if (!expected) return expect(statement).toBeUndefined();
	expect(statement).toMatchObject({ openingBalance: expected.opening, closingBalance: expected.closing });
	// Closing = opening + activity: every entry recorded since the last cut is on it.
	expect(statement?.activity.reduce((acc, a) => acc + a.amount, expected.opening)).toBe(expected.closing);
}

/** The current period's statements again: each is issued once, so nothing changes. */
class Statement extends Base {
	override check(model: Readonly<MoneyModel>) {
		return model.billedMonths > 0;
	}
	async run(model: MoneyModel, system: MoneySystem) {
		const period = monthOf(model.billedMonths);
		for (const account of model.accounts.values())
			await expectStatement(model, system, account.id, period, `${monthOf(model.billedMonths + 1)}-01`);
	}
	toString() {
		return "statement";
	}
}

type Target = "invoice" | "invoice and customer" | "customer" | "unknown customer" | "other customer's invoice";
type AmountKind = "full" | "partial" | "over" | "everything due" | "any";

/** A signed payment_intent.succeeded, named by invoice or customer, for an amount chosen against what is due. */
class Pay extends Base {
	constructor(
		readonly target: Target,
		readonly accountIndex: number,
		readonly invoiceIndex: number,
		readonly kind: AmountKind,
		readonly extra: number,
		readonly forParkedRefund: boolean,
	) {
		super();
	}
	async run(model: MoneyModel, system: MoneySystem) {
		const accounts = [...model.accounts.values()];
		const account = pick(accounts, this.accountIndex) as (typeof accounts)[number];
		const invoice = pick(model.invoicesOf(account.id), this.invoiceIndex);
		const due = invoice ? amountDue(invoice) : 0;
		const allDue = model.invoicesOf(account.id).reduce((acc, i) => acc + amountDue(i), 0);
		const amount = Math.max(
			1,
			{ full: due, partial: Math.floor(due / 2), over: due + this.extra, "everything due": allDue, any: this.extra }[this.kind],
		);
		const other = accounts.find((a) => a.id !== account.id) ?? account;
		const named: ModelPayment["named"] =
			this.target === "customer"
				? { accountId: account.id }
				: this.target === "unknown customer"
					? { accountId: "NOBODY" }
					: !invoice
						? { accountId: account.id }
						: this.target === "invoice"
							? { invoiceNumber: invoice.number }
							: this.target === "invoice and customer"
								? { invoiceNumber: invoice.number, accountId: account.id }
								: { invoiceNumber: invoice.number, accountId: other.id };
		const parked = this.forParkedRefund ? [...model.parkedRefunds.keys()][0] : undefined;
		const id = parked ?? `pi_${system.seq + 1}`;
		const metadata = {
			...(named.invoiceNumber ? { invoice_number: named.invoiceNumber } : {}),
			...(named.accountId ? { account_id: named.accountId } : {}),
		};
		model.receivePayment(id, amount, new Date((1_790_000_000 + system.seq + 1) * 1000).toISOString(), named);
		await system.post({
			type: "payment_intent.succeeded",
			data: { object: { id, object: "payment_intent", amount_received: amount, currency: "usd", metadata } },
		});
		await expectSameState(model, system);
	}
	toString() {
		return `pay(${this.target}, ${this.accountIndex}, ${this.invoiceIndex}, ${this.kind}, ${this.extra}, ${this.forParkedRefund})`;
	}
}

/** The same webhook delivered again: nothing changes. */
class Redeliver extends Base {
	constructor(readonly index: number) {
		super();
	}
	async run(model: MoneyModel, system: MoneySystem) {
		const body = pick(system.events, this.index);
		if (!body) return;
		expect(await system.redeliver(body)).toMatchObject({ result: "duplicate_event" });
		await expectSameState(model, system);
	}
	toString() {
		return `redeliver(${this.index})`;
	}
}

/** A signed charge.refunded with the processor's cumulative total, partial or full; for a payment not seen yet it is parked. */
class Refund extends Base {
	constructor(
		readonly paymentIndex: number,
		readonly fraction: number,
		readonly full: boolean,
		readonly beforeItsPayment: boolean,
	) {
		super();
	}
	async run(model: MoneyModel, system: MoneySystem) {
		const payment = pick([...model.payments.values()], this.paymentIndex);
		const id = this.beforeItsPayment || !payment ? `pi_early_${system.seq + 1}` : payment.id;
		const total =
			payment && !this.beforeItsPayment
				? this.full
					? payment.amount
					: Math.min(payment.amount, payment.refunded + Math.max(1, Math.floor((payment.amount - payment.refunded) * this.fraction)))
				: Math.max(1, Math.floor(20_000 * this.fraction));
		model.refund(id, total);
		await system.post({
			type: "charge.refunded",
			data: { object: { id: `ch_${id}`, object: "charge", amount_refunded: total, currency: "usd", payment_intent: id } },
		});
		await expectSameState(model, system);
	}
	toString() {
		return `refund(${this.paymentIndex}, ${this.fraction}, ${this.full}, ${this.beforeItsPayment})`;
	}
}

/** A signed dispute opened, then won or lost, on a payment. */
class Dispute extends Base {
	constructor(
		readonly paymentIndex: number,
		readonly fraction: number,
		readonly close: "open" | "won" | "lost",
	) {
		super();
	}
	override check(model: Readonly<MoneyModel>) {
		return model.payments.size > 0;
	}
	async run(model: MoneyModel, system: MoneySystem) {
		const payment = pick([...model.payments.values()], this.paymentIndex) as ModelPayment;
		const open = payment.dispute?.status === "open" ? payment.dispute : undefined;
		const disputeId = open?.id ?? `dp_${system.seq + 1}`;
		const amount = open?.amount ?? Math.max(1, Math.floor(payment.amount * this.fraction));
		const closing = this.close !== "open" && open;
		if (closing) model.closeDispute(payment.id, disputeId, amount, this.close as "won" | "lost");
		else model.openDispute(payment.id, disputeId, amount);
		await system.post({
			type: closing ? "charge.dispute.closed" : "charge.dispute.created",
			data: {
				object: {
					id: disputeId,
					object: "dispute",
					amount,
					currency: "usd",
					charge: `ch_${payment.id}`,
					payment_intent: payment.id,
					reason: "fraudulent",
					status: closing ? this.close : "needs_response",
				},
			},
		});
		await expectSameState(model, system);
	}
	toString() {
		return `dispute(${this.paymentIndex}, ${this.fraction}, ${this.close})`;
	}
}

abstract class OnInvoice extends Base {
	constructor(readonly invoiceIndex: number) {
		super();
	}
	override check(model: Readonly<MoneyModel>) {
		return model.invoices.size > 0;
	}
	invoice(model: MoneyModel): ModelInvoice {
		return pick([...model.invoices.values()], this.invoiceIndex) as ModelInvoice;
	}
}

class CreditMemo extends OnInvoice {
	constructor(
		invoiceIndex: number,
		readonly fraction: number,
		readonly beyondCreditable: boolean,
	) {
		super(invoiceIndex);
	}
	async run(model: MoneyModel, system: MoneySystem) {
		const invoice = this.invoice(model);
		const creditable = invoice.total - invoice.memoTotal - invoice.writtenOff;
		const amount = this.beyondCreditable ? creditable + 1 : Math.max(1, Math.floor(creditable * this.fraction));
		await both(
			model,
			system,
			() => model.creditMemo(invoice.number, amount),
			() => createCreditMemo(system.deps, { invoiceNumber: invoice.number, amount, reason: "model" }),
		);
	}
	toString() {
		return `creditMemo(${this.invoiceIndex}, ${this.fraction}, ${this.beyondCreditable})`;
	}
}

class Void extends OnInvoice {
	async run(model: MoneyModel, system: MoneySystem) {
		const { number } = this.invoice(model);
		await both(
			model,
			system,
			() => model.voidInvoice(number),
			() => voidInvoice(system.deps, number, "model"),
		);
	}
	toString() {
		return `void(${this.invoiceIndex})`;
	}
}

class WriteOff extends OnInvoice {
	async run(model: MoneyModel, system: MoneySystem) {
		const { number } = this.invoice(model);
		await both(
			model,
			system,
			() => model.writeOff(number),
			() => writeOffInvoice(system.deps, number, "model"),
		);
	}
	toString() {
		return `writeOff(${this.invoiceIndex})`;
	}
}

/** The cycle's reconcile step: it must also find every invariant holding. */
class Reconcile extends Base {
	async run(model: MoneyModel, system: MoneySystem) {
		model.reconcile();
		const outcome = await reconcilePayments(system.deps, monthOf(Math.max(model.billedMonths, 1)));
		expect(outcome.invariants.violations).toEqual([]);
		await expectSameState(model, system);
	}
	toString() {
		return "reconcile";
	}
}

const index = fc.nat({ max: 50 });
const fraction = fc.double({ min: 0.05, max: 1, noNaN: true }).map((f) => Math.round(f * 100) / 100);

export const moneyCommands = [
	fc.constant(new RunMonth()),
	fc.constant(new RunMonth()),
	fc.constant(new Statement()),
	fc
		.record({
			target: fc.constantFrom<Target>("invoice", "invoice and customer", "customer", "unknown customer", "other customer's invoice"),
			account: index,
			invoice: index,
			kind: fc.constantFrom<AmountKind>("full", "full", "partial", "over", "everything due", "any"),
			extra: fc.integer({ min: 1, max: 30_000 }),
			parked: fc.boolean(),
		})
		.map((p) => new Pay(p.target, p.account, p.invoice, p.kind, p.extra, p.parked)),
	fc.tuple(index, fc.boolean(), fc.boolean()).map(([i]) => new Redeliver(i)),
	fc.tuple(index, fraction, fc.boolean(), fc.boolean()).map(([i, f, full, early]) => new Refund(i, f, full, early && f < 0.3)),
	fc.tuple(index, fraction, fc.constantFrom<"open" | "won" | "lost">("open", "won", "lost")).map(([i, f, c]) => new Dispute(i, f, c)),
	fc.tuple(index, fraction, fc.boolean()).map(([i, f, beyond]) => new CreditMemo(i, f, beyond && f > 0.8)),
	index.map((i) => new Void(i)),
	index.map((i) => new WriteOff(i)),
	fc.constant(new Reconcile()),
];
