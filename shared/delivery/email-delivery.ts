import type { S3Client } from "@aws-sdk/client-s3";
import type { SESClient } from "@aws-sdk/client-ses";
import { undeliverableMark } from "../documents/email-address.js";
import { composeInvoiceEmail, composeStatementEmail, type DownloadLink } from "../documents/invoice-email.js";
import { describeFindings, ensureEinvoice, type IssuedEinvoice } from "../einvoicing/issue.js";
import type { DocumentLinkConfig, DocumentRetention, SellerConfig } from "../platform/config.js";
import { signedDocumentUrl } from "../platform/document-links.js";
import { readObjectBytes } from "../platform/s3-objects.js";
import { type DeliveryKey, markDeliveryFailed } from "../store/deliveries.js";
import { keys } from "../store/keys.js";
import type { TableDeps } from "../store/records.js";
import { DeliveryContext, type DeliveryStatus } from "./delivery-context.js";
import { type DeliveryOutcome, deliverDocuments, type Job, type Outcome, type RecordFailure } from "./delivery-rounds.js";
import type { SendingPace } from "./sending-pace.js";

export { DeliveryContext } from "./delivery-context.js";

export interface DeliveryDeps extends TableDeps {
	readonly s3: S3Client;
	readonly ses: SESClient;
	readonly bucketName: string;
	readonly seller: SellerConfig;
	/** Where the invoice email's download link points and the key it is signed with. */
	readonly documentLinks: DocumentLinkConfig;
	/** The Object Lock retention an e-invoice stored beside its PDF gets, as the PDF got. */
	readonly documentRetention?: DocumentRetention;
	/** This delivery's share of the SES sending rate (sending-pace.ts); without one, sends go at once. */
	readonly pace?: SendingPace;
}

export type { DeliveryOutcome } from "./delivery-rounds.js";

export interface BatchDeliveryResult {
	readonly emailed: number;
	readonly alreadyDelivered: number;
	readonly queuedForPrint: number;
	readonly failed: number;
	/** Not delivered because the rules refused the document's e-invoice (DESIGN.md section 13). */
	readonly einvoicesRefused: number;
}

/** The invoice email promises its download link for this many days after the day it is sent. */
export const INVOICE_LINK_DAYS = 7;

const DAY_MS = 24 * 3600 * 1000;

/**
 * The promise and the expiry from one calculation: the link works through the whole UTC day
 * INVOICE_LINK_DAYS after `now` (the day the email names) and expires at its end, the next
 * day's 00:00:00Z, from which CloudFront refuses it.
 */
export function invoiceLinkExpiry(now: Date): { readonly lastDay: string; readonly expires: Date } {
	const lastDay = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + INVOICE_LINK_DAYS);
	return { lastDay: new Date(lastDay).toISOString().slice(0, 10), expires: new Date(lastDay + DAY_MS) };
}

/** A signed link to the invoice's PDF (shared/platform/document-links.ts) and the last day it works. */
export async function invoiceDownloadLink(deps: Pick<DeliveryDeps, "documentLinks">, key: string, now = new Date()): Promise<DownloadLink> {
	const { lastDay, expires } = invoiceLinkExpiry(now);
	return { url: await signedDocumentUrl(deps.documentLinks, key, expires), lastDay };
}

/**
 * The key of the PDF the invoice email's download link serves: the one it attaches, so for a
 * Factur-X account the PDF with the CII embedded, which replaces the plain one.
 */
export function emailedPdfKey(pdfKey: string, einvoice: IssuedEinvoice | undefined): string {
	return einvoice?.status === "stored" && einvoice.facturx ? einvoice.facturx.key : pdfKey;
}

/** The PDF and e-invoice an invoice email carries: the plain PDF and the UBL beside it, or the Factur-X PDF alone. */
export function einvoiceAttachments(pdf: Uint8Array, einvoice: IssuedEinvoice | undefined) {
	if (einvoice?.status !== "stored") return { pdf };
	return einvoice.facturx
		? { pdf: einvoice.facturx.pdf, einvoice: { embedded: true as const } }
		: { pdf, einvoice: { attached: einvoice.xml } };
}

