import { randomUUID } from "node:crypto";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { type AuditEntry, auditEntrySchema } from "../core/model.js";
import { keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";

const SUBJECT_PK: Record<AuditEntry["subject"], (id: string) => string> = {
	invoice: (id) => keys.invoice(id).pk,
	account: (id) => keys.account(id).pk,
	credit_memo: (id) => keys.creditMemo(id).pk,
	plan: (id) => keys.plan(id).pk,
	subscription: (id) => keys.subscription(id).pk,
	user: (email) => keys.deskUser(email).pk,
	webhook_endpoint: (id) => keys.webhookEndpoint(id).pk,
};

/**
 * A Put for the audit entry, to go into the same TransactWriteItems as the change it
 * records, so no change is stored without its entry and no entry without its change.
 */
export function auditPut(tableName: string, entry: AuditEntry) {
	const parsed = auditEntrySchema.parse(entry);
	return {
		Put: {
			TableName: tableName,
			Item: { ...keys.auditEntry(SUBJECT_PK[parsed.subject](parsed.subjectId), parsed.at, randomUUID()), ...parsed },
		},
	};
}

/**
 * Writes an audit entry on its own, for a change made outside the table (a desk user added
 * to or disabled in the user pool): written once the change is made, so no entry records a
 * change that did not happen.
 */
export async function putAuditEntry(deps: TableDeps, entry: AuditEntry): Promise<void> {
	await deps.ddb.send(new PutCommand(auditPut(deps.tableName, entry).Put));
}

/** The subject's audit trail, oldest first. */
export async function listAuditEntries(deps: TableDeps, subject: AuditEntry["subject"], subjectId: string): Promise<AuditEntry[]> {
	const items = await queryAll(deps, {
		KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
		ExpressionAttributeValues: { ":pk": SUBJECT_PK[subject](subjectId), ":prefix": keys.auditPrefix },
		ConsistentRead: true,
	});
	return items.map((item) => parseRecord(auditEntrySchema, item));
}
