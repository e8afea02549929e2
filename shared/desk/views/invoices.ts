import { BillingError, ValidationError } from "../../core/errors.js";
import { type Invoice, invoiceSchema } from "../../core/model.js";
import { parsePeriod } from "../../core/period.js";
import { invoiceView } from "../../events/views.js";
import type { DocumentLinkConfig } from "../../platform/config.js";
import { signedDocumentUrl } from "../../platform/document-links.js";
import { listAuditEntries } from "../../store/audit.js";
import { dunningRecords } from "../../store/collections.js";
import { getDelivery } from "../../store/deliveries.js";
import { GSI1, GSI2, keys } from "../../store/keys.js";
import { type Page, queryPage } from "../../store/pages.js";
import { getInvoice, listInvoicesOfAccount, listLedgerEntries, parseRecord, type TableDeps } from "../../store/records.js";
import { invoiceActions } from "../allowed.js";
import type { Role } from "../roles.js";

/** An invoice as lists show it: its figures and what the caller may do with it, without its lines. */
export function invoiceSummary(invoice: Invoice, role: Role) {
	const { lines: _lines, billTo: _billTo, ...figures } = invoiceView(invoice);
	return { ...figures, allowedActions: invoiceActions(invoice, role) };
}

const STATUSES = ["open", "partially_paid", "paid", "void", "uncollectible"] as const;
export type InvoiceFilter = {
	readonly status?: string;
	readonly period?: string;
	readonly account?: string;
	readonly cursor?: string;
	readonly limit: number;
};

/**
 * Invoices of an account (all of them, a handful), of a period (its listing, a page at a
 * time) or still open (by due date, a page at a time); `status` narrows each. One of the
 * three is needed, so no request reads every invoice ever issued.
 */
export async function invoicesPage(deps: TableDeps, filter: InvoiceFilter, role: Role): Promise<Page<ReturnType<typeof invoiceSummary>>> {
	if (filter.status !== undefined && !(STATUSES as readonly string[]).includes(filter.status)) {
		throw new ValidationError(`status: one of ${STATUSES.join(", ")}`);
	}
	if (filter.period !== undefined) parsePeriod(filter.period);
	const wanted = (invoice: { status: string; period: string }) =>
		(filter.status === undefined || invoice.status === filter.status) && (filter.period === undefined || invoice.period === filter.period);
	if (filter.account !== undefined) {
		const invoices = (await listInvoicesOfAccount(deps, filter.account)).filter(wanted);
		return { items: invoices.sort((a, b) => b.number.localeCompare(a.number)).map((i) => invoiceSummary(i, role)) };
	}
	const page = filter.period
		? await queryPage(
				deps,
				{ IndexName: GSI1, KeyConditionExpression: "gsi1pk = :pk", ExpressionAttributeValues: { ":pk": `INVOICES#${filter.period}` } },
				pageOptions(filter, wanted),
			)
		: filter.status === "open" || filter.status === "partially_paid"
			? await queryPage(
					deps,
					{ IndexName: GSI2, KeyConditionExpression: "gsi2pk = :pk", ExpressionAttributeValues: { ":pk": "OPEN_INVOICES" } },
					pageOptions(filter, wanted),
				)
			: undefined;
	if (!page) throw new ValidationError("give a period, an account, or status open or partially_paid");
	return { ...page, items: page.items.map((item) => invoiceSummary(parseRecord(invoiceSchema, item), role)) };
}

function pageOptions(filter: InvoiceFilter, wanted: (invoice: { status: string; period: string }) => boolean) {
	return {
		limit: filter.limit,
		...(filter.cursor ? { cursor: filter.cursor } : {}),
		...(filter.status ? { keep: (item: Record<string, unknown>) => wanted(item as { status: string; period: string }) } : {}),
	};
}

/** The invoice with its lines, what moved its amount due (payments, credit memos, write-offs), its deliveries, dunning and audit trail. */
export async function invoiceDetail(deps: TableDeps, number: string, role: Role) {
	const invoice = await getInvoice(deps, number);
	if (!invoice) throw new BillingError(`no invoice ${number}`, 404);
	const [ledger, email, postal, dunning, audit] = await Promise.all([
		listLedgerEntries(deps, invoice.accountId),
		getDelivery(deps, keys.delivery(number, "email")),
		getDelivery(deps, keys.delivery(number, "postal")),
		dunningRecords(deps, number),
		listAuditEntries(deps, "invoice", number),
	]);
	const entries = ledger.filter((e) => e.invoiceNumber === number);
	return {
		invoice: invoiceView(invoice),
		// Cash applied to it, each payment named as its ledger reference begins (`stripe:pi_1 -> INV-…`); an application taken back is negative.
		payments: entries
			.filter((e) => e.type === "payment_applied" || e.type === "payment_unapplied")
			.map((e) => ({
				id: e.reference.split(" ")[0] ?? e.reference,
				amount: -e.amount,
				currency: e.currency,
				appliedAt: e.recordedAt,
				reference: e.reference,
			})),
		creditMemos: entries
			.filter((e) => e.type === "credit_memo")
			.map((e) => ({ number: e.reference, amount: -e.amount, currency: e.currency, issueDate: e.effectiveDate })),
		// Every attempt on each channel, oldest first: a resend keeps the ones before it.
		deliveries: [email, postal].flatMap((d) =>
			d
				? [...(d.attempts ?? []), d].map((a) => ({
						channel: d.channel,
						status: a.status,
						at: a.sentAt ?? a.at,
						...(a.recipient ? { to: a.recipient } : {}),
						...(a.reason ? { detail: a.reason } : {}),
					}))
				: [],
		),
		ledger: entries,
		dunning,
		audit,
		allowedActions: invoiceActions(invoice, role),
	};
}

/** How long the desk's link to a PDF works: long enough to open it, short enough that a copied link soon dies. */
const PDF_LINK_SECONDS = 300;

/** A short-lived link to the invoice's PDF: a browser cannot send the bearer token from an embedded viewer. */
export async function invoicePdfLink(deps: TableDeps & { readonly documentLinks: DocumentLinkConfig }, number: string, now: Date) {
	const invoice = await getInvoice(deps, number);
	if (!invoice) throw new BillingError(`no invoice ${number}`, 404);
	const expires = new Date((Math.floor(now.getTime() / 1000) + PDF_LINK_SECONDS) * 1000);
	return { url: await signedDocumentUrl(deps.documentLinks, invoice.pdfKey, expires), expiresAt: expires.toISOString() };
}