/** Why the invoice's e-invoice was refused, as a failure and the worklist say it. */
export function einvoiceRefusal(issued: Extract<IssuedEinvoice, { status: "refused" }>): string {
	return `its ${issued.profile} e-invoice is refused by the rules: ${describeFindings(issued.findings)}`;
}

/**
 * The invoice's delivery on its account's channel, with the account's statement for the
 * period when it is not delivered yet, and its e-invoice when the account needs one.
 */
function invoiceJob(deps: DeliveryDeps, read: DeliveryContext, invoiceNumber: string): Job {
	return {
		accountId: accountOf(read, invoiceNumber),
		label: `invoice ${invoiceNumber}`,
		document: () => {
			const invoice = read.invoice(invoiceNumber);
			if (!invoice) throw new Error(`invoice ${invoiceNumber} does not exist`);
			const channel = read.account(invoice.accountId)?.delivery ?? "email";
			const statementKey = keys.statementDelivery(invoice.accountId, invoice.period, channel);
			const statement = read.statement(invoice.accountId, invoice.period);
			const account = read.account(invoice.accountId);
			const mark = undeliverableMark(account, invoice.billTo.email);
			let einvoice: IssuedEinvoice | undefined;
			return {
				kind: "invoice",
				accountId: invoice.accountId,
				label: `invoice ${invoiceNumber}`,
				period: invoice.period,
				channel,
				recipient: invoice.billTo.email,
				...(mark ? { undeliverable: mark } : {}),
				deliveryKey: keys.delivery(invoiceNumber, channel),
				...(account?.einvoice
					? {
							einvoice: async () => {
								einvoice = await ensureEinvoice(deps, { document: "invoice", invoice }, account);
								return einvoice?.status === "refused" ? einvoiceRefusal(einvoice) : undefined;
							},
						}
					: {}),
				compose: async () => {
					// The statement goes along unless it was delivered on this channel already.
					const attach = statement && !read.status(statementKey) ? statement : undefined;
					const [pdf, statementPdf, download] = await Promise.all([
						readObjectBytes(deps.s3, deps.bucketName, invoice.pdfKey),
						attach ? readObjectBytes(deps.s3, deps.bucketName, attach.pdfKey) : undefined,
						invoiceDownloadLink(deps, emailedPdfKey(invoice.pdfKey, einvoice)),
					]);
					const attachment = statementPdf ? { accountId: invoice.accountId, period: invoice.period, pdf: statementPdf } : undefined;
					const email = await composeInvoiceEmail({
						invoice,
						seller: deps.seller,
						...einvoiceAttachments(pdf, einvoice),
						download,
						statement: attachment,
					});
					return { email, attached: attachment ? [statementKey] : [] };
				},
				// The statement would have gone with the invoice: its own email would fail the same way, so it is not tried.
				onBadAddress: async (reason) => {
					if (statement && (await markDeliveryFailed(deps, statementKey, reason, true))) read.wrote(statementKey, "failed");
				},
			};
		},
	};
}

/** The account's statement for the period on its channel, unless an invoice email already carried it. */
function statementJob(deps: DeliveryDeps, read: DeliveryContext, accountId: string, period: string): Job {
	return {
		accountId,
		label: `statement ${period}`,
		document: () => {
			const statement = read.statement(accountId, period);
			if (!statement) return "no_statement";
			const account = read.account(accountId);
			const channel = account?.delivery ?? "email";
			const mark = undeliverableMark(account, statement.billTo.email);
			return {
				kind: "statement",
				accountId,
				label: `statement ${period}`,
				period,
				channel,
				recipient: statement.billTo.email,
				...(mark ? { undeliverable: mark } : {}),
				deliveryKey: keys.statementDelivery(accountId, period, channel),
				compose: async () => {
					const pdf = await readObjectBytes(deps.s3, deps.bucketName, statement.pdfKey);
					return { email: await composeStatementEmail({ statement, seller: deps.seller, pdf }), attached: [] };
				},
			};
		},
	};
}

