import { BillingError, ValidationError } from "../core/errors.js";
import type { Invoice, InvoiceLine } from "../core/model.js";
import { extendLine, parseMajorUnits, taxPerLineHalfUp } from "../core/money.js";
import { parseIsoDate } from "../core/period.js";
import { getAccount } from "../store/records.js";
import { finalizeInvoice, type InvoicingDeps, inSeriesOrder, invoiceSeriesOf, invoiceTotals, storeNewInvoicePdf } from "./invoices.js";
import { taxRateFor } from "./pricing.js";

export interface OneOffLine {
	readonly description: string;
	/** Whole units. */
	readonly quantity: number;
	/** In the account currency's major unit, as written: "12.50". */
	readonly unitPrice: string;
}

const MAX_ATTEMPTS = 10;

function pricedLines(lines: readonly OneOffLine[], currency: string, rate: number): InvoiceLine[] {
	return lines.map((line, i) => {
		const where = `line ${i + 1}`;
		if (line.description.trim() === "") throw new ValidationError(`${where}: description: empty`);
		if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) {
			throw new ValidationError(`${where}: quantity: must be a whole number above 0`);
		}
		let unitAmount: number;
		try {
			unitAmount = parseMajorUnits(line.unitPrice, currency);
		} catch (err) {
			throw new ValidationError(`${where}: unit price: ${(err as Error).message}`);
		}
		const amount = extendLine(unitAmount, line.quantity);
		return {
			description: line.description.trim(),
			quantity: line.quantity,
			unitAmount,
			amount,
			kind: "one_time",
			taxRatePpm: rate,
			tax: taxPerLineHalfUp(amount, rate),
		};
	});
}

/**
 * An invoice issued by hand (a setup fee, a correction), in the same series as the cycle's,
 * taxed like them, consuming account credit like them, listed under its account beside the
 * period's invoice. Every line is checked before anything is written.
 */
export async function issueOneOffInvoice(
	deps: InvoicingDeps,
	accountId: string,
	lines: readonly OneOffLine[],
	issueDate: string,
): Promise<Invoice> {
	parseIsoDate(issueDate, "issue date");
	if (lines.length === 0) throw new ValidationError("a one-off invoice needs at least one line");
	const period = issueDate.slice(0, 7);
	const [year, month] = period.split("-").map(Number) as [number, number];
	const periodEnd = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
	const billing = { period, periodStart: `${period}-01`, periodEnd, asOf: issueDate };
	for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		const account = await getAccount(deps, accountId);
		if (!account) throw new BillingError(`no account ${accountId}`, 404);
		const priced = pricedLines(lines, account.currency, taxRateFor(account));
		const totals = invoiceTotals(priced);
		if (totals.total <= 0) throw new ValidationError("a one-off invoice must come to more than nothing");
		const series = invoiceSeriesOf(deps, billing);
		const invoice = await inSeriesOrder(series, () => finalizeInvoice(deps, account, billing, series, priced, totals, { oneOff: true }));
		// "restart": the account changed while it was read (a payment landed): price it again on what is stored.
		if (invoice === "restart") continue;
		await storeNewInvoicePdf(deps, invoice);
		return invoice;
	}
	throw new BillingError(`account ${accountId} kept changing; try again`, 409);
}
