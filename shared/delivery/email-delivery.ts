import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type SESClient, SendRawEmailCommand } from "@aws-sdk/client-ses";
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { TransientError } from "../core/errors.js";
import { isDeliverableEmailAddress } from "../documents/email-address.js";
import { composeInvoiceEmail, composeStatementEmail, type StatementAttachment } from "../documents/invoice-email.js";
import { getStatement } from "../invoicing/statements.js";
import type { SellerConfig } from "../platform/config.js";
import { readObjectBytes } from "../platform/s3-objects.js";
import { keys } from "../store/keys.js";
import { getAccount, getInvoice, type TableDeps } from "../store/records.js";

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

async function invoiceDownloadLink(deps: DeliveryDeps, key: string): Promise<{ url: string; expiresAt: string }> {
	const url = await getSignedUrl(deps.s3, new GetObjectCommand({ Bucket: deps.bucketName, Key: key }), {
		expiresIn: INVOICE_LINK_TTL_SECONDS,
	});
	return { url, expiresAt: new Date(Date.now() + INVOICE_LINK_TTL_SECONDS * 1000).toISOString().slice(0, 10) };
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

	const deliveryKey = keys.delivery(invoiceNumber, channel);
	const existing = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: deliveryKey, ConsistentRead: true }));
	if (existing.Item) return existing.Item.status === "failed" ? "failed" : "already_delivered";

	if (channel === "postal") {
		await deps.ddb.send(
			new PutCommand({
				TableName: deps.tableName,
				Item: { ...deliveryKey, channel, status: "queued_for_print", period: invoice.period, at: new Date().toISOString() },
				ConditionExpression: "attribute_not_exists(pk)",
			}),
		);
		return "queued_for_print";
	}

	const recipient = invoice.billTo.email;
	if (!isDeliverableEmailAddress(recipient)) {
		const reason = `invalid email address ${JSON.stringify(recipient)}`;
		await markDeliveryFailed(deps, deliveryKey, reason, true);
		// The statement would have gone with the invoice: its own email would fail the same way, so it is not tried.
		if (await getStatement(deps, invoice.accountId, invoice.period)) {
			await markDeliveryFailed(deps, keys.statementDelivery(invoice.accountId, invoice.period, channel), reason, true).catch(
				(err: unknown) => {
					if ((err as { name?: string }).name !== "ConditionalCheckFailedException") throw err;
				},
			);
		}
		await recordFailure(invoice.accountId, `invoice ${invoiceNumber} not delivered: ${reason}`);
		return "failed";
	}

	// Everything that can fail before sending happens before the claim, so a failure here leaves the invoice deliverable.
	const pdf = await readObjectBytes(deps.s3, deps.bucketName, invoice.pdfKey);
	const statement = await undeliveredStatement(deps, invoice.accountId, invoice.period, channel);
	const download = await invoiceDownloadLink(deps, invoice.pdfKey);
	const email = await composeInvoiceEmail({ invoice, seller: deps.seller, pdf, download, statement });
	const statementKey = statement ? keys.statementDelivery(invoice.accountId, invoice.period, channel) : undefined;
	const claim = { channel, status: "sending", recipient, at: new Date().toISOString() };
	try {
		await deps.ddb.send(
			new TransactWriteCommand({
				TransactItems: [deliveryKey, ...(statementKey ? [statementKey] : [])].map((key) => ({
					Put: { TableName: deps.tableName, Item: { ...key, ...claim }, ConditionExpression: "attribute_not_exists(pk)" },
				})),
			}),
		);
	} catch (err) {
		if ((err as { name?: string }).name !== "TransactionCanceledException") throw err;
		const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
		if (reasons[0]?.Code === "ConditionalCheckFailed") return "already_delivered";
		// The statement went out meanwhile on its own: the retry reads that and sends the invoice without it.
		throw new TransientError(`claiming delivery of invoice ${invoiceNumber} failed: ${(err as Error).message}`, { cause: err });
	}
	const claimed = [deliveryKey, ...(statementKey ? [statementKey] : [])];

	try {
		const sent = await deps.ses.send(
			new SendRawEmailCommand({
				Source: deps.seller.email,
				Destinations: [email.to],
				RawMessage: { Data: email.raw },
			}),
		);
		for (const key of claimed) await markSent(deps, key, sent.MessageId);
		return "emailed";
	} catch (err) {
		const name = (err as { name?: string }).name ?? "Error";
		if (PERMANENT_SES_ERRORS.has(name)) {
			const reason = `SES rejected ${recipient}: ${(err as Error).message}`;
			for (const key of claimed) await markDeliveryFailed(deps, key, reason, false);
			await recordFailure(invoice.accountId, `invoice ${invoiceNumber} not delivered: ${reason}`);
			return "failed";
		}
		// Nothing was sent: release the claims so the state machine's retry can send it.
		for (const key of claimed) await deps.ddb.send(new DeleteCommand({ TableName: deps.tableName, Key: key }));
		throw new TransientError(`sending invoice ${invoiceNumber} failed: ${(err as Error).message}`, { cause: err });
	}
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
	const delivered = await deps.ddb.send(
		new GetCommand({ TableName: deps.tableName, Key: keys.statementDelivery(accountId, period, channel), ConsistentRead: true }),
	);
	if (delivered.Item) return undefined;
	return { accountId, period, pdf: await readObjectBytes(deps.s3, deps.bucketName, statement.pdfKey) };
}

