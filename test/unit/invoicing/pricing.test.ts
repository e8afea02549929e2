import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../shared/core/errors.js";
import { type Account, type Charge, type Discount, type Invoice, invoiceSchema } from "../../../shared/core/model.js";
import { formatMoney } from "../../../shared/core/money.js";
import { resolveBillingPeriod } from "../../../shared/core/period.js";
import { renderInvoicePdf } from "../../../shared/documents/invoice-pdf.js";
import { invoiceTotals } from "../../../shared/invoicing/invoices.js";
import { paymentTermsFor, priceInvoiceLines, prorateByDayHalfUp, taxNoteFor, taxRateFor } from "../../../shared/invoicing/pricing.js";
import type { SellerConfig } from "../../../shared/platform/config.js";
import { pdfText } from "../../support/pdf.js";

const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
const seller: SellerConfig = {
	name: "Example Billing Co.",
	addressLines: ["1 Ledger Lane"],
	email: "billing@example.com",
	paymentInstructions: "Pay by bank transfer.",
	invoiceSeriesPrefix: "INV",
	defaultPaymentTermsDays: 30,
	sendEventWaitSeconds: 900,
};

function account(overrides: Partial<Account> = {}): Account {
	return {
		accountId: "ACC-1",
		name: "Acme Ltd",
		email: "ap@acme.example.com",
		currency: "USD",
		status: "active",
		taxRatePpm: 100000,
		paymentTermsDays: 30,
		delivery: "email",
		addressLines: ["1 Main St"],
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
		...overrides,
	};
}

function charge(overrides: Partial<Charge> = {}): Charge {
	return { accountId: "ACC-1", period: "2026-10", chargeId: "usage", description: "API calls", quantity: 1, unitAmount: 0, ...overrides };
}

const amounts = (lines: { amount: number }[]) => lines.map((l) => l.amount);

describe("recurring plans", () => {
	it("bills a full period at quantity × unit price", () => {
		const lines = priceInvoiceLines(
			account({ plan: { code: "team", description: "Team plan", unitAmount: 4900, quantity: 3 } }),
			[],
			october,
		);
		expect(lines).toEqual([
			{
				description: "Team plan (2026-10-01 to 2026-10-31)",
				quantity: 3,
				unitAmount: 4900,
				amount: 14_700,
				kind: "plan",
				taxRatePpm: 100000,
				tax: 1470,
			},
		]);
	});

	it("prorates a mid-period upgrade by day, half-up, on both plans", () => {
		const lines = priceInvoiceLines(
			account({
				subscriptions: [
					{ code: "team", description: "Team plan", unitAmount: 4900, quantity: 3, endDate: "2026-10-14" },
					{ code: "business", description: "Business plan", unitAmount: 9900, quantity: 3, startDate: "2026-10-15" },
				],
			}),
			[],
			october,
		);
		// 14,700 × 14/31 = 6,638.71 → 6,639; 29,700 × 17/31 = 16,287.10 → 16,287
		expect(lines.map((l) => [l.description, l.amount])).toEqual([
			["Team plan (2026-10-01 to 2026-10-14, 14 of 31 days)", 6639],
			["Business plan (2026-10-15 to 2026-10-31, 17 of 31 days)", 16_287],
		]);
	});

	it("bills nothing for a subscription cancelled before the period or starting after it", () => {
		const lines = priceInvoiceLines(
			account({
				subscriptions: [
					{ code: "old", description: "Old", unitAmount: 100, quantity: 1, endDate: "2026-09-30" },
					{ code: "new", description: "New", unitAmount: 100, quantity: 1, startDate: "2026-11-01" },
					{ code: "cancel", description: "Cancelled on the 1st", unitAmount: 3100, quantity: 1, endDate: "2026-10-01" },
				],
			}),
			[],
			october,
		);
		expect(lines.map((l) => [l.description, l.amount])).toEqual([["Cancelled on the 1st (2026-10-01 to 2026-10-01, 1 of 31 days)", 100]]);
	});
});

