import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { ValidationError } from "../core/errors.js";
import type { BillingEvent, EventTypeName, ObjectType } from "../events/catalog.js";
import { GSI1, keys, withoutKeys } from "./keys.js";
import type { TableDeps } from "./records.js";
import {
	conditionFailedAt,
	isCancelled,
	MAX_TRANSACTION_ITEMS,
	RETRY,
	RETRY_NOW,
	type TransactItem,
	withOptimisticRetry,
} from "./transact.js";

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

/** Where an event is: in the partition of the object it is about. */
export function eventKey(event: Pick<BillingEvent, "objectType" | "objectId" | "occurredAt" | "id">): { pk: string; sk: string } {
	return keys.event(OBJECT_PK[event.objectType](event.objectId), event.occurredAt, event.id);
}

/** The event's item, new on its key. */
export function eventPut(tableName: string, event: BillingEvent): TransactItem {
	return {
		Put: {
			TableName: tableName,
			Item: {
				...eventKey(event),
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

/** An event with its number, and whether this call gave it (and wrote what goes with it). */
export interface NumberedEvent {
	readonly sequence: number;
	readonly numberedNow: boolean;
}

/**
 * Gives one object's events their `sequence`, in the order given (the order they were
 * committed, as the stream delivers them): the object's last sequence plus one, two, ... The
 * object's counter, each event's number and what goes with it (`withNumber`: its webhook
 * deliveries) are written in one transaction, each event only if it has no number yet. So a
 * batch read again after a crash keeps the numbers it got, none is skipped or given twice,
 * and an event has its deliveries exactly when it has its number.
 *
 * `counters` remembers each object's last number between calls: the first try goes without a
 * read, and a counter moved elsewhere fails its condition and is read.
 */
export async function numberEvents(
	deps: TableDeps,
	events: readonly BillingEvent[],
	withNumber: (event: BillingEvent & { readonly sequence: number }) => TransactItem[],
	counters: Map<string, number>,
): Promise<Map<string, NumberedEvent>> {
	const numbered = new Map<string, NumberedEvent>();
	let run: BillingEvent[] = [];
	let size = 1;
	const flush = async () => {
		for (const [id, n] of await numberRun(deps, run, withNumber, counters)) numbered.set(id, n);
		run = [];
		size = 1;
	};
	for (const event of events) {
		// Each event's items, with a number that is only a placeholder here: the count is what matters.
		const items = 1 + withNumber({ ...event, sequence: 0 }).length;
		if (items + 1 > MAX_TRANSACTION_ITEMS)
			throw new ValidationError(`event ${event.id} would go to more endpoints than one transaction holds`);
		if (size + items > MAX_TRANSACTION_ITEMS) await flush();
		run.push(event);
		size += items;
	}
	if (run.length > 0) await flush();
	return numbered;
}

async function storedSequence(deps: TableDeps, key: { pk: string; sk: string }): Promise<number | undefined> {
	const out = await deps.ddb.send(
		new GetCommand({
			TableName: deps.tableName,
			Key: key,
			ConsistentRead: true,
			ProjectionExpression: "#s",
			ExpressionAttributeNames: { "#s": "sequence" },
		}),
	);
	return out.Item?.sequence as number | undefined;
}

async function numberRun(
	deps: TableDeps,
	events: readonly BillingEvent[],
	withNumber: (event: BillingEvent & { readonly sequence: number }) => TransactItem[],
	counters: Map<string, number>,
): Promise<Map<string, NumberedEvent>> {
	const first = events[0];
	if (!first) return new Map();
	const counterKey = keys.eventSequence(eventKey(first).pk);
	const cacheKey = `${deps.tableName}|${counterKey.pk}`;
	// Events are numbered once; only a batch read again (after a crash) finds some numbered, and reads which.
	let numberedBefore = false;
	let readCounter = false;
	return withOptimisticRetry(`numbering the events of ${first.objectType} ${first.objectId}`, async () => {
		const numbered = new Map<string, NumberedEvent>();
		const fresh: BillingEvent[] = [];
		for (const event of events) {
			const stored = numberedBefore ? await storedSequence(deps, eventKey(event)) : undefined;
			if (stored === undefined) fresh.push(event);
			else numbered.set(event.id, { sequence: stored, numberedNow: false });
		}
		if (fresh.length === 0) return numbered;
		let last = readCounter ? undefined : counters.get(cacheKey);
		if (last === undefined && readCounter) {
			const counter = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: counterKey, ConsistentRead: true }));
			last = (counter.Item?.last as number | undefined) ?? 0;
		}
		// An object never seen is most often new: its first event needs no read.
		const was = last ?? 0;
		const items: TransactItem[] = [
			{
				Update: {
					TableName: deps.tableName,
					Key: counterKey,
					UpdateExpression: "SET #last = :last",
					ConditionExpression: was === 0 ? "attribute_not_exists(#last)" : "#last = :was",
					ExpressionAttributeNames: { "#last": "last" },
					ExpressionAttributeValues: { ":last": was + fresh.length, ...(was === 0 ? {} : { ":was": was }) },
				},
			},
		];
		const eventIndexes: number[] = [];
		for (const [i, event] of fresh.entries()) {
			eventIndexes.push(items.length);
			items.push({
				Update: {
					TableName: deps.tableName,
					Key: eventKey(event),
					UpdateExpression: "SET #s = :s",
					ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(#s)",
					ExpressionAttributeNames: { "#s": "sequence" },
					ExpressionAttributeValues: { ":s": was + 1 + i },
				},
			});
			items.push(...withNumber({ ...event, sequence: was + 1 + i }));
		}
		try {
			await deps.ddb.send(new TransactWriteCommand({ TransactItems: items }));
		} catch (err) {
			if (conditionFailedAt(err, 0)) {
				readCounter = true;
				return RETRY_NOW;
			}
			if (items.some((_, i) => i > 0 && conditionFailedAt(err, i))) {
				numberedBefore = true;
				return RETRY_NOW;
			}
			if (isCancelled(err)) return RETRY;
			throw err;
		}
		if (counters.size > MAX_COUNTERS_REMEMBERED) counters.clear();
		counters.set(cacheKey, was + fresh.length);
		for (const [i, event] of fresh.entries()) numbered.set(event.id, { sequence: was + 1 + i, numberedNow: true });
		return numbered;
	});
}

/** Objects whose last number is remembered; past it the memory starts over (a read per object). */
const MAX_COUNTERS_REMEMBERED = 100_000;

/** Where the embedded publisher has read a shard of the table's stream up to (the last record it published), if anywhere. */
export async function getStreamCheckpoint(deps: TableDeps, streamArn: string, shardId: string): Promise<string | undefined> {
	const out = await deps.ddb.send(
		new GetCommand({ TableName: deps.tableName, Key: keys.streamCheckpoint(streamArn, shardId), ConsistentRead: true }),
	);
	return out.Item?.sequenceNumber as string | undefined;
}

/** Records that a shard's records up to `sequenceNumber` are published; written only after they are. */
export async function putStreamCheckpoint(deps: TableDeps, streamArn: string, shardId: string, sequenceNumber: string): Promise<void> {
	await deps.ddb.send(
		new PutCommand({ TableName: deps.tableName, Item: { ...keys.streamCheckpoint(streamArn, shardId), sequenceNumber } }),
	);
}
