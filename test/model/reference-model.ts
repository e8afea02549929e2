/**
 * The money core as a billing specialist states its rules (README, DESIGN.md section 5),
 * on plain maps: what every account, invoice and payment must look like after each
 * operation. It shares no code with the system under test except date arithmetic.
 */

export type InvoiceStatus = "open" | "partially_paid" | "paid" | "void" | "uncollectible";

export interface ModelInvoice {
	readonly number: string;
	readonly accountId: string;
	readonly total: number;
	readonly issueDate: string;
	readonly dueDate: string;
	paid: number;
	creditApplied: number;
	credited: number;
	memoTotal: number;
	writtenOff: number;
	status: InvoiceStatus;
	disputes: string[];
}

export interface ModelPayment {
	readonly id: string;
	readonly amount: number;
	readonly receivedAt: string;
	readonly named: { readonly invoiceNumber?: string; readonly accountId?: string };
	accountId?: string;
	applications: { invoiceNumber: string; amount: number; recovery?: true }[];
	credited: number;
	unapplied: number;
	returnedUnapplied: number;
	refunded: number;
	chargeback: number;
	status: "applied" | "partially_applied" | "unapplied" | "returned";
	dispute?: { id: string; status: "open" | "won" | "lost"; amount: number };
}

export interface ModelAccount {
	readonly id: string;
	readonly planAmount: number;
	balance: number;
	credit: number;
	/** Ledger entries written since the last statement's cut. */
	activitySinceStatement: boolean;
	lastClosing: number;
	statements: Map<string, { opening: number; closing: number }>;
	/** Overpayments kept as credit (account_credit entries), for the report's identity. */
	overpaid: number;
}

export class RefusedOperation extends Error {}

export function amountDue(invoice: ModelInvoice): number {
	if (invoice.status === "void") return 0;
	return invoice.total - invoice.paid - invoice.creditApplied - invoice.credited - invoice.writtenOff;
}

function settleStatus(invoice: ModelInvoice): void {
	if (invoice.status === "void") return;
	const due = amountDue(invoice);
	if (due <= 0) invoice.status = invoice.status === "uncollectible" ? "uncollectible" : "paid";
	else invoice.status = invoice.paid === 0 ? "open" : "partially_paid";
}

const byDue = (a: ModelInvoice, b: ModelInvoice) => a.dueDate.localeCompare(b.dueDate) || a.number.localeCompare(b.number);

export class MoneyModel {
	readonly accounts = new Map<string, ModelAccount>();
	readonly invoices = new Map<string, ModelInvoice>();
	readonly payments = new Map<string, ModelPayment>();
	/** Refunds that arrived before their payment: the highest cumulative amount reported. */
	readonly parkedRefunds = new Map<string, number>();
	billedMonths = 0;

	addAccount(id: string, planAmount: number): void {
		this.accounts.set(id, {
			id,
			planAmount,
			balance: 0,
			credit: 0,
			activitySinceStatement: false,
			lastClosing: 0,
			statements: new Map(),
			overpaid: 0,
		});
	}

	account(id: string): ModelAccount {
		const account = this.accounts.get(id);
		if (!account) throw new Error(`model has no account ${id}`);
		return account;
	}

	invoicesOf(accountId: string): ModelInvoice[] {
		return [...this.invoices.values()].filter((i) => i.accountId === accountId);
	}

	/** A new invoice for the plan; account credit pays what it can of it. */
	issueInvoice(accountId: string, number: string, issueDate: string, dueDate: string): void {
		const account = this.account(accountId);
		const total = account.planAmount;
		const creditApplied = Math.min(account.credit, total);
		const invoice: ModelInvoice = {
			number,
			accountId,
			total,
			issueDate,
			dueDate,
			paid: 0,
			creditApplied,
			credited: 0,
			memoTotal: 0,
			writtenOff: 0,
			status: "open",
			disputes: [],
		};
		settleStatus(invoice);
		this.invoices.set(number, invoice);
		account.balance += total;
		account.credit -= creditApplied;
		account.activitySinceStatement = true;
	}

