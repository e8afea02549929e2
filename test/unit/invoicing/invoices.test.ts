import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Account } from "../../../shared/core/model.js";
import { resolveBillingPeriod } from "../../../shared/core/period.js";
import { invoiceTotals } from "../../../shared/invoicing/invoices.js";
import { priceInvoiceLines } from "../../../shared/invoicing/pricing.js";
import { formatDocumentNumber } from "../../../shared/store/series.js";

const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));

function account(overrides: Partial<Account> = {}): Account {
	return {
		accountId: "ACC-1",
		name: "Acme Ltd",
		email: "ap@acme.example.com",
		currency: "USD",
		status: "active",
		taxRatePpm: 82500,
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
				taxRatePpm: 82500,
				tax: 1213,
				kind: "plan",
			},
			{ description: "API calls", quantity: 337, unitAmount: 12, amount: 4044, taxRatePpm: 82500, tax: 334, kind: "usage" },
		]);
		// 14700 * 8.25% = 1212.75 -> 1213; 4044 * 8.25% = 333.63 -> 334
		expect(invoiceTotals(lines)).toEqual({ subtotal: 18744, tax: 1547, total: 20291 });
	});

	it("works in JPY, which has no minor digits", () => {
		const lines = priceInvoiceLines(
			account({ currency: "JPY", taxRatePpm: 100000, plan: { code: "t", description: "Plan", unitAmount: 6500, quantity: 2 } }),
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
				fc.integer({ min: 0, max: 300_000 }),
				(charges, ppm) => {
					const lines = priceInvoiceLines(
						account({ taxRatePpm: ppm, plan: undefined }),
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
						lines.every((l) => Number.isInteger(l.tax) && l.amount === Number(l.quantity) * l.unitAmount) &&
						totals.total === totals.subtotal + totals.tax &&
						totals.subtotal === charges.reduce((a, c) => a + c.quantity * c.unitAmount, 0)
					);
				},
			),
		);
	});

	it("formats invoice numbers per series with six digits", () => {
		expect(formatDocumentNumber("INV-2026", 123)).toBe("INV-2026-000123");
	});
});
