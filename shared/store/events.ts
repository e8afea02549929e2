import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { ValidationError } from "../core/errors.js";
import type { BillingEvent, EventTypeName, ObjectType } from "../events/catalog.js";
import { GSI1, keys, withoutKeys } from "./keys.js";
import type { TableDeps } from "./records.js";
import type { TransactItem } from "./transact.js";

/**
 * The transactional outbox (DESIGN.md section 14): every store function that changes a
 * billing object returns the Put of its event with the change's items, so the event is
 * committed with the change or not at all. Events are never updated by writers; the
 * publisher reads them off the table's stream.
 */

/** The partition of the object an event is about, where its event goes. */
const OBJECT_PK: Record<ObjectType, (objectId: string) => string> = {
	invoice: (number) => keys.invoice(number).pk,
	credit_memo: (number) => keys.creditMemo(number).pk,
	payment: (ref) => {
		const [provider, ...id] = ref.split(":");
		return keys.payment(provider ?? "", id.join(":")).pk;
	},
	dispute: (disputeId) => keys.dispute(disputeId).pk,
	account: (accountId) => keys.account(accountId).pk,
	billing_run: (period) => keys.run(period),
	books: () => keys.booksLock.pk,
};

/** The event's item, new on its key. */
export function eventPut(tableName: string, event: BillingEvent): TransactItem {
	return {
		Put: {
			TableName: tableName,
			Item: {
				...keys.event(OBJECT_PK[event.objectType](event.objectId), event.occurredAt, event.id),
				...keys.eventListing(event.occurredAt, event.id),
				...event,
			},
			ConditionExpression: "attribute_not_exists(pk)",
		},
	};
}

export interface EventsPage {
	readonly items: readonly BillingEvent[];
	readonly nextCursor?: string;
}

interface EventsCursor {
	readonly day: string;
	readonly key?: Record<string, unknown>;
}

const dayAfter = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

function readCursor(cursor: string): EventsCursor {
	try {
		const read = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as EventsCursor;
		if (typeof read.day === "string" && /^\d{4}-\d{2}-\d{2}$/.test(read.day)) return read;
	} catch {
		// Falls through to the refusal below.
	}
	throw new ValidationError("cursor: not a cursor this list gave out");
}

/**
 * Events from `since` on, oldest first, a page at a time, of one type if given: the day
 * partitions of the listing from the day of `since` to the day of `until` (default now).
 */
export async function listEvents(
	deps: TableDeps,
	request: {
		readonly since: string;
		readonly type?: EventTypeName;
		readonly limit: number;
		readonly cursor?: string;
		readonly until?: Date;
	},
): Promise<EventsPage> {
	if (Number.isNaN(Date.parse(request.since))) throw new ValidationError("since: an ISO date or time, e.g. 2026-12-01");
	const since = new Date(request.since).toISOString();
	const lastDay = (request.until ?? new Date()).toISOString().slice(0, 10);
	const position = request.cursor ? readCursor(request.cursor) : { day: since.slice(0, 10) };
	const items: BillingEvent[] = [];
	let day = position.day;
	let start = position.key;
	while (day <= lastDay) {
		const out = await deps.ddb.send(
			new QueryCommand({
				TableName: deps.tableName,
				IndexName: GSI1,
				KeyConditionExpression: "gsi1pk = :day AND gsi1sk >= :since",
				ExpressionAttributeValues: {
					":day": keys.eventListing(`${day}T`, "").gsi1pk,
					":since": since,
					...(request.type ? { ":type": request.type } : {}),
				},
				...(request.type ? { FilterExpression: "#type = :type", ExpressionAttributeNames: { "#type": "type" } } : {}),
				Limit: request.limit - items.length,
				...(start ? { ExclusiveStartKey: start } : {}),
			}),
		);
		for (const item of (out.Items ?? []) as Record<string, unknown>[]) items.push(withoutKeys(item) as unknown as BillingEvent);
		start = out.LastEvaluatedKey as Record<string, unknown> | undefined;
		if (!start) {
			day = dayAfter(day);
			if (items.length >= request.limit) break;
		} else if (items.length >= request.limit) break;
	}
	if (day > lastDay) return { items };
	const next: EventsCursor = { day, ...(start ? { key: start } : {}) };
	return { items, nextCursor: Buffer.from(JSON.stringify(next)).toString("base64url") };
}