	/**
	 * Matching: the named invoice (a written-off one: a bad-debt recovery of what was written
	 * off); else the customer's invoice due exactly the amount, or all of them oldest due first.
	 */
	private decide(payment: ModelPayment): {
		accountId?: string;
		applications: ModelPayment["applications"];
		credited: number;
	} {
		const { invoiceNumber, accountId } = payment.named;
		const unapplied = { ...(accountId ? { accountId } : {}), applications: [], credited: 0 };
		if (invoiceNumber) {
			const invoice = this.invoices.get(invoiceNumber);
			if (!invoice || (accountId && accountId !== invoice.accountId) || invoice.status === "void") return unapplied;
			if (invoice.status === "uncollectible" && invoice.writtenOff > 0) {
				const recovered = Math.min(payment.amount, invoice.writtenOff);
				return {
					accountId: invoice.accountId,
					applications: [{ invoiceNumber, amount: recovered, recovery: true }],
					credited: payment.amount - recovered,
				};
			}
			const amount = Math.min(payment.amount, Math.max(amountDue(invoice), 0));
			return {
				accountId: invoice.accountId,
				applications: amount > 0 ? [{ invoiceNumber, amount }] : [],
				credited: payment.amount - amount,
			};
		}
		if (!accountId || !this.accounts.has(accountId)) return unapplied;
		const open = this.invoicesOf(accountId)
			.filter((i) => i.status !== "void" && amountDue(i) > 0)
			.sort(byDue);
		const exact = open.find((i) => amountDue(i) === payment.amount);
		if (exact) return { accountId, applications: [{ invoiceNumber: exact.number, amount: payment.amount }], credited: 0 };
		const totalDue = open.reduce((acc, i) => acc + amountDue(i), 0);
		if (payment.amount < totalDue) return unapplied;
		return {
			accountId,
			applications: open.map((i) => ({ invoiceNumber: i.number, amount: amountDue(i) })),
			credited: payment.amount - totalDue,
		};
	}

	private settle(payment: ModelPayment): boolean {
		const decision = this.decide(payment);
		const applied = decision.applications.reduce((acc, a) => acc + a.amount, 0);
		if (decision.accountId) payment.accountId = decision.accountId;
		if (applied + decision.credited === 0) return false;
		let recovered = 0;
		for (const a of decision.applications) {
			const invoice = this.invoices.get(a.invoiceNumber) as ModelInvoice;
			invoice.paid += a.amount;
			if (a.recovery) {
				// The write-off is reinstated and paid at once: the balance does not move for it.
				invoice.writtenOff -= a.amount;
				recovered += a.amount;
				invoice.status = invoice.writtenOff > 0 ? "uncollectible" : "paid";
			} else settleStatus(invoice);
		}
		const account = this.account(decision.accountId as string);
		account.balance -= applied - recovered + decision.credited;
		account.credit += decision.credited;
		account.overpaid += decision.credited;
		account.activitySinceStatement = true;
		payment.applications = decision.applications;
		payment.credited = decision.credited;
		payment.unapplied = payment.amount - applied - decision.credited;
		payment.status = payment.unapplied === 0 ? "applied" : "partially_applied";
		return true;
	}

	/** A payment received for the first time; a refund parked for it is applied right after. */
	receivePayment(id: string, amount: number, receivedAt: string, named: ModelPayment["named"]): void {
		const payment: ModelPayment = {
			id,
			amount,
			receivedAt,
			named,
			...(named.accountId ? { accountId: named.accountId } : {}),
			applications: [],
			credited: 0,
			unapplied: amount,
			returnedUnapplied: 0,
			refunded: 0,
			chargeback: 0,
			status: "unapplied",
		};
		this.payments.set(id, payment);
		this.settle(payment);
		const parked = this.parkedRefunds.get(id);
		if (parked !== undefined) {
			this.parkedRefunds.delete(id);
			this.refund(id, parked);
		}
	}

