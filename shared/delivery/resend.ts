import { BillingError, ValidationError } from "../core/errors.js";
import { isDeliverableEmailAddress, undeliverableMark, undeliverableReason } from "../documents/email-address.js";
import { composeInvoiceEmail } from "../documents/invoice-email.js";
import { ensureEinvoice } from "../einvoicing/issue.js";
import { sendRawEmail } from "../platform/mail.js";
import { readObjectBytes } from "../platform/s3-objects.js";
import { deliveryResent, getDelivery, markDeliveryFailed, markSent, resendAudit } from "../store/deliveries.js";
import { keys } from "../store/keys.js";
import { getAccount, getInvoice } from "../store/records.js";
import { getStatement } from "../store/statements.js";
import { isCancelled, transactWrite } from "../store/transact.js";
import { type DeliveryDeps, einvoiceAttachments, einvoiceRefusal, emailedPdfKey, invoiceDownloadLink } from "./email-delivery.js";

export interface ResendResult {
	readonly invoiceNumber: string;
	readonly recipient: string;
	readonly outcome: "emailed" | "failed";
	readonly withStatement: boolean;
	/** Attempts on the invoice's delivery record before this one. */
	readonly earlierAttempts: number;
	readonly reason?: string;
}

/**
 * Sends an invoice again by email, with the account's statement for its period when there
 * is one, to the account's address as it is now (corrected since, perhaps): e.g. after a
 * delivery whose outcome was unknown was checked, or a customer who says it never came.
 * The delivery records keep every attempt; the audit entry says who asked and why. An
 * account that needs an e-invoice gets the one stored before, else one made now from the
 * account as it is (corrected since a refusal, perhaps); refused again, nothing is sent.
 */
export async function resendInvoice(
	deps: DeliveryDeps & { readonly actor: string },
	invoiceNumber: string,
	reason: string,
): Promise<ResendResult> {
	const invoice = await getInvoice(deps, invoiceNumber);
	if (!invoice) throw new BillingError(`no invoice ${invoiceNumber}`, 404);
	if (invoice.status === "void") throw new BillingError(`invoice ${invoiceNumber} is void; send its re-issue instead`, 409);
	const account = await getAccount(deps, invoice.accountId);
	const recipient = account?.email ?? "";
	if (!isDeliverableEmailAddress(recipient)) {
		throw new ValidationError(
			`account ${invoice.accountId}'s email ${JSON.stringify(recipient)} is not deliverable; correct it first (billing accounts update ${invoice.accountId} --email ...)`,
		);
	}
	const mark = undeliverableMark(account, recipient);
	if (mark) throw new ValidationError(`account ${invoice.accountId}'s ${undeliverableReason(invoice.accountId, mark)}`);
	const invoiceKey = keys.delivery(invoiceNumber, "email");
	const statementKey = keys.statementDelivery(invoice.accountId, invoice.period, "email");
	const statement = await getStatement(deps, invoice.accountId, invoice.period);
	const einvoice = account ? await ensureEinvoice(deps, { document: "invoice", invoice }, account) : undefined;
	if (einvoice?.status === "refused") {
		throw new ValidationError(
			`invoice ${invoiceNumber} is not resent: ${einvoiceRefusal(einvoice)}; correct the account (billing accounts update ${invoice.accountId} ...) and resend`,
		);
	}
	const pdf = await readObjectBytes(deps.s3, deps.bucketName, invoice.pdfKey);
	const email = await composeInvoiceEmail({
		invoice: { ...invoice, billTo: { ...invoice.billTo, email: recipient } },
		seller: deps.seller,
		...einvoiceAttachments(pdf, einvoice),
		download: await invoiceDownloadLink(deps, emailedPdfKey(invoice.pdfKey, einvoice)),
		statement: statement
			? { accountId: invoice.accountId, period: invoice.period, pdf: await readObjectBytes(deps.s3, deps.bucketName, statement.pdfKey) }
			: undefined,
	});
	const at = new Date().toISOString();
	const readInvoice = await getDelivery(deps, invoiceKey);
	const readStatement = statement ? await getDelivery(deps, statementKey) : undefined;
	try {
		await transactWrite(deps, [
			deliveryResent(deps.tableName, invoiceKey, readInvoice, recipient, at, invoice.period),
			...(statement ? [deliveryResent(deps.tableName, statementKey, readStatement, recipient, at, invoice.period)] : []),
			resendAudit(deps.tableName, invoiceNumber, readInvoice, recipient, { actor: deps.actor, at, reason }),
		]);
	} catch (err) {
		if (!isCancelled(err)) throw err;
		throw new BillingError(`invoice ${invoiceNumber} is being delivered right now; look at it again and retry`, 409);
	}
	const claimed = statement ? [invoiceKey, statementKey] : [invoiceKey];
	const base = {
		invoiceNumber,
		recipient,
		withStatement: Boolean(statement),
		earlierAttempts: (readInvoice?.attempts?.length ?? 0) + (readInvoice ? 1 : 0),
	};
	try {
		const messageId = await sendRawEmail(deps.ses, deps.seller, email, {
			kind: "invoice",
			accountId: invoice.accountId,
			delivery: invoiceKey,
			attached: statement ? [statementKey] : [],
		});
		for (const key of claimed) await markSent(deps, key, messageId);
		return { ...base, outcome: "emailed" };
	} catch (err) {
		// A resend is a person's action: whatever SES said is recorded as this attempt's outcome, for them to see.
		const why = `SES refused the resend to ${recipient}: ${(err as Error).message}`;
		for (const key of claimed) await markDeliveryFailed(deps, key, why, false);
		return { ...base, outcome: "failed", reason: why };
	}
}
