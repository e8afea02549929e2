import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { billingEvent } from "../events/catalog.js";
import { invoiceView } from "../events/views.js";
import { eventPut } from "./events.js";
import { keys } from "./keys.js";
import { getInvoice, type TableDeps } from "./records.js";
import { conditionFailedAt, type TransactItem } from "./transact.js";

/**
 * The outcome of a delivery of an invoice (DESIGN.md section 14): `invoice.delivered` when it
 * went out (emailed, or queued for the print batch), `invoice.delivery_failed` when it cannot.
 * Only the write that changes a delivery's outcome carries its event, so each is conditional
 * on the record as it was (claimed, or none): a retried step, a re-driven batch or SES's send
 * event after the sender marked it finds it settled and writes nothing.
 */
type DeliveryEventType = "invoice.delivered" | "invoice.delivery_failed";

/** The invoice whose delivery record this is; none for a statement's (its deliveries have no event). */
function invoiceNumberOf(key: { readonly pk: string; readonly sk: string }): string | undefined {
	const prefix = keys.delivery("", "").pk;
	return key.pk.startsWith(prefix) && key.sk.startsWith(keys.delivery("", "").sk) ? key.pk.slice(prefix.length) : undefined;
}

/**
 * The delivery's event, carrying the invoice as the desk shows it: the writers of a delivery
 * hold its key only, so the invoice is read here (one GetItem). A statement's delivery has
 * none; so has a record of an invoice that does not exist (nothing writes one).
 */
export async function deliveryEvent(
	deps: TableDeps,
	key: { readonly pk: string; readonly sk: string },
	type: DeliveryEventType,
	at: string,
): Promise<TransactItem[]> {
	const number = invoiceNumberOf(key);
	return number ? invoiceDeliveryEvent(deps, number, type, at) : [];
}

/** An invoice's delivery event, the invoice read (one GetItem): none for an invoice that does not exist. */
export async function invoiceDeliveryEvent(deps: TableDeps, number: string, type: DeliveryEventType, at: string): Promise<TransactItem[]> {
	const invoice = await getInvoice(deps, number);
	return invoice ? [eventPut(deps.tableName, billingEvent(type, invoice.number, invoiceView(invoice), at))] : [];
}

/**
 * The change of a delivery's outcome with its event, in one transaction: false when the
 * change's condition failed (the outcome was settled before), and nothing is written.
 */
export async function writeOutcome(deps: TableDeps, change: TransactItem, events: readonly TransactItem[]): Promise<boolean> {
	try {
		await deps.ddb.send(new TransactWriteCommand({ TransactItems: [change, ...events] }));
		return true;
	} catch (err) {
		if (conditionFailedAt(err, 0)) return false;
		throw err;
	}
}