	/** What a refund or chargeback takes back: unapplied cash, then credit, then the applications newest first. */
	private reverse(payment: ModelPayment, amount: number, kind: "refund" | "chargeback", closedDispute?: string): void {
		let skip = payment.refunded + payment.chargeback;
		let left = amount;
		const take = (layer: number) => {
			const available = Math.max(layer - skip, 0);
			skip = Math.max(skip - layer, 0);
			const taken = Math.min(available, left);
			left -= taken;
			return taken;
		};
		const fromUnapplied = take(payment.unapplied + payment.returnedUnapplied);
		const fromCredit = take(payment.credited);
		const fromInvoices = [...payment.applications].reverse().map((a) => ({ invoiceNumber: a.invoiceNumber, amount: take(a.amount) }));
		if (kind === "refund") payment.refunded += amount;
		else payment.chargeback += amount;
		payment.unapplied -= fromUnapplied;
		payment.returnedUnapplied += fromUnapplied;
		if (payment.unapplied === 0 && payment.applications.length === 0 && payment.credited === 0 && payment.returnedUnapplied > 0) {
			payment.status = "returned";
		}
		for (const part of fromInvoices) {
			const invoice = this.invoices.get(part.invoiceNumber) as ModelInvoice;
			invoice.paid -= part.amount;
			settleStatus(invoice);
		}
		if (closedDispute) this.releaseHolds(payment, closedDispute);
		const booked = fromCredit + fromInvoices.reduce((acc, p) => acc + p.amount, 0);
		if (!payment.accountId || booked === 0) return;
		const account = this.account(payment.accountId);
		const fromBalance = Math.min(fromCredit, account.credit);
		let owedAgain = fromCredit - fromBalance;
		const own = new Set(payment.applications.map((a) => a.invoiceNumber));
		const consumers = this.invoicesOf(account.id)
			.filter((i) => i.creditApplied > 0 && i.status !== "void")
			.sort((a, b) => b.issueDate.localeCompare(a.issueDate) || b.number.localeCompare(a.number));
		for (const invoice of consumers) {
			if (owedAgain === 0) break;
			if (own.has(invoice.number)) continue;
			const back = Math.min(owedAgain, invoice.creditApplied);
			owedAgain -= back;
			invoice.creditApplied -= back;
			settleStatus(invoice);
		}
		account.balance += booked;
		account.credit -= fromBalance;
		account.activitySinceStatement = true;
	}

	/** A processor's cumulative refunded total: only its increase is new, never beyond what is left of the payment. */
	refund(id: string, refundedTotal: number): void {
		const payment = this.payments.get(id);
		if (!payment) {
			this.parkedRefunds.set(id, Math.max(this.parkedRefunds.get(id) ?? 0, refundedTotal));
			return;
		}
		const amount = Math.min(
			Math.max(0, Math.min(refundedTotal, payment.amount) - payment.refunded),
			payment.amount - payment.refunded - payment.chargeback,
		);
		if (amount > 0) this.reverse(payment, amount, "refund");
	}

	openDispute(id: string, disputeId: string, amount: number): void {
		const payment = this.payments.get(id) as ModelPayment;
		if (payment.dispute?.id === disputeId) return;
		payment.dispute = { id: disputeId, status: "open", amount };
		for (const a of payment.applications) {
			const invoice = this.invoices.get(a.invoiceNumber) as ModelInvoice;
			if (!invoice.disputes.includes(disputeId)) invoice.disputes.push(disputeId);
		}
	}

	closeDispute(id: string, disputeId: string, amount: number, outcome: "won" | "lost"): void {
		const payment = this.payments.get(id) as ModelPayment;
		if (payment.dispute && payment.dispute.status !== "open") return;
		payment.dispute = { id: disputeId, status: outcome, amount };
		if (outcome === "won") {
			this.releaseHolds(payment, disputeId);
			return;
		}
		const chargeback = Math.min(amount, payment.amount - payment.refunded - payment.chargeback);
		if (chargeback > 0) this.reverse(payment, chargeback, "chargeback", disputeId);
		else this.releaseHolds(payment, disputeId);
	}

