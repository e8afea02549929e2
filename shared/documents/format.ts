import type { Invoice } from "../core/model.js";
import { formatMoney } from "../core/money.js";

/** Shared wording for the invoice PDF and the emails, so both say the same thing. */

/** "2026-11" → "2026-11-01 to 2026-11-30". */
export function formatBillingPeriod(period: string): string {
	const match = /^(\d{4})-(\d{2})$/.exec(period);
	if (!match) return period;
	const year = Number(match[1]);
	const month = Number(match[2]);
	const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
	return `${period}-01 to ${period}-${String(lastDay).padStart(2, "0")}`;
}

/** Basis points to a percentage: 1000 → "10%", 825 → "8.25%", 1050 → "10.5%". */
export function formatTaxRate(basisPoints: number): string {
	const sign = basisPoints < 0 ? "-" : "";
	const abs = Math.abs(Math.trunc(basisPoints));
	const whole = Math.trunc(abs / 100);
	const fraction = abs % 100;
	if (fraction === 0) return `${sign}${whole}%`;
	return `${sign}${whole}.${String(fraction).padStart(2, "0").replace(/0$/, "")}%`;
}

/** 1234 → "1,234". */
export function formatQuantity(quantity: number): string {
	const sign = quantity < 0 ? "-" : "";
	return `${sign}${String(Math.abs(quantity)).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`;
}

export function invoiceMoney(invoice: Invoice, amount: number): string {
	return formatMoney({ amount, currency: invoice.currency });
}

export function quoteLine(invoice: Invoice): string {
	return `Please quote ${invoice.number} with your payment.`;
}

export function pluralDays(days: number): string {
	return `${days} ${Math.abs(days) === 1 ? "day" : "days"}`;
}
