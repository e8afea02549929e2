import { deliveryBatchSchema } from "../../shared/cycle/payloads.js";
import { DeliveryContext, deliverInvoicesForBatch, deliverStatementsForBatch } from "../../shared/delivery/email-delivery.js";
import { SendingPace } from "../../shared/delivery/sending-pace.js";
import { createDocumentClient, createS3Client, createSesClient } from "../../shared/platform/clients.js";
import { documentLinkConfig, documentRetention, sellerConfig, sendingRate, storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";
import { recordRunFailure } from "../../shared/store/run-failures.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const ses = createSesClient();
// The download link's address and signing key (the key itself from Secrets Manager, cached), and the Object Lock
// retention each e-invoice stored beside its PDF gets; this container's share of the SES sending rate, kept
// between invocations so back-to-back batches keep the pace.
const config = perStack(() => {
	const rate = sendingRate();
	return {
		...storageConfig(),
		seller: sellerConfig(),
		documentLinks: documentLinkConfig(),
		documentRetention: documentRetention(),
		...(rate ? { pace: new SendingPace(rate) } : {}),
	};
});

export const handler = stepHandler("Deliver Invoices", deliveryBatchSchema, async ({ billing, invoiceNumbers, items }) => {
	const deps = { ddb, s3, ses, ...config() };
	const { tableName } = deps;
	const recordFailure = (accountId: string, reason: string, stage: "deliver" | "einvoice" = "deliver") =>
		recordRunFailure({ ddb, tableName }, { period: billing.period, accountId, stage, reason });
	const accountIds = items.map((i) => i.accountId);
	// The batch's invoices, accounts, statements and delivery records, read together for both steps below.
	const context = await DeliveryContext.read(deps, invoiceNumbers, accountIds, billing.period);
	const invoices = await deliverInvoicesForBatch(deps, invoiceNumbers, recordFailure, context);
	// Invoices first: their emails carry the statement, so only the remaining statements go out on their own.
	const statements = await deliverStatementsForBatch(deps, accountIds, billing.period, recordFailure, context);
	return { ...invoices, statements };
});
