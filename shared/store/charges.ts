import { createHash } from "node:crypto";
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { TransientError } from "../core/errors.js";
import { type Charge, type ChargePage, chargePageSchema, chargeSchema } from "../core/model.js";
import { auditPut } from "./audit.js";
import type { ImportAudit } from "./imports.js";
import { keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";
import { conditionFailedAt, isCancelled, RETRY, type TransactItem, withOptimisticRetry } from "./transact.js";

/**
 * An account's charges of a month live in pages (items of up to 100 KB of charges): imports
 * write them a few pages at a time, invoicing reads a month's pages with one Query. Every
 * write of an account's pages raises its book's version on the version read, so writers that
 * race (two imports of one file) never store a charge twice: the second reads again.
 */

function pageItem(page: ChargePage): Record<string, unknown> {
	const parsed = chargePageSchema.parse(page);
	return { ...keys.chargePage(parsed.accountId, parsed.period, parsed.pageId), ...parsed };
}

/** Items of a page stay far below DynamoDB's 400 KB; a page is closed by its bytes, not its count. */
export const PAGE_BYTES = 100_000;
/** Pages one write carries: with the book, within a transaction's 100 items and 4 MB. */
export const PAGES_PER_WRITE = 30;

/** What a charge adds to its page's item, near enough (UTF-8 JSON) to size pages by. */
export function chargeBytes(charge: Charge): number {
	return Buffer.byteLength(JSON.stringify(charge));
}

/** Another writer changed the account's charges since its book was read: read it again and decide again. */
export class ChargeBookChanged extends TransientError {
	constructor(readonly accountId: string) {
		super(`the charges of account ${accountId} changed while being written; read again`);
		this.name = "ChargeBookChanged";
	}
}

/** The account's charge pages of every month and its book's version (read first, so a write on it is never older than the pages). */
export interface ChargeBook {
	readonly version: number;
	readonly pages: ChargePage[];
}

export async function readChargeBook(deps: TableDeps, accountId: string): Promise<ChargeBook> {
	const book = keys.chargeBook(accountId);
	const items = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk AND begins_with(sk, :book)",
		ExpressionAttributeValues: { ":pk": book.pk, ":book": book.sk },
		ConsistentRead: true,
	});
	const bookItem = items.find((item) => item.sk === book.sk);
	return {
		version: Number(bookItem?.version ?? 0),
		pages: items.filter((item) => item !== bookItem).map((item) => parseRecord(chargePageSchema, item)),
	};
}

/** The book raised from the version read (0: none written yet); the condition is what makes a second writer fail. */
function bookRaised(tableName: string, accountId: string, versionRead: number): TransactItem {
	return {
		Update: {
			TableName: tableName,
			Key: keys.chargeBook(accountId),
			UpdateExpression: "SET version = :next",
			ConditionExpression: versionRead === 0 ? "attribute_not_exists(version)" : "version = :read",
			ExpressionAttributeValues: { ":next": versionRead + 1, ...(versionRead === 0 ? {} : { ":read": versionRead }) },
		},
	};
}

/** A transaction on the account's book: ChargeBookChanged when another writer raised it (or was raising it) since it was read. */
async function writeOnBook(deps: TableDeps, accountId: string, items: TransactItem[], token: string): Promise<void> {
	try {
		await deps.ddb.send(
			new TransactWriteCommand({
				TransactItems: items,
				// A retry of a call that went through (a timeout) is answered as done, not applied twice.
				ClientRequestToken: createHash("sha256").update(token).digest("hex").slice(0, 36),
			}),
		);
	} catch (err) {
		const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
		if (isCancelled(err) && (conditionFailedAt(err, 0) || reasons?.some((r) => r.Code === "TransactionConflict")))
			throw new ChargeBookChanged(accountId);
		throw err;
	}
}

/**
 * New pages of one account, written on the book's version read: all or none, so a charge an
 * import decided to create is never written beside the same charge another import wrote since.
 * Answers the book's new version.
 */
