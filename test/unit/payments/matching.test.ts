import { describe, expect, it } from "vitest";
import type { Account, Invoice, Payment } from "../../../shared/core/model.js";
import { decidePaymentApplication, type MatchContext, type PaymentToMatch } from "../../../shared/payments/matching.js";
import { allocateReversal, holdWithDispute, holdWithoutDispute } from "../../../shared/payments/reversals.js";
import { loadedInvoiceWrite, settlementItems } from "../../../shared/payments/settlement.js";
import type { PaymentDecision } from "../../../shared/payments/types.js";
import { transactionSize } from "../../../shared/store/transact.js";

function invoice(number: string, amountDue: number, dueDate = "2026-12-01", overrides: Partial<Invoice> = {}): Invoice {
	return {
		number,
		accountId: "ACC-1",
		period: "2026-10",
		currency: "USD",
		status: "open",
		issueDate: "2026-11-01",
		dueDate,
		billTo: { name: "Acme", email: "ap@acme.example.com", addressLines: [] },
		lines: [],
		subtotal: amountDue,
		tax: 0,
		total: amountDue,
		amountPaid: 0,
		amountDue,
		pdfKey: "k",
		createdAt: "2026-11-01T00:00:00Z",
		...overrides,
	};
}

const account: Account = {
	accountId: "ACC-1",
	name: "Acme",
	email: "ap@acme.example.com",
	currency: "USD",
	status: "active",
	taxRatePpm: 0,
	paymentTermsDays: 30,
	delivery: "email",
	addressLines: [],
	balance: 0,
	creditBalance: 0,
	createdAt: "2026-01-01T00:00:00Z",
};

/** The items the settlement of a decision writes, as its transaction counts them (the payment's own few aside). */
const settlementSize = (context: MatchContext) => (decision: PaymentDecision) =>
	transactionSize(
		settlementItems(
			"billing",
			decision,
			loadedInvoiceWrite("billing", context),
			{ provider: "stripe", paymentId: "pi_1", currency: "USD" },
			{
				at: "2026-12-01T00:00:00Z",
				effectiveDate: "2026-12-01",
			},
		),
	);
const decide = (payment: PaymentToMatch, context: MatchContext) => decidePaymentApplication(payment, context, settlementSize(context));

const named = invoice("INV-2026-000001", 10000);

describe("payment matching by invoice number", () => {
	it("applies a full payment to the named invoice", () => {
		expect(decide({ amount: 10000, currency: "USD", invoiceNumber: named.number }, { invoice: named, openInvoices: [] })).toEqual({
			accountId: "ACC-1",
			applications: [{ invoiceNumber: named.number, amount: 10000 }],
			creditedAmount: 0,
			unappliedAmount: 0,
		});
	});

	it("applies a partial payment and turns an overpayment's excess into account credit", () => {
		const partial = decide({ amount: 4000, currency: "USD", invoiceNumber: named.number }, { invoice: named, openInvoices: [] });
		expect(partial.applications).toEqual([{ invoiceNumber: named.number, amount: 4000 }]);
		const over = decide({ amount: 12500, currency: "USD", invoiceNumber: named.number }, { invoice: named, openInvoices: [] });
		expect(over).toMatchObject({ applications: [{ amount: 10000 }], creditedAmount: 2500, unappliedAmount: 0 });
		const paid = { ...named, amountPaid: 10000, amountDue: 0, status: "paid" as const };
		expect(decide({ amount: 100, currency: "USD", invoiceNumber: named.number }, { invoice: paid, openInvoices: [] })).toMatchObject({
			applications: [],
			creditedAmount: 100,
		});
	});

	it("keeps unmatched payments unapplied with the reason", () => {
		const reason = (p: Parameters<typeof decidePaymentApplication>[0], c: Parameters<typeof decidePaymentApplication>[1]) => {
			const d = decide(p, c);
			expect(d.unappliedAmount).toBe(p.amount);
			return d.unappliedReason;
		};
		expect(reason({ amount: 100, currency: "USD" }, { openInvoices: [] })).toMatch(/neither an invoice/);
		expect(reason({ amount: 100, currency: "USD", invoiceNumber: "INV-X" }, { openInvoices: [] })).toMatch(/does not exist/);
		expect(reason({ amount: 100, currency: "EUR", invoiceNumber: named.number }, { invoice: named, openInvoices: [] })).toMatch(
			/currency EUR/,
		);
		expect(
			reason({ amount: 100, currency: "USD", invoiceNumber: named.number, accountId: "ACC-2" }, { invoice: named, openInvoices: [] }),
		).toMatch(/belongs to ACC-1/);
		expect(
			reason({ amount: 100, currency: "USD", invoiceNumber: named.number }, { invoice: { ...named, status: "void" }, openInvoices: [] }),
		).toMatch(/void/);
	});
});

