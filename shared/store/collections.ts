import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { type CollectionsCase, collectionsCaseSchema } from "../core/collections-case.js";
import { type DunningRecord, dunningRecordSchema, type Invoice } from "../core/model.js";
import { billingEvent } from "../events/catalog.js";
import { invoiceView } from "../events/views.js";
import { eventPut } from "./events.js";
import { GSI1, GSI2, keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";
import { isCancelled, isConditionFailure, transactWrite } from "./transact.js";

/** Dunning stage records per invoice, the account's log of notices sent, and collections cases. */

export async function dunningRecords(deps: TableDeps, invoiceNumber: string): Promise<DunningRecord[]> {
	const items = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
		ExpressionAttributeValues: { ":pk": keys.invoice(invoiceNumber).pk, ":prefix": "DUNNING#" },
		ConsistentRead: true,
	});
	return items.map((item) => parseRecord(dunningRecordSchema, item));
}

/** Notices sent to the account from `from` to `to` (dates, inclusive): the rolling-week cap counts them. */
export async function countNoticesSent(deps: TableDeps, accountId: string, from: string, to: string): Promise<number> {
	const items = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
		ExpressionAttributeValues: {
			":pk": keys.account(accountId).pk,
			":from": `${keys.dunningSentPrefix}${from}`,
			":to": `${keys.dunningSentPrefix}${to}#\uffff`,
		},
		ConsistentRead: true,
	});
	return items.length;
}

function stageItem(invoice: Invoice, stage: string, status: DunningRecord["status"], daysOverdue: number, asOf: string) {
	const record: DunningRecord = { invoiceNumber: invoice.number, accountId: invoice.accountId, stage, status, daysOverdue, asOf };
	return { ...keys.dunning(invoice.number, stage), ...record, at: new Date().toISOString() };
}

/**
 * Claims the invoice's stage before its notice goes out, with the account's sent-log entry
 * in the same transaction so the cap sees every claim; false when the stage was claimed before.
 * The invoice's first stage (`first`) makes it overdue: its invoice.overdue event goes with
 * the claim, so a second run that finds the stage claimed writes none.
 */
export async function claimDunningStage(
	deps: TableDeps,
	invoice: Invoice,
	stage: string,
	daysOverdue: number,
	asOf: string,
	first: boolean,
): Promise<boolean> {
	const overdue = first
		? [eventPut(deps.tableName, billingEvent("invoice.overdue", invoice.number, invoiceView(invoice), new Date().toISOString()))]
		: [];
	try {
		await transactWrite(deps, [
			{
				Put: {
					TableName: deps.tableName,
					Item: stageItem(invoice, stage, "sending", daysOverdue, asOf),
					ConditionExpression: "attribute_not_exists(pk)",
				},
			},
			{
				Put: {
					TableName: deps.tableName,
					Item: { ...keys.dunningSent(invoice.accountId, asOf, invoice.number, stage), invoiceNumber: invoice.number, stage, asOf },
				},
			},
			...overdue,
		]);
		return true;
	} catch (err) {
		if (isCancelled(err)) return false;
		throw err;
	}
}

/** A lower stage passed over because a higher one went out instead; never overwrites a stage already recorded. */
export async function supersedeDunningStage(
	deps: TableDeps,
	invoice: Invoice,
	stage: string,
	daysOverdue: number,
	asOf: string,
): Promise<void> {
	try {
		await deps.ddb.send(
			new PutCommand({
				TableName: deps.tableName,
				Item: stageItem(invoice, stage, "superseded", daysOverdue, asOf),
				ConditionExpression: "attribute_not_exists(pk)",
			}),
		);
	} catch (err) {
		if (!isConditionFailure(err)) throw err;
	}
}

/** How a claimed stage ended: sent (with the message id) or failed (with the reason). */
export async function finishDunningStage(
	deps: TableDeps,
	invoiceNumber: string,
	stage: string,
	outcome: { readonly status: "sent"; readonly messageId: string } | { readonly status: "failed"; readonly reason: string },
): Promise<void> {
	const { status, ...extra } = outcome;
	const fields = Object.entries(extra);
	await deps.ddb.send(
		new UpdateCommand({
			TableName: deps.tableName,
			Key: keys.dunning(invoiceNumber, stage),
			UpdateExpression: `SET #status = :status${fields.map(([k]) => `, ${k} = :${k}`).join("")}`,
			ExpressionAttributeNames: { "#status": "status" },
			ExpressionAttributeValues: { ":status": status, ...Object.fromEntries(fields.map(([k, v]) => [`:${k}`, v])) },
		}),
	);
}

/** Stores the case; false when a new case lost the race to another run's identical one. */
export async function putCollectionsCase(deps: TableDeps, c: CollectionsCase, isNew: boolean): Promise<boolean> {
	try {
		await deps.ddb.send(
			new PutCommand({
				TableName: deps.tableName,
				Item: {
					...keys.collectionsCase(c.accountId, c.openedOn),
					...keys.collectionsCaseListing(c.openedOn.slice(0, 7), c.accountId),
					...(c.status === "open" ? keys.openCollectionsCase(c.openedOn, c.accountId) : {}),
					...collectionsCaseSchema.parse(c),
				},
				// Two runs racing on the same day open one case, not two; a case closed earlier that day is reopened.
				...(isNew
					? {
							ConditionExpression: "attribute_not_exists(pk) OR #status = :closed",
							ExpressionAttributeNames: { "#status": "status" },
							ExpressionAttributeValues: { ":closed": "closed" },
						}
					: {}),
			}),
		);
		return true;
	} catch (err) {
		if (isNew && isConditionFailure(err)) return false;
		throw err;
	}
}

export async function openCaseOf(deps: TableDeps, accountId: string): Promise<CollectionsCase | undefined> {
	const items = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
		FilterExpression: "#status = :open",
		ExpressionAttributeNames: { "#status": "status" },
		ExpressionAttributeValues: { ":pk": keys.account(accountId).pk, ":prefix": keys.collectionsCasePrefix, ":open": "open" },
		ConsistentRead: true,
	});
	return items[0] ? parseRecord(collectionsCaseSchema, items[0]) : undefined;
}

export async function listOpenCases(deps: TableDeps): Promise<CollectionsCase[]> {
	const items = await queryAll(deps, {
		IndexName: GSI2,
		KeyConditionExpression: "gsi2pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.openCollectionsCase("", "").gsi2pk },
	});
	return items.map((item) => parseRecord(collectionsCaseSchema, item));
}

export async function listCasesOfMonth(deps: TableDeps, month: string): Promise<CollectionsCase[]> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		KeyConditionExpression: "gsi1pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.collectionsCaseListing(month, "").gsi1pk },
	});
	return items.map((item) => parseRecord(collectionsCaseSchema, item));
}
