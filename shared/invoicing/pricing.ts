import { ValidationError } from "../core/errors.js";
import type { Account, Charge, Discount, InvoiceLine, PaymentTerms, Subscription } from "../core/model.js";
import { divideRoundHalfUp, extendLine, taxPerLineHalfUp } from "../core/money.js";
import { type BillingPeriod, daysBetween } from "../core/period.js";
import { formatTaxRate } from "../documents/format.js";

/**
 * Prices one account's period. Every amount is integer minor units and every division
 * goes through a named rounding, so the invoice's totals are plain sums of its lines:
 * - recurring lines: quantity × unit price, prorated by day (prorateByDayHalfUp);
 * - usage: quantity × unit price, or graduated tiers (each tier's units × its price);
 * - discounts: their own negative lines, percent of the period's charges (percentOfHalfUp)
 *   or fixed, never more than what is left to discount;
 * - tax: per line at the account's rate, half-up (taxPerLineHalfUp); 0 when exempt.
 */

/** Standard rates of the jurisdictions the seller invoices, in parts per million (8.875% is 88,750). */
export const JURISDICTION_TAX_RATES: Readonly<Record<string, number>> = {
	"US-TX": 82_500,
	"US-NY": 88_750,
	"US-OR": 0,
	DE: 190_000,
	FR: 200_000,
	GB: 200_000,
	JP: 100_000,
	KW: 0,
};

const PAYMENT_TERMS: Readonly<Record<PaymentTerms, { days: number; label: string }>> = {
	due_on_receipt: { days: 0, label: "Due on receipt" },
	net_15: { days: 15, label: "Net 15" },
	net_30: { days: 30, label: "Net 30" },
	net_60: { days: 60, label: "Net 60" },
};

/** Rounding: amount × activeDays / periodDays, half-up to the minor unit. */
export function prorateByDayHalfUp(amount: number, activeDays: number, periodDays: number): number {
	return Number(divideRoundHalfUp(BigInt(amount) * BigInt(activeDays), BigInt(periodDays)));
}

/** Rounding: amount × basisPoints / 10,000, half-up to the minor unit. */
export function percentOfHalfUp(amount: number, basisPoints: number): number {
	return Number(divideRoundHalfUp(BigInt(amount) * BigInt(basisPoints), 10_000n));
}

export function taxRateFor(account: Account): number {
	if (account.taxExempt) return 0;
	if (account.jurisdiction === undefined) return account.taxRatePpm;
	const rate = JURISDICTION_TAX_RATES[account.jurisdiction];
	if (rate === undefined) throw new ValidationError(`account ${account.accountId}: no tax rate for jurisdiction ${account.jurisdiction}`);
	return rate;
}

export function paymentTermsDays(terms: PaymentTerms): number {
	return PAYMENT_TERMS[terms].days;
}

export function paymentTermsFor(account: Account): { days: number; label: string } {
	if (account.paymentTerms) return PAYMENT_TERMS[account.paymentTerms];
	const days = account.paymentTermsDays;
	return { days, label: days === 0 ? "Due on receipt" : `Net ${days}` };
}

export function taxNoteFor(account: Account): string | undefined {
	return account.taxExempt ? "Tax exempt customer: no tax charged." : undefined;
}

type UntaxedLine = Omit<InvoiceLine, "tax" | "taxRatePpm">;

/** `subscribed`: the account's subscriptions to catalog plans (shared/invoicing/catalog.ts), after the lines stored on the account. */
export function priceInvoiceLines(
	account: Account,
	charges: readonly Charge[],
	period: BillingPeriod,
	subscribed: readonly Subscription[] = [],
): InvoiceLine[] {
	const subscriptions: Subscription[] = [...(account.plan ? [account.plan] : []), ...(account.subscriptions ?? []), ...subscribed];
	// A closed account's recurring lines end on its closing day (closed without one: ended before any period).
	const closedOn = account.status === "closed" ? (account.closedOn ?? "0000-01-01") : undefined;
	const lines: UntaxedLine[] = subscriptions.flatMap((s) =>
		recurringLine(closedOn && (!s.endDate || s.endDate > closedOn) ? { ...s, endDate: closedOn } : s, period),
	);
	for (const charge of [...charges].sort((a, b) => a.chargeId.localeCompare(b.chargeId))) {
		lines.push(...chargeLines(charge));
	}
	lines.push(...discountLines(account.discounts ?? [], lines, period.period));
	const rate = taxRateFor(account);
	return lines.map((line) => ({ ...line, taxRatePpm: rate, tax: taxPerLineHalfUp(line.amount, rate) }));
}