describe("usage and one-time charges", () => {
	it("prices graduated tiers: each unit at the price of the tier it falls in", () => {
		const lines = priceInvoiceLines(
			account(),
			[
				charge({
					quantity: 2500,
					tiers: [{ upTo: 1000, unitAmount: 10 }, { upTo: 2000, unitAmount: 8 }, { unitAmount: 5 }],
				}),
			],
			october,
		);
		expect(lines.map((l) => [l.description, l.quantity, l.unitAmount, l.amount])).toEqual([
			["API calls, units 1 to 1000", 1000, 10, 10_000],
			["API calls, units 1001 to 2000", 1000, 8, 8000],
			["API calls, units 2001 and above", 500, 5, 2500],
		]);
		expect(invoiceTotals(lines)).toEqual({ subtotal: 20_500, tax: 2050, total: 22_550 });
	});

	it("stops at the tier the quantity ends in and refuses a quantity beyond the last tier", () => {
		const tiers = [
			{ upTo: 1000, unitAmount: 10 },
			{ upTo: 2000, unitAmount: 8 },
		];
		expect(amounts(priceInvoiceLines(account(), [charge({ quantity: 1000, tiers })], october))).toEqual([10_000]);
		expect(() => priceInvoiceLines(account(), [charge({ quantity: 2001, tiers })], october)).toThrow(ValidationError);
	});

	it("marks one-time charges and keeps them at quantity × unit price", () => {
		const lines = priceInvoiceLines(
			account(),
			[charge({ chargeId: "onboarding", description: "Onboarding", kind: "one_time", quantity: 1, unitAmount: 25_000 })],
			october,
		);
		expect(lines[0]).toMatchObject({ kind: "one_time", amount: 25_000, tax: 2500 });
	});
});

describe("discounts", () => {
	const plan = { code: "team", description: "Team plan", unitAmount: 10_000, quantity: 1 };

	it("shows a percent coupon as its own negative line, taxed like the rest, for N periods only", () => {
		const discounts: Discount[] = [
			{ kind: "percent", code: "WELCOME15", description: "Welcome offer", basisPoints: 1500, firstPeriod: "2026-09", periods: 2 },
		];
		const lines = priceInvoiceLines(account({ plan, discounts }), [], october);
		expect(lines[1]).toEqual({
			description: "Discount WELCOME15: Welcome offer (15% off, period 2 of 2)",
			quantity: 1,
			unitAmount: -1500,
			amount: -1500,
			kind: "discount",
			taxRatePpm: 100000,
			tax: -150,
		});
		expect(invoiceTotals(lines)).toEqual({ subtotal: 8500, tax: 850, total: 9350 });
		const november = resolveBillingPeriod({ period: "2026-11", asOf: "2026-12-01" }, new Date("2026-12-01"));
		expect(amounts(priceInvoiceLines(account({ plan, discounts }), [], november))).toEqual([10_000]);
		const august = resolveBillingPeriod({ period: "2026-08", asOf: "2026-09-01" }, new Date("2026-09-01"));
		expect(amounts(priceInvoiceLines(account({ plan, discounts }), [], august))).toEqual([10_000]);
	});

	it("applies a fixed coupon once and never discounts below zero", () => {
		const discounts: Discount[] = [
			{ kind: "fixed", code: "SORRY", description: "Service credit", amount: 2500, firstPeriod: "2026-10", periods: 1 },
			{ kind: "fixed", code: "BIG", description: "Too big", amount: 50_000, firstPeriod: "2026-01" },
		];
		const lines = priceInvoiceLines(account({ plan, discounts }), [], october);
		expect(amounts(lines)).toEqual([10_000, -2500, -7500]);
		expect(invoiceTotals(lines).total).toBe(0);
	});
});

