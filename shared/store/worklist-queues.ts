import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import pMap from "p-map";
import { type Invoice, invoiceSchema, type Payment, paymentSchema } from "../core/model.js";
import { GSI1, GSI2, keys } from "./keys.js";
import { getItems, parseRecord, queryAll, type TableDeps } from "./records.js";
import { isConditionFailure, type TransactItem } from "./transact.js";

/**
 * The worklist's queues of held invoices and open disputes: a marker item per invoice or
 * payment, written in the same transaction as the hold, its release or the dispute's change,
 * and in the queue's index (gsi2) only while the invoice is held with something due or the
 * dispute is open. A look at the worklist reads these queues and the few records they name,
 * not every open invoice and every payment. A marker leaves the queue by a put without the
 * index's attributes, so no function needs a delete for it.
 */

type Marker = { readonly TableName: string; readonly Item: Record<string, string> };

function heldInvoiceMarker(tableName: string, invoiceNumber: string, since: string | undefined): Marker {
	const queued = since === undefined ? {} : keys.heldInvoiceQueued(since, invoiceNumber);
	return { TableName: tableName, Item: { ...keys.heldInvoiceMarker(invoiceNumber), invoiceNumber, ...queued } };
}

function openDisputeMarker(
	tableName: string,
	{ provider, paymentId }: Pick<Payment, "provider" | "paymentId">,
	since: string | undefined,
): Marker {
	const queued = since === undefined ? {} : keys.openDisputeQueued(since, provider, paymentId);
	return { TableName: tableName, Item: { ...keys.openDisputeMarker(provider, paymentId), provider, paymentId, ...queued } };
}

/** The held invoice's marker: queued from `since` when held with something due, off the queue when `since` is undefined. */
export function heldInvoiceMarkerPut(tableName: string, invoiceNumber: string, since: string | undefined): TransactItem {
	return { Put: heldInvoiceMarker(tableName, invoiceNumber, since) };
}

/** The disputed payment's marker: queued from `since` while its dispute is open, off the queue when `since` is undefined. */
export function openDisputeMarkerPut(
	tableName: string,
	payment: Pick<Payment, "provider" | "paymentId">,
	since: string | undefined,
): TransactItem {
	return { Put: openDisputeMarker(tableName, payment, since) };
}

const queued = (deps: TableDeps, gsi2pk: string) =>
	queryAll(deps, { IndexName: GSI2, KeyConditionExpression: "gsi2pk = :pk", ExpressionAttributeValues: { ":pk": gsi2pk } });

/** Open invoices on hold (by hand or for a dispute), oldest hold first. */
export async function listHeldInvoices(deps: TableDeps): Promise<Invoice[]> {
	const markers = await queued(deps, keys.heldInvoiceQueued("", "").gsi2pk);
	const invoices = (
		await getItems(
			deps,
			markers.map((m) => keys.invoice(String(m.invoiceNumber))),
		)
	).map((item) => parseRecord(invoiceSchema, item));
	return invoices.filter((i) => i.hold !== undefined && i.amountDue > 0);
}

/** Payments whose dispute is open, oldest dispute first. */
export async function listOpenDisputes(deps: TableDeps): Promise<Payment[]> {
	const markers = await queued(deps, keys.openDisputeQueued("", "", "").gsi2pk);
	const payments = (
		await getItems(
			deps,
			markers.map((m) => keys.payment(String(m.provider), String(m.paymentId))),
		)
	).map((item) => parseRecord(paymentSchema, item));
	return payments.filter((p) => p.dispute?.status === "open");
}

/**
 * Puts the holds and open disputes stored before these queues existed on them, once per
 * table: reads every open invoice and every payment the way the worklist did before, then
 * marks the table filled. A marker written meanwhile by a hold, release or dispute is newer
 * and kept (the put is conditional on there being none), so running it twice or beside a
 * change loses nothing.
 */
export async function fillWorklistQueues(deps: TableDeps): Promise<void> {
	const filled = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: keys.worklistQueuesFilled }));
	if (filled.Item) return;
	const [held, disputed] = await Promise.all([
		queryAll(deps, {
			IndexName: GSI2,
			KeyConditionExpression: "gsi2pk = :pk",
			FilterExpression: "attribute_exists(#hold)",
			ExpressionAttributeNames: { "#hold": "hold" },
			ExpressionAttributeValues: { ":pk": keys.openInvoice("", "").gsi2pk },
		}),
		queryAll(deps, {
			IndexName: GSI1,
			KeyConditionExpression: "gsi1pk = :pk",
			FilterExpression: "dispute.#status = :open",
			ExpressionAttributeNames: { "#status": "status" },
			ExpressionAttributeValues: { ":pk": keys.paymentListing("", "", "").gsi1pk, ":open": "open" },
		}),
	]);
	const markers = [
		...held.map((item) => parseRecord(invoiceSchema, item)).map((i) => heldInvoiceMarker(deps.tableName, i.number, i.hold?.since)),
		...disputed.map((item) => parseRecord(paymentSchema, item)).map((p) => openDisputeMarker(deps.tableName, p, p.dispute?.since)),
	];
	await pMap(
		markers,
		async (marker) => {
			try {
				await deps.ddb.send(new PutCommand({ ...marker, ConditionExpression: "attribute_not_exists(pk)" }));
			} catch (error) {
				if (!isConditionFailure(error)) throw error;
			}
		},
		{ concurrency: 8 },
	);
	await deps.ddb.send(
		new PutCommand({
			TableName: deps.tableName,
			Item: { ...keys.worklistQueuesFilled, at: new Date().toISOString(), markers: markers.length },
		}),
	);
}
