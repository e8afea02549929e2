import { BillingError } from "../core/errors.js";
import type { Invoice } from "../core/model.js";
import { resolveBillingPeriod } from "../core/period.js";
import { getAccount, getInvoice, getInvoiceNumberForPeriod } from "../store/records.js";
import { priceAccountPeriod } from "./catalog.js";
import { finalizeInvoice, type InvoicingDeps, inSeriesOrder, invoiceTotals, storeNewInvoicePdf } from "./invoices.js";

const MAX_ATTEMPTS = 10;

/**
 * After a void, the corrected invoice for the same account and period, priced from the
 * account's data and the period's charges as they are now, under a new number; it takes the
 * period's place and the void one stays listed, marked with its correction. Refused for an
 * invoice that is not void, was re-issued already, or was a one-off.
 */
export async function reissueInvoice(deps: InvoicingDeps, number: string, asOf: string): Promise<Invoice> {
	for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		const voided = await getInvoice(deps, number);
		if (!voided) throw new BillingError(`no invoice ${number}`, 404);
		const refuse = (why: string) => new BillingError(`invoice ${number} cannot be re-issued: ${why}`, 409);
		if (voided.status !== "void") throw refuse(`it is ${voided.status}, not void; void it first`);
		if (voided.reissuedAs) throw refuse(`it was re-issued already as ${voided.reissuedAs}`);
		if (voided.oneOff) throw refuse("it was a one-off invoice; issue a new one-off instead");
		if ((await getInvoiceNumberForPeriod(deps, voided.accountId, voided.period)) !== number) {
			throw refuse(`it is no longer ${voided.accountId}'s invoice for ${voided.period}`);
		}
		const account = await getAccount(deps, voided.accountId);
		if (!account) throw new BillingError(`account ${voided.accountId} of invoice ${number} does not exist`, 404);
		const billing = resolveBillingPeriod({ period: voided.period, asOf }, new Date(`${asOf}T00:00:00Z`));
		const lines = await priceAccountPeriod(deps, account, billing);
		const totals = invoiceTotals(lines);
		if (lines.length === 0 || totals.total <= 0) throw refuse(`nothing is billable for ${voided.period} on the account as it is now`);
		const series = `${deps.seller.invoiceSeriesPrefix}-${asOf.slice(0, 4)}`;
		const correction = await inSeriesOrder(series, () =>
			finalizeInvoice(deps, account, billing, series, lines, totals, { replaces: voided }),
		);
		// "restart": the account or the period's invoice changed meanwhile: look again.
		if (correction === "restart") continue;
		await storeNewInvoicePdf(deps, correction);
		return correction;
	}
	throw new BillingError(`invoice ${number} kept changing; try again`, 409);
}