describe("tax and terms", () => {
	it("takes the rate from the jurisdiction, zero for exempt accounts, and refuses an unknown jurisdiction", () => {
		expect(taxRateFor(account({ jurisdiction: "DE" }))).toBe(190_000);
		expect(taxRateFor(account({ jurisdiction: "US-TX", taxRatePpm: 0 }))).toBe(82_500);
		expect(taxRateFor(account({ jurisdiction: "DE", taxExempt: true }))).toBe(0);
		expect(taxNoteFor(account({ taxExempt: true }))).toMatch(/exempt/);
		expect(taxRateFor(account({ taxRatePpm: 70000 }))).toBe(70_000);
		expect(() => taxRateFor(account({ jurisdiction: "XX" }))).toThrow(/no tax rate for jurisdiction XX/);
	});

	it("maps named payment terms to days and labels", () => {
		expect(paymentTermsFor(account({ paymentTerms: "due_on_receipt" }))).toEqual({ days: 0, label: "Due on receipt" });
		expect(paymentTermsFor(account({ paymentTerms: "net_15" }))).toEqual({ days: 15, label: "Net 15" });
		expect(paymentTermsFor(account({ paymentTerms: "net_60", paymentTermsDays: 30 }))).toEqual({ days: 60, label: "Net 60" });
		expect(paymentTermsFor(account({ paymentTermsDays: 30 }))).toEqual({ days: 30, label: "Net 30" });
	});

	it("rounds per line half-up in JPY (no decimals) and KWD (three decimals)", () => {
		const jpy = priceInvoiceLines(
			account({ currency: "JPY", jurisdiction: "JP" }),
			[charge({ quantity: 3, unitAmount: 335 })], // 1,005 × 10% = 100.5 → 101
			october,
		);
		expect(invoiceTotals(jpy)).toEqual({ subtotal: 1005, tax: 101, total: 1106 });
		const kwd = priceInvoiceLines(
			account({ currency: "KWD", taxRatePpm: 50000 }),
			[charge({ quantity: 7, unitAmount: 1_235 })], // 8.645 KWD × 5% = 0.43225 → 0.432
			october,
		);
		expect(invoiceTotals(kwd)).toEqual({ subtotal: 8645, tax: 432, total: 9077 });
	});
});

const currencyArb = fc.constantFrom("USD", "JPY", "KWD", "EUR");
const tiersArb = fc
	.uniqueArray(fc.integer({ min: 1, max: 5000 }), { minLength: 0, maxLength: 3 })
	.chain((bounds) =>
		fc.tuple(
			fc.constant([...bounds].sort((a, b) => a - b)),
			fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: bounds.length + 1, maxLength: bounds.length + 1 }),
		),
	)
	.map(([bounds, prices]) =>
		prices.map((unitAmount, i) => (i < bounds.length ? { upTo: bounds[i] as number, unitAmount } : { unitAmount })),
	);
const dayArb = fc.integer({ min: 1, max: 31 }).map((d) => `2026-10-${String(d).padStart(2, "0")}`);
const accountArb = fc.record({
	currency: currencyArb,
	taxRatePpm: fc.integer({ min: 0, max: 250_000 }),
	taxExempt: fc.boolean(),
	subscriptions: fc.array(
		fc.record({
			unitAmount: fc.integer({ min: 0, max: 10_000_000 }),
			quantity: fc.integer({ min: 1, max: 500 }),
			startDate: fc.option(dayArb, { nil: undefined }),
			endDate: fc.option(dayArb, { nil: undefined }),
		}),
		{ maxLength: 3 },
	),
	charges: fc.array(
		fc.record({
			quantity: fc.integer({ min: 1, max: 20_000 }),
			unitAmount: fc.integer({ min: 0, max: 100_000 }),
			tiers: fc.option(tiersArb, { nil: undefined }),
		}),
		{
			maxLength: 4,
		},
	),
	percent: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
	fixed: fc.option(fc.integer({ min: 1, max: 5_000_000 }), { nil: undefined }),
});

