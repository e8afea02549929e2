import { GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { invoiceDeliveryEvent } from "./delivery-events.js";
import { GSI2, keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";
import { conditionFailedAt } from "./transact.js";

/**
 * A document's e-invoice (DESIGN.md section 13): stored beside its PDF with the rules'
 * warnings, or refused with their fatal findings. A refused one is on the worklist's queue
 * until a later attempt stores it; the put without the queue's attributes takes it off.
 */

export const einvoiceFindingSchema = z.object({
	ruleId: z.string(),
	severity: z.enum(["fatal", "warning"]),
	location: z.string(),
	message: z.string(),
});

export const einvoiceRecordSchema = z.object({
	document: z.enum(["invoice", "credit_memo"]),
	number: z.string(),
	accountId: z.string(),
	profile: z.enum(["peppol", "xrechnung", "facturx"]),
	status: z.enum(["stored", "refused"]),
	/** Where the XML is, beside the PDF; only when stored. */
	xmlKey: z.string().optional(),
	/** Stored: its warnings; refused: its fatal findings first, then its warnings. At most MAX_FINDINGS. */
	findings: z.array(einvoiceFindingSchema),
	/** How many the rules reported, when more than those kept. */
	findingCount: z.number().int().nonnegative(),
	at: z.string(),
});
export type EinvoiceRecord = z.infer<typeof einvoiceRecordSchema>;

/** Findings kept on the record: enough to act on, well within an item's 400 KB. */
export const MAX_FINDINGS = 50;

/**
 * Stores the record. An invoice's e-invoice refused where it was not before is its delivery
 * failing for good (it is neither emailed nor printed until the account is corrected and it
 * is sent again): that put carries invoice.delivery_failed, once; refused again, the record
 * is replaced (the findings of now) without another event.
 */
export async function putEinvoiceRecord(deps: TableDeps, record: EinvoiceRecord): Promise<void> {
	const parsed = einvoiceRecordSchema.parse({ ...record, findings: record.findings.slice(0, MAX_FINDINGS) });
	const put = {
		TableName: deps.tableName,
		Item: {
			...keys.einvoice(parsed.document, parsed.number),
			...(parsed.status === "refused" ? keys.einvoiceRefused(parsed.at, parsed.number) : {}),
			...parsed,
		},
	};
	if (parsed.status === "refused" && parsed.document === "invoice") {
		const event = await invoiceDeliveryEvent(deps, parsed.number, "invoice.delivery_failed", parsed.at);
		try {
			await deps.ddb.send(
				new TransactWriteCommand({
					TransactItems: [
						{
							Put: {
								...put,
								ConditionExpression: "attribute_not_exists(pk) OR #status <> :refused",
								ExpressionAttributeNames: { "#status": "status" },
								ExpressionAttributeValues: { ":refused": "refused" },
							},
						},
						...event,
					],
				}),
			);
			return;
		} catch (err) {
			if (!conditionFailedAt(err, 0)) throw err;
		}
	}
	await deps.ddb.send(new PutCommand(put));
}

export async function getEinvoiceRecord(
	deps: TableDeps,
	document: EinvoiceRecord["document"],
	number: string,
): Promise<EinvoiceRecord | undefined> {
	const out = await deps.ddb.send(
		new GetCommand({ TableName: deps.tableName, Key: keys.einvoice(document, number), ConsistentRead: true }),
	);
	return out.Item ? parseRecord(einvoiceRecordSchema, out.Item) : undefined;
}

/** E-invoices the rules refused and no attempt stored since, oldest first (the index lags a write by a moment). */
export async function listRefusedEinvoices(deps: TableDeps): Promise<EinvoiceRecord[]> {
	const items = await queryAll(deps, {
		IndexName: GSI2,
		KeyConditionExpression: "gsi2pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.einvoiceRefused("", "").gsi2pk },
	});
	return items.map((item) => parseRecord(einvoiceRecordSchema, item)).filter((r) => r.status === "refused");
}
