import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SESClient } from "@aws-sdk/client-ses";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { TransientError } from "../core/errors.js";
import { isDeliverableEmailAddress } from "../documents/email-address.js";
import { composeInvoiceEmail, composeStatementEmail, type StatementAttachment } from "../documents/invoice-email.js";
import type { SellerConfig } from "../platform/config.js";
import { type RawEmail, sendRawEmail } from "../platform/mail.js";
import { readObjectBytes } from "../platform/s3-objects.js";
import {
	claimDeliveries,
	type DeliveryKey,
	getDelivery,
	markDeliveryFailed,
	markSent,
	queueForPrint,
	releaseClaim,
} from "../store/deliveries.js";
import { keys } from "../store/keys.js";
import { getAccount, getInvoice, type TableDeps } from "../store/records.js";
import { getStatement } from "../store/statements.js";
import { isCancelled, isConditionFailure } from "../store/transact.js";

export interface DeliveryDeps extends TableDeps {
	readonly s3: S3Client;
	readonly ses: SESClient;
	readonly bucketName: string;
	readonly seller: SellerConfig;
}

export type DeliveryOutcome = "emailed" | "already_delivered" | "queued_for_print" | "failed";

export interface BatchDeliveryResult {
	readonly emailed: number;
	readonly alreadyDelivered: number;
	readonly queuedForPrint: number;
	readonly failed: number;
}

/** SES answers these for a bad recipient or sender: the address is at fault, retrying will not help. */
const PERMANENT_SES_ERRORS = new Set(["MessageRejected", "MailFromDomainNotVerifiedException", "InvalidParameterValue"]);

/** SigV4 presigned URLs live at most 7 days; the invoice email's link uses all of it. */
export const INVOICE_LINK_TTL_SECONDS = 7 * 24 * 3600;

export async function invoiceDownloadLink(deps: DeliveryDeps, key: string): Promise<{ url: string; expiresAt: string }> {
	const url = await getSignedUrl(deps.s3, new GetObjectCommand({ Bucket: deps.bucketName, Key: key }), {
		expiresIn: INVOICE_LINK_TTL_SECONDS,
	});
	return { url, expiresAt: new Date(Date.now() + INVOICE_LINK_TTL_SECONDS * 1000).toISOString().slice(0, 10) };
}

/** What a document's delivery does before and after the send, and what its failure says. */
interface Document {
	readonly accountId: string;
	/** "invoice INV-2026-000001", "statement 2026-10": how failures name it. */
	readonly label: string;
	readonly period: string;
	readonly recipient: string;
	readonly deliveryKey: DeliveryKey;
	/** The email, and the delivery records of what it carries besides the document (claimed with it). */
	readonly compose: () => Promise<{ readonly email: RawEmail; readonly attached: readonly DeliveryKey[] }>;
}

/**
 * The channel's part of delivering a document once: already delivered (or failed) stays
 * so, postal goes into the print batch, an undeliverable address is recorded as failed,
 * and an email is claimed, sent, then marked sent; SES's permanent rejections are
 * recorded, anything else releases the claims and is retried by the state machine.
 */
async function deliverOnce(
	deps: DeliveryDeps,
	channel: string,
	document: Document,
	recordFailure: (accountId: string, reason: string) => Promise<void>,
	onBadAddress: (reason: string) => Promise<void> = async () => {},
): Promise<DeliveryOutcome> {
	const { deliveryKey } = document;
	const existing = await getDelivery(deps, deliveryKey);
	if (existing) return existing.status === "failed" ? "failed" : "already_delivered";
	if (channel === "postal") {
		await queueForPrint(deps, deliveryKey, document.period);
		return "queued_for_print";
	}
	if (!isDeliverableEmailAddress(document.recipient)) {
		const reason = `invalid email address ${JSON.stringify(document.recipient)}`;
		await markDeliveryFailed(deps, deliveryKey, reason, true);
		await onBadAddress(reason);
		await recordFailure(document.accountId, `${document.label} not delivered: ${reason}`);
		return "failed";
	}
	// Everything that can fail before sending happens before the claim, so a failure here leaves the document deliverable.
	const { email, attached } = await document.compose();
	const claims = [deliveryKey, ...attached];
	try {
		if ((await claimDeliveries(deps, claims, document.recipient, document.period)) === "already_claimed") return "already_delivered";
	} catch (err) {
		if (!isCancelled(err)) throw err;
		// An attachment went out meanwhile on its own: the retry reads that and sends the document without it.
		throw new TransientError(`claiming delivery of ${document.label} failed: ${(err as Error).message}`, { cause: err });
	}
	try {
		const messageId = await sendRawEmail(deps.ses, deps.seller.email, email);
		for (const key of claims) await markSent(deps, key, messageId);
		return "emailed";
	} catch (err) {
		const name = (err as { name?: string }).name ?? "Error";
		if (PERMANENT_SES_ERRORS.has(name)) {
			const reason = `SES rejected ${document.recipient}: ${(err as Error).message}`;
			for (const key of claims) await markDeliveryFailed(deps, key, reason, false);
			await recordFailure(document.accountId, `${document.label} not delivered: ${reason}`);
			return "failed";
		}
		// Nothing was sent: release the claims so the state machine's retry can send it.
		for (const key of claims) await releaseClaim(deps, key);
		throw new TransientError(`sending ${document.label} failed: ${(err as Error).message}`, { cause: err });
	}
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
	recordFailure: (accountId: string, reason: string) => Promise<void>,
): Promise<DeliveryOutcome> {
	const invoice = await getInvoice(deps, invoiceNumber);
	if (!invoice) throw new Error(`invoice ${invoiceNumber} does not exist`);
	const account = await getAccount(deps, invoice.accountId);
	const channel = account?.delivery ?? "email";
	const statementKey = keys.statementDelivery(invoice.accountId, invoice.period, channel);
	return deliverOnce(
		deps,
		channel,
		{
			accountId: invoice.accountId,
			label: `invoice ${invoiceNumber}`,
			period: invoice.period,
			recipient: invoice.billTo.email,
			deliveryKey: keys.delivery(invoiceNumber, channel),
			compose: async () => {
				const pdf = await readObjectBytes(deps.s3, deps.bucketName, invoice.pdfKey);
				const statement = await undeliveredStatement(deps, invoice.accountId, invoice.period, channel);
				const download = await invoiceDownloadLink(deps, invoice.pdfKey);
				const email = await composeInvoiceEmail({ invoice, seller: deps.seller, pdf, download, statement });
				return { email, attached: statement ? [statementKey] : [] };
			},
		},
		recordFailure,
		// The statement would have gone with the invoice: its own email would fail the same way, so it is not tried.
		async (reason) => {
			if (!(await getStatement(deps, invoice.accountId, invoice.period))) return;
			await markDeliveryFailed(deps, statementKey, reason, true).catch((err: unknown) => {
				if (!isConditionFailure(err)) throw err;
			});
		},
	);
}