function generated(spec: typeof accountArb extends fc.Arbitrary<infer T> ? T : never): { account: Account; charges: Charge[] } {
	const discounts: Discount[] = [];
	if (spec.percent)
		discounts.push({ kind: "percent", code: "P", description: "Percent", basisPoints: spec.percent, firstPeriod: "2026-10" });
	if (spec.fixed)
		discounts.push({ kind: "fixed", code: "F", description: "Fixed", amount: spec.fixed, firstPeriod: "2026-10", periods: 1 });
	return {
		account: account({
			currency: spec.currency,
			taxRatePpm: spec.taxRatePpm,
			taxExempt: spec.taxExempt,
			subscriptions: spec.subscriptions.map((s, i) => ({ code: `s${i}`, description: `Plan ${i}`, ...s })),
			discounts,
		}),
		charges: spec.charges.map((c, i) => {
			const last = c.tiers?.at(-1);
			// A tiered charge's quantity stays within its tiers when the last one is capped.
			const quantity = last?.upTo !== undefined ? Math.min(c.quantity, last.upTo) : c.quantity;
			return charge({ chargeId: `c${i}`, description: `Charge ${i}`, ...c, quantity });
		}),
	};
}

describe("pricing properties across currencies", () => {
	it("a prorated period split in two never differs from the whole by more than one minor unit", () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 1_000_000_000 }),
				fc.integer({ min: 28, max: 31 }),
				fc.integer({ min: 0, max: 31 }),
				(full, days, split) => {
					const d = Math.min(split, days);
					const a = prorateByDayHalfUp(full, d, days);
					const b = prorateByDayHalfUp(full, days - d, days);
					return prorateByDayHalfUp(full, days, days) === full && Math.abs(a + b - full) <= 1 && a >= 0 && a <= full;
				},
			),
		);
	});

	it("totals are sums of rounded lines, discounts never exceed the charges, tax is within half a unit per line", () => {
		fc.assert(
			fc.property(accountArb, (spec) => {
				const { account: acc, charges } = generated(spec);
				const lines = priceInvoiceLines(acc, charges, october);
				const totals = invoiceTotals(lines);
				const charged = lines.filter((l) => l.kind !== "discount").reduce((a, l) => a + l.amount, 0);
				const discounted = lines.filter((l) => l.kind === "discount").reduce((a, l) => a + l.amount, 0);
				expect(totals.subtotal).toBe(charged + discounted);
				expect(totals.subtotal).toBeGreaterThanOrEqual(0);
				expect(totals.total).toBe(totals.subtotal + totals.tax);
				for (const line of lines) {
					expect(Number.isSafeInteger(line.amount) && Number.isSafeInteger(line.tax)).toBe(true);
					expect(line.taxRatePpm).toBe(spec.taxExempt ? 0 : spec.taxRatePpm);
					expect(Math.abs(line.tax * 1_000_000 - line.amount * line.taxRatePpm)).toBeLessThanOrEqual(500_000);
				}
				for (const c of charges) {
					const own = lines.filter((l) => l.description.startsWith(`${c.description}`));
					expect(own.reduce((a, l) => a + Number(l.quantity), 0)).toBe(c.quantity);
				}
			}),
		);
	});

	it("the PDF prints the same subtotal, tax and total as the record, to the minor unit", async () => {
		await fc.assert(
			fc.asyncProperty(accountArb, async (spec) => {
				const { account: acc, charges } = generated(spec);
				const lines = priceInvoiceLines(acc, charges, october);
				const totals = invoiceTotals(lines);
				const invoice: Invoice = invoiceSchema.parse({
					number: "INV-2026-000001",
					accountId: acc.accountId,
					period: "2026-10",
					currency: acc.currency,
					status: "open",
					issueDate: "2026-11-01",
					dueDate: "2026-12-01",
					billTo: { name: acc.name, email: acc.email, addressLines: acc.addressLines },
					lines,
					...totals,
					amountPaid: 0,
					amountDue: totals.total,
					pdfKey: "k",
					createdAt: "2026-11-01T00:00:00.000Z",
				});
				const text = await pdfText(await renderInvoicePdf(invoice, seller), { raw: true });
				// pdf.js reads each totals row as its value, then its label.
				const flat = text.replace(/\s+/g, " ");
				const shown = (amount: number) => formatMoney({ amount, currency: acc.currency });
				expect(flat).toContain(`${shown(totals.subtotal)} Subtotal`);
				expect(flat).toContain(`${shown(totals.tax)} Tax`);
				expect(flat).toContain(`${shown(totals.total)} Total`);
				expect(flat).toContain(`${shown(totals.total)} Amount due`);
			}),
			{ numRuns: 8 },
		);
	});
});