export async function chargePagesAdded(
	deps: TableDeps,
	accountId: string,
	versionRead: number,
	pages: readonly ChargePage[],
): Promise<number> {
	if (pages.length > PAGES_PER_WRITE) throw new Error(`${pages.length} pages in one write; at most ${PAGES_PER_WRITE}`);
	if (pages.some((page) => page.accountId !== accountId)) throw new Error(`a page of another account than ${accountId}`);
	await writeOnBook(
		deps,
		accountId,
		[
			bookRaised(deps.tableName, accountId, versionRead),
			...pages.map((page) => ({
				Put: { TableName: deps.tableName, Item: pageItem(page), ConditionExpression: "attribute_not_exists(pk)" },
			})),
		],
		`pages#${accountId}#${versionRead}#${pages.map((p) => p.pageId).join(",")}`,
	);
	return versionRead + 1;
}

/** One charge on a page of its own, named by its id: storing it again replaces it (tests, the showcase). */
export async function putCharge(deps: TableDeps, charge: Charge): Promise<void> {
	const parsed = chargeSchema.parse(charge);
	const page = { accountId: parsed.accountId, period: parsed.period, pageId: `charge:${parsed.chargeId}`, charges: [parsed], version: 0 };
	await withOptimisticRetry(`storing charge ${parsed.chargeId}`, async (n) => {
		const { version } = await readChargeBook(deps, parsed.accountId);
		try {
			await writeOnBook(
				deps,
				parsed.accountId,
				[bookRaised(deps.tableName, parsed.accountId, version), { Put: { TableName: deps.tableName, Item: pageItem(page) } }],
				`charge#${parsed.accountId}#${version}#${parsed.chargeId}#${n}`,
			);
			return undefined;
		} catch (err) {
			if (err instanceof ChargeBookChanged) return RETRY;
			throw err;
		}
	});
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

/** Every page of the account, every month. */
export async function listChargePagesOfAccount(deps: TableDeps, accountId: string): Promise<ChargePage[]> {
	return queryPages(deps, accountId);
}

/**
 * A charge imported again with other values, in an open month: it leaves its page (on the
 * page's version as read; the page goes when it was its last charge) and is stored on a
 * page of its own in its month, with an audit entry on the account; on the book's version read.
 */
export async function chargeChanged(
	deps: TableDeps,
	change: { readonly page: ChargePage; readonly after: Charge; readonly pageId: string; readonly bookVersion: number },
	audit: ImportAudit,
): Promise<number> {
	const { page, pageId, bookVersion } = change;
	const parsed = chargeSchema.parse(change.after);
	const before = page.charges.find((c) => c.chargeId === parsed.chargeId);
	if (!before) throw new Error(`charge ${parsed.chargeId} is not on page ${page.pageId}`);
	const rest = page.charges.filter((c) => c.chargeId !== parsed.chargeId);
	const key = keys.chargePage(page.accountId, page.period, page.pageId);
	const condition = { ConditionExpression: "version = :read", ExpressionAttributeValues: { ":read": page.version } };
	await writeOnBook(
		deps,
		parsed.accountId,
		[
			bookRaised(deps.tableName, parsed.accountId, bookVersion),
			rest.length === 0
				? { Delete: { TableName: deps.tableName, Key: key, ...condition } }
				: {
						Update: {
							TableName: deps.tableName,
							Key: key,
							UpdateExpression: "SET charges = :rest, version = :next",
							ConditionExpression: condition.ConditionExpression,
							ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ":rest": rest, ":next": page.version + 1 },
						},
					},
			{
				Put: {
					TableName: deps.tableName,
					Item: pageItem({ accountId: parsed.accountId, period: parsed.period, pageId, charges: [parsed], version: 0 }),
					ConditionExpression: "attribute_not_exists(pk)",
				},
			},
			auditPut(deps.tableName, {
				subject: "account",
				subjectId: parsed.accountId,
				action: "charge_changed",
				...audit,
				before: { ...before },
				after: { ...parsed },
			}),
		],
		`changed#${parsed.accountId}#${bookVersion}#${pageId}`,
	);
	return bookVersion + 1;
}
