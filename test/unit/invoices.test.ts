import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatInvoiceNumber, invoiceTotals } from "../../shared/invoices.js";
import type { Account } from "../../shared/model.js";
import { decidePaymentApplication } from "../../shared/payments.js";
import { resolveBillingPeriod } from "../../shared/period.js";
import { priceInvoiceLines } from "../../shared/pricing.js";

const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));

function account(overrides: Partial<Account> = {}): Account {
	return {
		accountId: "ACC-1",
		name: "Acme Ltd",
		email: "ap@acme.example.com",
		currency: "USD",
		status: "active",
		taxRateBasisPoints: 825,
		paymentTermsDays: 30,
		delivery: "email",
		addressLines: ["1 Main St"],
		plan: { code: "team", description: "Team plan, per seat", unitAmount: 4900, quantity: 3 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
		...overrides,
	};
}

describe("invoice pricing", () => {
	it("prices the plan and usage with tax per line, half-up", () => {
		const lines = priceInvoiceLines(
			account(),
			[{ accountId: "ACC-1", period: "2026-10", chargeId: "usage", description: "API calls", quantity: 337, unitAmount: 12 }],
			period,
		);
		expect(lines).toEqual([
			{
				description: "Team plan, per seat (2026-10-01 to 2026-10-31)",
				quantity: 3,
				unitAmount: 4900,
				amount: 14700,
				taxRateBasisPoints: 825,
				tax: 1213,
				kind: "plan",
			},
			{ description: "API calls", quantity: 337, unitAmount: 12, amount: 4044, taxRateBasisPoints: 825, tax: 334, kind: "usage" },
		]);
		// 14700 * 8.25% = 1212.75 -> 1213; 4044 * 8.25% = 333.63 -> 334
		expect(invoiceTotals(lines)).toEqual({ subtotal: 18744, tax: 1547, total: 20291 });
	});

	it("works in JPY, which has no minor digits", () => {
		const lines = priceInvoiceLines(
			account({ currency: "JPY", taxRateBasisPoints: 1000, plan: { code: "t", description: "Plan", unitAmount: 6500, quantity: 2 } }),
			[],
			period,
		);
		expect(invoiceTotals(lines)).toEqual({ subtotal: 13000, tax: 1300, total: 14300 });
	});

	it("totals are exact sums of rounded lines for any quantities and prices", () => {
		fc.assert(
			fc.property(
				fc.array(fc.record({ quantity: fc.integer({ min: 1, max: 10_000 }), unitAmount: fc.integer({ min: 0, max: 1_000_000 }) }), {
					maxLength: 20,
				}),
				fc.integer({ min: 0, max: 3000 }),
				(charges, bps) => {
					const lines = priceInvoiceLines(
						account({ taxRateBasisPoints: bps, plan: undefined }),
						charges.map((c, i) => ({
							accountId: "ACC-1",
							period: "2026-10",
							chargeId: String(i).padStart(3, "0"),
							description: `c${i}`,
							...c,
						})),
						period,
					);
					const totals = invoiceTotals(lines);
					return (
						lines.every((l) => Number.isInteger(l.tax) && l.amount === l.quantity * l.unitAmount) &&
						totals.total === totals.subtotal + totals.tax &&
						totals.subtotal === charges.reduce((a, c) => a + c.quantity * c.unitAmount, 0)
					);
				},
			),
		);
	});

	it("formats invoice numbers per series with six digits", () => {
		expect(formatInvoiceNumber("INV-2026", 123)).toBe("INV-2026-000123");
	});
});

describe("payment matching", () => {
	const invoice = {
		number: "INV-2026-000001",
		accountId: "ACC-1",
		period: "2026-10",
		currency: "USD",
		status: "open" as const,
		issueDate: "2026-11-01",
		dueDate: "2026-12-01",
		billTo: { name: "Acme", email: "ap@acme.example.com", addressLines: [] },
		lines: [],
		subtotal: 10000,
		tax: 0,
		total: 10000,
		amountPaid: 0,
		amountDue: 10000,
		pdfKey: "k",
		createdAt: "2026-11-01T00:00:00Z",
	};

	it("applies a full payment to the named invoice", () => {
		expect(decidePaymentApplication({ amount: 10000, currency: "USD", invoiceNumber: invoice.number }, invoice)).toEqual({
			applyTo: { invoiceNumber: invoice.number, amount: 10000 },
			unappliedAmount: 0,
		});
	});

	it("applies a partial payment and keeps an overpayment's excess unapplied", () => {
		expect(decidePaymentApplication({ amount: 4000, currency: "USD", invoiceNumber: invoice.number }, invoice).applyTo?.amount).toBe(4000);
		const over = decidePaymentApplication({ amount: 12500, currency: "USD", invoiceNumber: invoice.number }, invoice);
		expect(over.applyTo?.amount).toBe(10000);
		expect(over.unappliedAmount).toBe(2500);
		expect(over.unappliedReason).toMatch(/overpayment/);
	});

	it("keeps unmatched payments unapplied with the reason", () => {
		expect(decidePaymentApplication({ amount: 100, currency: "USD" }, undefined).unappliedReason).toMatch(/names no invoice/);
		expect(decidePaymentApplication({ amount: 100, currency: "USD", invoiceNumber: "INV-X" }, undefined).unappliedReason).toMatch(
			/does not exist/,
		);
		expect(decidePaymentApplication({ amount: 100, currency: "EUR", invoiceNumber: invoice.number }, invoice).unappliedReason).toMatch(
			/currency EUR/,
		);
		expect(
			decidePaymentApplication({ amount: 100, currency: "USD", invoiceNumber: invoice.number, accountId: "ACC-2" }, invoice)
				.unappliedReason,
		).toMatch(/belongs to ACC-1/);
		expect(
			decidePaymentApplication(
				{ amount: 100, currency: "USD", invoiceNumber: invoice.number },
				{ ...invoice, amountDue: 0, amountPaid: 10000, status: "paid" },
			).unappliedReason,
		).toMatch(/nothing due/);
	});
});