/**
 * Delivers an invoice at most once per channel: the delivery record is claimed with a
 * conditional write before SES is called, so a retried batch never emails twice. The
 * account's statement for the period, when issued and not yet delivered, is attached and
 * claimed in the same transaction.
 */
export async function deliverInvoice(
	deps: DeliveryDeps,
	invoiceNumber: string,
	recordFailure: RecordFailure,
	context?: DeliveryContext,
): Promise<DeliveryOutcome> {
	const read = context ?? (await DeliveryContext.read(deps, [invoiceNumber]));
	const [outcome] = await deliverDocuments(deps, read, [invoiceJob(deps, read, invoiceNumber)], recordFailure, "throw");
	return outcome as DeliveryOutcome;
}

export interface BatchInvoiceDeliveryResult extends BatchDeliveryResult {
	/** The batch's invoices whose email delivery is sent, now or before. */
	readonly invoiceEmailsSent: number;
	/** The batch's invoices queued for the print batch, now or before. */
	readonly postalInvoices: number;
}

function tally(outcomes: readonly Outcome[]): BatchDeliveryResult {
	const count = (outcome: DeliveryOutcome) => outcomes.filter((o) => o === outcome).length;
	return {
		emailed: count("emailed"),
		alreadyDelivered: count("already_delivered"),
		queuedForPrint: count("queued_for_print"),
		failed: count("failed"),
		einvoicesRefused: count("einvoice_refused"),
	};
}

/**
 * The batch's invoices. One invoice that cannot be delivered is recorded and the batch goes
 * on; transient faults propagate so the state machine retries the batch.
 */
export async function deliverInvoicesForBatch(
	deps: DeliveryDeps,
	invoiceNumbers: readonly string[],
	recordFailure: RecordFailure,
	context?: DeliveryContext,
): Promise<BatchInvoiceDeliveryResult> {
	const read = context ?? (await DeliveryContext.read(deps, invoiceNumbers));
	const outcomes = await deliverDocuments(
		deps,
		read,
		invoiceNumbers.map((number) => invoiceJob(deps, read, number)),
		recordFailure,
	);
	let invoiceEmailsSent = 0;
	let postalInvoices = 0;
	for (const number of new Set(invoiceNumbers)) {
		if (statusOf(read, keys.delivery(number, "email")) === "sent") invoiceEmailsSent += 1;
		if (statusOf(read, keys.delivery(number, "postal"))) postalInvoices += 1;
	}
	return { ...tally(outcomes), invoiceEmailsSent, postalInvoices };
}

function accountOf(read: DeliveryContext, number: string): string {
	try {
		return read.invoice(number)?.accountId ?? "(unknown)";
	} catch {
		return "(unknown)";
	}
}

/** An unreadable delivery record counts as none. */
function statusOf(read: DeliveryContext, key: DeliveryKey): DeliveryStatus | undefined {
	try {
		return read.status(key);
	} catch {
		return undefined;
	}
}

/**
 * The statements of a batch's accounts, after its invoices: those already attached to an
 * invoice email count as already delivered, the others go out on their own.
 */
export async function deliverStatementsForBatch(
	deps: DeliveryDeps,
	accountIds: readonly string[],
	period: string,
	recordFailure: RecordFailure,
	context?: DeliveryContext,
): Promise<BatchDeliveryResult> {
	const read = context ?? (await DeliveryContext.read(deps, [], accountIds, period));
	return tally(
		await deliverDocuments(
			deps,
			read,
			accountIds.map((accountId) => statementJob(deps, read, accountId, period)),
			recordFailure,
		),
	);
}