/** The account's statement for the period with its PDF, unless it was already delivered on this channel. */
async function undeliveredStatement(
	deps: DeliveryDeps,
	accountId: string,
	period: string,
	channel: string,
): Promise<StatementAttachment | undefined> {
	const statement = await getStatement(deps, accountId, period);
	if (!statement) return undefined;
	if (await getDelivery(deps, keys.statementDelivery(accountId, period, channel))) return undefined;
	return { accountId, period, pdf: await readObjectBytes(deps.s3, deps.bucketName, statement.pdfKey) };
}

/**
 * Delivers the account's statement for the period unless an invoice email already carried
 * it: its own email, or the print batch for a postal account. At most once per account,
 * period and channel, claimed like an invoice delivery.
 */
export async function deliverStatement(
	deps: DeliveryDeps,
	accountId: string,
	period: string,
	recordFailure: (accountId: string, reason: string) => Promise<void>,
): Promise<DeliveryOutcome | "no_statement"> {
	const statement = await getStatement(deps, accountId, period);
	if (!statement) return "no_statement";
	const account = await getAccount(deps, accountId);
	const channel = account?.delivery ?? "email";
	return deliverOnce(
		deps,
		channel,
		{
			accountId,
			label: `statement ${period}`,
			period,
			recipient: statement.billTo.email,
			deliveryKey: keys.statementDelivery(accountId, period, channel),
			compose: async () => {
				const pdf = await readObjectBytes(deps.s3, deps.bucketName, statement.pdfKey);
				return { email: await composeStatementEmail({ statement, seller: deps.seller, pdf }), attached: [] };
			},
		},
		recordFailure,
	);
}

export async function deliverInvoicesForBatch(
	deps: DeliveryDeps,
	invoiceNumbers: readonly string[],
	recordFailure: (accountId: string, reason: string) => Promise<void>,
): Promise<BatchDeliveryResult> {
	const result = { emailed: 0, alreadyDelivered: 0, queuedForPrint: 0, failed: 0 };
	for (const number of invoiceNumbers) {
		const outcome = await deliverInvoice(deps, number, recordFailure).catch(async (err: unknown): Promise<DeliveryOutcome> => {
			// One invoice that cannot be delivered is recorded; the batch goes on. Transient faults retry the batch.
			if (err instanceof TransientError) throw err;
			const invoice = await getInvoice(deps, number);
			await recordFailure(invoice?.accountId ?? "(unknown)", `invoice ${number} not delivered: ${(err as Error).message}`);
			return "failed";
		});
		if (outcome === "emailed") result.emailed += 1;
		else if (outcome === "already_delivered") result.alreadyDelivered += 1;
		else if (outcome === "queued_for_print") result.queuedForPrint += 1;
		else result.failed += 1;
	}
	return result;
}

/**
 * The statements of a batch's accounts, after its invoices: those already attached to an
 * invoice email count as already delivered, the others go out on their own.
 */
export async function deliverStatementsForBatch(
	deps: DeliveryDeps,
	accountIds: readonly string[],
	period: string,
	recordFailure: (accountId: string, reason: string) => Promise<void>,
): Promise<BatchDeliveryResult> {
	const result = { emailed: 0, alreadyDelivered: 0, queuedForPrint: 0, failed: 0 };
	for (const accountId of accountIds) {
		const outcome = await deliverStatement(deps, accountId, period, recordFailure).catch(async (err: unknown): Promise<DeliveryOutcome> => {
			if (err instanceof TransientError) throw err;
			await recordFailure(accountId, `statement ${period} not delivered: ${(err as Error).message}`);
			return "failed";
		});
		if (outcome === "emailed") result.emailed += 1;
		else if (outcome === "already_delivered") result.alreadyDelivered += 1;
		else if (outcome === "queued_for_print") result.queuedForPrint += 1;
		else if (outcome === "failed") result.failed += 1;
	}
	return result;
}