function recurringLine(subscription: Subscription, period: BillingPeriod): UntaxedLine[] {
	const from = maxDate(subscription.startDate ?? period.periodStart, period.periodStart);
	const to = minDate(subscription.endDate ?? period.periodEnd, period.periodEnd);
	if (from > to) return [];
	const full = extendLine(subscription.unitAmount, subscription.quantity);
	const periodDays = daysBetween(period.periodStart, period.periodEnd) + 1;
	const activeDays = daysBetween(from, to) + 1;
	const prorated = activeDays < periodDays;
	return [
		{
			description: `${subscription.description} (${from} to ${to}${prorated ? `, ${activeDays} of ${periodDays} days` : ""})`,
			quantity: subscription.quantity,
			unitAmount: subscription.unitAmount,
			amount: prorated ? prorateByDayHalfUp(full, activeDays, periodDays) : full,
			kind: "plan",
		},
	];
}

function chargeLines(charge: Charge): UntaxedLine[] {
	const kind = charge.kind ?? "usage";
	if (!charge.tiers || charge.tiers.length === 0) {
		return [
			{
				description: charge.description,
				quantity: charge.quantity,
				unitAmount: charge.unitAmount,
				amount: extendLine(charge.unitAmount, charge.quantity),
				kind,
			},
		];
	}
	assertTiersInOrder(charge);
	const quantity = charge.quantity;
	if (typeof quantity !== "number")
		throw new ValidationError(`charge ${charge.chargeId}: tiered usage is counted in whole units, not ${quantity}`);
	const lines: UntaxedLine[] = [];
	let below = 0;
	for (const tier of charge.tiers) {
		const upTo = tier.upTo ?? Number.POSITIVE_INFINITY;
		const units = Math.min(quantity, upTo) - below;
		if (units > 0) {
			const range = tier.upTo === undefined ? `${below + 1} and above` : `${below + 1} to ${tier.upTo}`;
			lines.push({
				description: `${charge.description}, units ${range}`,
				quantity: units,
				unitAmount: tier.unitAmount,
				amount: extendLine(tier.unitAmount, units),
				kind,
			});
		}
		if (tier.upTo === undefined || quantity <= tier.upTo) return lines;
		below = tier.upTo;
	}
	throw new ValidationError(`charge ${charge.chargeId}: quantity ${charge.quantity} exceeds its last tier`);
}

/** Graduated tiers bill correctly only in ascending order of their bounds, with the open-ended tier last. */
function assertTiersInOrder(charge: Charge): void {
	const tiers = charge.tiers ?? [];
	for (const [i, tier] of tiers.entries()) {
		const previous = tiers[i - 1];
		if (previous && (previous.upTo === undefined || (tier.upTo !== undefined && tier.upTo <= previous.upTo))) {
			throw new ValidationError(
				`charge ${charge.chargeId}: tier ${i + 1} (${tier.upTo === undefined ? "no upper bound" : `up to ${tier.upTo}`}) must come after tier ${i} (${previous.upTo === undefined ? "no upper bound" : `up to ${previous.upTo}`}): tiers go in ascending order, the one without an upper bound last`,
			);
		}
	}
}

/** Months from `first` to `period` (both YYYY-MM): 0 when equal. */
function periodIndex(first: string, period: string): number {
	const [fy, fm] = first.split("-").map(Number) as [number, number];
	const [py, pm] = period.split("-").map(Number) as [number, number];
	return (py - fy) * 12 + (pm - fm);
}

function discountLines(discounts: readonly Discount[], charged: readonly UntaxedLine[], period: string): UntaxedLine[] {
	const base = charged.reduce((acc, l) => acc + l.amount, 0);
	let left = base;
	const lines: UntaxedLine[] = [];
	for (const discount of discounts) {
		const index = periodIndex(discount.firstPeriod, period);
		if (index < 0 || (discount.periods !== undefined && index >= discount.periods) || left <= 0) continue;
		const wanted = discount.kind === "percent" ? percentOfHalfUp(base, discount.basisPoints) : discount.amount;
		const amount = Math.min(wanted, left);
		if (amount <= 0) continue;
		left -= amount;
		const label = discount.kind === "percent" ? `${formatTaxRate(discount.basisPoints * 100)} off` : "fixed";
		const span = discount.periods === undefined ? "" : `, period ${index + 1} of ${discount.periods}`;
		lines.push({
			description: `Discount ${discount.code}: ${discount.description} (${label}${span})`,
			quantity: 1,
			unitAmount: -amount,
			amount: -amount,
			kind: "discount",
		});
	}
	return lines;
}

function maxDate(a: string, b: string): string {
	return a > b ? a : b;
}

function minDate(a: string, b: string): string {
	return a < b ? a : b;
}
