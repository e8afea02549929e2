import { BatchWriteCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { TransientError } from "../core/errors.js";
import { type Charge, type ChargePage, chargePageSchema, chargeSchema } from "../core/model.js";
import { auditPut } from "./audit.js";
import type { ImportAudit } from "./imports.js";
import { keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";
import type { TransactItem } from "./transact.js";

/**
 * An account's charges of a month live in pages (items of up to a few hundred charges):
 * imports write them a page at a time, invoicing reads a month's pages with one Query.
 */

function pageItem(page: ChargePage): Record<string, unknown> {
	const parsed = chargePageSchema.parse(page);
	return { ...keys.chargePage(parsed.accountId, parsed.period, parsed.pageId), ...parsed };
}

/** One charge on a page of its own, named by its id: storing it again replaces it (tests, the showcase). */
export async function putCharge(deps: TableDeps, charge: Charge): Promise<void> {
	const parsed = chargeSchema.parse(charge);
	const page = { accountId: parsed.accountId, period: parsed.period, pageId: `charge:${parsed.chargeId}`, charges: [parsed], version: 0 };
	await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: pageItem(page) }));
}

async function queryPages(deps: TableDeps, accountId: string, period?: string): Promise<ChargePage[]> {
	const items = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
		ExpressionAttributeValues: { ":pk": keys.account(accountId).pk, ":prefix": keys.chargePagesPrefix(period) },
		ConsistentRead: true,
	});
	return items.map((item) => parseRecord(chargePageSchema, item));
}

/** The account's charges billed in the period. */
export async function listCharges(deps: TableDeps, accountId: string, period: string): Promise<Charge[]> {
	return (await queryPages(deps, accountId, period)).flatMap((p) => p.charges);
}

/** Every page of the account, every month: what an import compares its rows with. */
export async function listChargePagesOfAccount(deps: TableDeps, accountId: string): Promise<ChargePage[]> {
	return queryPages(deps, accountId);
}

const BATCH_WRITE_ATTEMPTS = 8;

/** New pages, 25 a request; what DynamoDB leaves unprocessed is written again, a few times. */
export async function chargePagesPut(deps: TableDeps, pages: readonly ChargePage[]): Promise<void> {
	for (let start = 0; start < pages.length; start += 25) {
		let pending: Record<string, unknown>[] = pages.slice(start, start + 25).map((page) => ({ PutRequest: { Item: pageItem(page) } }));
		for (let attempt = 0; pending.length > 0; attempt++) {
			if (attempt === BATCH_WRITE_ATTEMPTS)
				throw new TransientError(`${pending.length} charge pages stayed unwritten after ${attempt} BatchWriteItem calls`);
			if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
			const out = await deps.ddb.send(new BatchWriteCommand({ RequestItems: { [deps.tableName]: pending as never } }));
			pending = (out.UnprocessedItems?.[deps.tableName] ?? []) as Record<string, unknown>[];
		}
	}
}

/**
 * A charge imported again with other values, in an open month: it leaves its page (on the
 * page's version as read; the page goes when it was its last charge) and is stored on a
 * page of its own in its month, with an audit entry on the account.
 */
export function chargeChanged(tableName: string, page: ChargePage, after: Charge, pageId: string, audit: ImportAudit): TransactItem[] {
	const parsed = chargeSchema.parse(after);
	const before = page.charges.find((c) => c.chargeId === parsed.chargeId);
	if (!before) throw new Error(`charge ${parsed.chargeId} is not on page ${page.pageId}`);
	const rest = page.charges.filter((c) => c.chargeId !== parsed.chargeId);
	const key = keys.chargePage(page.accountId, page.period, page.pageId);
	const condition = { ConditionExpression: "version = :read", ExpressionAttributeValues: { ":read": page.version } };
	return [
		rest.length === 0
			? { Delete: { TableName: tableName, Key: key, ...condition } }
			: {
					Update: {
						TableName: tableName,
						Key: key,
						UpdateExpression: "SET charges = :rest, version = :next",
						ConditionExpression: condition.ConditionExpression,
						ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ":rest": rest, ":next": page.version + 1 },
					},
				},
		{
			Put: {
				TableName: tableName,
				Item: pageItem({ accountId: parsed.accountId, period: parsed.period, pageId, charges: [parsed], version: 0 }),
				ConditionExpression: "attribute_not_exists(pk)",
			},
		},
		auditPut(tableName, {
			subject: "account",
			subjectId: parsed.accountId,
			action: "charge_changed",
			...audit,
			before: { ...before },
			after: { ...parsed },
		}),
	];
}