async function markSent(deps: DeliveryDeps, key: { pk: string; sk: string }, messageId: string | undefined): Promise<void> {
	await deps.ddb.send(
		new UpdateCommand({
			TableName: deps.tableName,
			Key: key,
			UpdateExpression: "SET #status = :sent, messageId = :id, sentAt = :at",
			ExpressionAttributeNames: { "#status": "status" },
			ExpressionAttributeValues: { ":sent": "sent", ":id": messageId ?? "", ":at": new Date().toISOString() },
		}),
	);
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
	const deliveryKey = keys.statementDelivery(accountId, period, channel);
	const existing = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: deliveryKey, ConsistentRead: true }));
	if (existing.Item) return existing.Item.status === "failed" ? "failed" : "already_delivered";

	if (channel === "postal") {
		await deps.ddb.send(
			new PutCommand({
				TableName: deps.tableName,
				Item: { ...deliveryKey, channel, status: "queued_for_print", period, at: new Date().toISOString() },
				ConditionExpression: "attribute_not_exists(pk)",
			}),
		);
		return "queued_for_print";
	}

	const recipient = statement.billTo.email;
	if (!isDeliverableEmailAddress(recipient)) {
		const reason = `invalid email address ${JSON.stringify(recipient)}`;
		await markDeliveryFailed(deps, deliveryKey, reason, true);
		await recordFailure(accountId, `statement ${period} not delivered: ${reason}`);
		return "failed";
	}
	const pdf = await readObjectBytes(deps.s3, deps.bucketName, statement.pdfKey);
	const email = await composeStatementEmail({ statement, seller: deps.seller, pdf });
	try {
		await deps.ddb.send(
			new PutCommand({
				TableName: deps.tableName,
				Item: { ...deliveryKey, channel, status: "sending", recipient, at: new Date().toISOString() },
				ConditionExpression: "attribute_not_exists(pk)",
			}),
		);
	} catch (err) {
		if ((err as { name?: string }).name === "ConditionalCheckFailedException") return "already_delivered";
		throw err;
	}
	try {
		const sent = await deps.ses.send(
			new SendRawEmailCommand({ Source: deps.seller.email, Destinations: [email.to], RawMessage: { Data: email.raw } }),
		);
		await markSent(deps, deliveryKey, sent.MessageId);
		return "emailed";
	} catch (err) {
		const name = (err as { name?: string }).name ?? "Error";
		if (PERMANENT_SES_ERRORS.has(name)) {
			const reason = `SES rejected ${recipient}: ${(err as Error).message}`;
			await markDeliveryFailed(deps, deliveryKey, reason, false);
			await recordFailure(accountId, `statement ${period} not delivered: ${reason}`);
			return "failed";
		}
		await deps.ddb.send(new DeleteCommand({ TableName: deps.tableName, Key: deliveryKey }));
		throw new TransientError(`sending statement ${period} of ${accountId} failed: ${(err as Error).message}`, { cause: err });
	}
}

async function markDeliveryFailed(deps: DeliveryDeps, key: { pk: string; sk: string }, reason: string, isNew: boolean): Promise<void> {
	await deps.ddb.send(
		new PutCommand({
			TableName: deps.tableName,
			Item: { ...key, channel: "email", status: "failed", reason, at: new Date().toISOString() },
			...(isNew ? { ConditionExpression: "attribute_not_exists(pk)" } : {}),
		}),
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
