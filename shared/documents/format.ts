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

/** Parts per million to a percentage: 100,000 → "10%", 82,500 → "8.25%", 88,750 → "8.875%". */
export function formatTaxRate(ppm: number): string {
	const sign = ppm < 0 ? "-" : "";
	const abs = Math.abs(Math.trunc(ppm));
	const whole = Math.trunc(abs / 10_000);
	const fraction = abs % 10_000;
	if (fraction === 0) return `${sign}${whole}%`;
	return `${sign}${whole}.${String(fraction).padStart(4, "0").replace(/0+$/, "")}%`;
}

/** 1234 → "1,234", "1234.5" → "1,234.5". */
export function formatQuantity(quantity: number | string): string {
	const [whole = "", fraction] = String(quantity).split(".");
	const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	return fraction === undefined ? grouped : `${grouped}.${fraction}`;
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