describe("payment matching by customer and amount", () => {
	const older = invoice("INV-2026-000002", 3000, "2026-10-01");
	const newer = invoice("INV-2026-000003", 5000, "2026-11-01");
	const context = { account, openInvoices: [newer, older] };

	it("applies to the open invoice due exactly the amount", () => {
		expect(decide({ amount: 5000, currency: "USD", accountId: "ACC-1" }, context).applications).toEqual([
			{ invoiceNumber: newer.number, amount: 5000 },
		]);
	});

	it("settles several invoices oldest due first and credits the excess", () => {
		expect(decide({ amount: 8000, currency: "USD", accountId: "ACC-1" }, context)).toEqual({
			accountId: "ACC-1",
			applications: [
				{ invoiceNumber: older.number, amount: 3000 },
				{ invoiceNumber: newer.number, amount: 5000 },
			],
			creditedAmount: 0,
			unappliedAmount: 0,
		});
		expect(decide({ amount: 8150, currency: "USD", accountId: "ACC-1" }, context).creditedAmount).toBe(150);
	});

	it("keeps an amount that matches nothing, a currency mismatch and an unknown customer unapplied", () => {
		expect(decide({ amount: 4000, currency: "USD", accountId: "ACC-1" }, context).unappliedReason).toMatch(/due exactly 4000/);
		expect(decide({ amount: 5000, currency: "EUR", accountId: "ACC-1" }, context).unappliedReason).toMatch(/currency EUR/);
		expect(decide({ amount: 5000, currency: "USD", accountId: "ACC-9" }, { openInvoices: [] }).unappliedReason).toMatch(
			/ACC-9 does not exist/,
		);
	});

	it("settles all open invoices with one payment only when their settlement fits one DynamoDB transaction, held markers counted", () => {
		const many = (n: number, held = 0) =>
			Array.from({ length: n }, (_, i) =>
				invoice(`INV-2026-${String(100 + i).padStart(6, "0")}`, 1000, "2026-12-01", {
					...(i < held ? { hold: { reason: "seat count disputed", since: "2026-11-15T00:00:00Z" } } : {}),
				}),
			);
		const fits = decide({ amount: 1000 * 22 + 1, currency: "USD", accountId: "ACC-1" }, { account, openInvoices: many(22) });
		expect(fits.applications).toHaveLength(22);
		expect(fits.creditedAmount).toBe(1);
		// Four items an invoice (update, audit entry, ledger entry, invoice.paid), then the account and the books' lock.
		expect(
			decide({ amount: 1000 * 23, currency: "USD", accountId: "ACC-1" }, { account, openInvoices: many(23) }).applications,
		).toHaveLength(23);
		// A held invoice paid off also leaves the held queue: one marker more each.
		const tooMany = decide({ amount: 1000 * 22, currency: "USD", accountId: "ACC-1" }, { account, openInvoices: many(22, 18) });
		expect(tooMany).toMatchObject({ applications: [], creditedAmount: 0, unappliedAmount: 1000 * 22 });
		expect(tooMany.unappliedReason).toBe(
			"payment covers all 22 open invoices of account ACC-1; settling them takes 108 items, more than the 100 of one transaction",
		);
	});
});

