import { BatchGetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { keys, withoutKeys } from "./keys.js";
import { parseRecord, type TableDeps } from "./records.js";

/**
 * The last check of the ledger's invariants, per scope: every account's (the billing cycle's
 * account review, `billing reconcile`) and every payment's (the cycle's Reconcile Payments
 * step, `billing reconcile`). The worklist lists their violations without checking every
 * ledger again on each look (DESIGN.md section 10).
 */
export const LEDGER_CHECK_SCOPES = ["accounts", "payments"] as const;
export type LedgerCheckScope = (typeof LEDGER_CHECK_SCOPES)[number];

export const ledgerCheckSchema = z.object({
	scope: z.enum(LEDGER_CHECK_SCOPES),
	checkedAt: z.string(),
	/** Accounts or payments checked. */
	checked: z.number().int().nonnegative(),
	violationCount: z.number().int().nonnegative(),
	/** The first violations found (at most 50), each with its rule, subject and detail. */
	violations: z.array(z.object({ rule: z.string(), subject: z.string(), detail: z.string() })),
});
export type LedgerCheck = z.infer<typeof ledgerCheckSchema>;

export async function putLedgerCheck(deps: TableDeps, check: LedgerCheck): Promise<void> {
	const parsed = ledgerCheckSchema.parse(check);
	await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: { ...keys.ledgerCheck(parsed.scope), ...parsed } }));
}

/** The last check of each scope that was ever made. */
export async function getLedgerChecks(deps: TableDeps): Promise<LedgerCheck[]> {
	const out = await deps.ddb.send(
		new BatchGetCommand({
			RequestItems: { [deps.tableName]: { Keys: LEDGER_CHECK_SCOPES.map(keys.ledgerCheck), ConsistentRead: true } },
		}),
	);
	return ((out.Responses?.[deps.tableName] ?? []) as Record<string, unknown>[])
		.map((item) => parseRecord(ledgerCheckSchema, withoutKeys(item)))
		.sort((a, b) => a.scope.localeCompare(b.scope));
}