	private releaseHolds(payment: ModelPayment, disputeId: string): void {
		for (const a of payment.applications) {
			const invoice = this.invoices.get(a.invoiceNumber) as ModelInvoice;
			invoice.disputes = invoice.disputes.filter((d) => d !== disputeId);
		}
	}

	/** A credit memo: refused on a void or written-off invoice and beyond what is creditable; the rest of it becomes credit. */
	creditMemo(number: string, amount: number): void {
		const invoice = this.invoices.get(number) as ModelInvoice;
		if (invoice.status === "void" || invoice.status === "uncollectible") throw new RefusedOperation(`${number} is ${invoice.status}`);
		if (amount > invoice.total - invoice.memoTotal - invoice.writtenOff) throw new RefusedOperation("more than is creditable");
		const toInvoice = Math.min(amount, amountDue(invoice));
		invoice.credited += toInvoice;
		invoice.memoTotal += amount;
		settleStatus(invoice);
		const account = this.account(invoice.accountId);
		account.balance -= amount;
		account.credit += amount - toInvoice;
		account.activitySinceStatement = true;
	}

	/** A void: refused once something was paid or credited on it; the credit it consumed goes back. */
	voidInvoice(number: string): void {
		const invoice = this.invoices.get(number) as ModelInvoice;
		if (invoice.status === "void") return;
		if (invoice.paid > 0 || invoice.memoTotal > 0) throw new RefusedOperation(`${number} has payments or memos`);
		const due = amountDue(invoice);
		const account = this.account(invoice.accountId);
		account.balance -= due + invoice.creditApplied;
		account.credit += invoice.creditApplied;
		if (due + invoice.creditApplied > 0) account.activitySinceStatement = true;
		invoice.status = "void";
	}

	/** A write-off of what is due on an open invoice; a second one after a reopening adds to the first. */
	writeOff(number: string): void {
		const invoice = this.invoices.get(number) as ModelInvoice;
		const due = amountDue(invoice);
		if ((invoice.status !== "open" && invoice.status !== "partially_paid") || due <= 0) throw new RefusedOperation("nothing to write off");
		invoice.writtenOff += due;
		invoice.status = "uncollectible";
		const account = this.account(invoice.accountId);
		account.balance -= due;
		account.activitySinceStatement = true;
	}

	/** The reconcile step: untouched unapplied payments matched again (oldest first), then credit set against open invoices. */
	reconcile(): void {
		const waiting = [...this.payments.values()]
			.filter((p) => p.unapplied > 0)
			.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
		for (const payment of waiting) {
			const untouched = payment.applications.length === 0 && payment.credited === 0 && payment.refunded === 0;
			if (untouched && payment.chargeback === 0 && !payment.dispute) this.settle(payment);
		}
		for (const account of this.accounts.values()) {
			if (account.credit <= 0) continue;
			const open = this.invoicesOf(account.id)
				.filter((i) => amountDue(i) > 0 && i.disputes.length === 0 && (i.status === "open" || i.status === "partially_paid"))
				.sort(byDue)
				.slice(0, 30);
			for (const invoice of open) {
				if (account.credit === 0) break;
				const amount = Math.min(account.credit, amountDue(invoice));
				invoice.creditApplied += amount;
				account.credit -= amount;
				account.activitySinceStatement = true;
				settleStatus(invoice);
			}
		}
	}

	/** The period's statement: once; none for an account with neither activity nor a balance. */
	statement(accountId: string, period: string): { opening: number; closing: number } | undefined {
		const account = this.account(accountId);
		const existing = account.statements.get(period);
		if (existing) return existing;
		if (!account.activitySinceStatement && account.balance === 0) return undefined;
		const statement = { opening: account.lastClosing, closing: account.balance };
		account.statements.set(period, statement);
		account.lastClosing = account.balance;
		account.activitySinceStatement = false;
		return statement;
	}
}