describe("reversal allocation", () => {
	const payment: Payment = {
		provider: "stripe",
		paymentId: "pi_1",
		eventId: "evt_1",
		accountId: "ACC-1",
		amount: 9000,
		currency: "USD",
		receivedAt: "2026-11-02T00:00:00Z",
		status: "applied",
		appliedAmount: 8000,
		creditedAmount: 1000,
		unappliedAmount: 0,
		applications: [
			{ invoiceNumber: "A", amount: 3000 },
			{ invoiceNumber: "B", amount: 5000 },
		],
		refundedAmount: 0,
		chargebackAmount: 0,
		returnedUnapplied: 0,
	};

	it("takes back the credit first, then the newest application, and continues after earlier reversals", () => {
		expect(allocateReversal(payment, 1500)).toEqual({
			fromUnapplied: 0,
			fromCredit: 1000,
			fromInvoices: [{ invoiceNumber: "B", amount: 500 }],
		});
		expect(allocateReversal({ ...payment, refundedAmount: 1500 }, 6000)).toEqual({
			fromUnapplied: 0,
			fromCredit: 0,
			fromInvoices: [
				{ invoiceNumber: "B", amount: 4500 },
				{ invoiceNumber: "A", amount: 1500 },
			],
		});
	});

	it("takes unapplied cash back before anything booked, and counts what it returned as part of that layer", () => {
		const partly = {
			...payment,
			appliedAmount: 5000,
			creditedAmount: 0,
			unappliedAmount: 4000,
			applications: [{ invoiceNumber: "B", amount: 5000 }],
		};
		expect(allocateReversal(partly, 6000)).toEqual({
			fromUnapplied: 4000,
			fromCredit: 0,
			fromInvoices: [{ invoiceNumber: "B", amount: 2000 }],
		});
		const after = { ...partly, unappliedAmount: 1000, returnedUnapplied: 3000, refundedAmount: 3000 };
		expect(allocateReversal(after, 2000)).toEqual({
			fromUnapplied: 1000,
			fromCredit: 0,
			fromInvoices: [{ invoiceNumber: "B", amount: 1000 }],
		});
	});
});

describe("dispute holds", () => {
	it("adds each dispute once and releases the hold when the last one closes", () => {
		const first = holdWithDispute(undefined, "dp_1", "dispute dp_1 (fraudulent) on stripe:pi_1", "2026-11-02T00:00:00Z");
		expect(first).toEqual({ reason: "dispute dp_1 (fraudulent) on stripe:pi_1", since: "2026-11-02T00:00:00Z", disputeIds: ["dp_1"] });
		expect(holdWithDispute(first, "dp_1", "again", "2026-11-03T00:00:00Z")).toBeUndefined();
		const both = holdWithDispute(first, "dp_2", "dispute dp_2 (duplicate) on stripe:pi_2", "2026-11-03T00:00:00Z");
		expect(both).toMatchObject({ since: "2026-11-02T00:00:00Z", disputeIds: ["dp_1", "dp_2"] });
		expect(holdWithoutDispute(both, "dp_9")).toBeUndefined();
		expect(holdWithoutDispute(both, "dp_1")).toEqual({
			reason: "dispute dp_2 (duplicate) on stripe:pi_2",
			since: "2026-11-02T00:00:00Z",
			disputeIds: ["dp_2"],
		});
		expect(holdWithoutDispute(first, "dp_1")).toBeNull();
		expect(holdWithoutDispute(undefined, "dp_1")).toBeUndefined();
	});

	it("releases a hold stored before holds named their disputes", () => {
		expect(
			holdWithoutDispute({ reason: "dispute dp_old (fraudulent) on stripe:pi_old", since: "2026-10-01T00:00:00Z" }, "dp_old"),
		).toBeNull();
	});
});
