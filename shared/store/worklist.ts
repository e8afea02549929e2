import { PutCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import { GSI1, keys } from "./keys.js";
import { parseRecord, queryAll, type TableDeps } from "./records.js";

/** Who works an exception of the worklist (`billing worklist assign`); the exception itself lives where it always did. */
export const assignmentSchema = z.object({
	itemId: z.string().min(1),
	assignee: z.string().min(1),
	assignedBy: z.string(),
	at: z.string(),
});
export type Assignment = z.infer<typeof assignmentSchema>;

/** Assigns (or re-assigns) the item; the last assignment stands. */
export async function putAssignment(deps: TableDeps, assignment: Assignment): Promise<void> {
	const parsed = assignmentSchema.parse(assignment);
	await deps.ddb.send(
		new PutCommand({
			TableName: deps.tableName,
			Item: { ...keys.worklistAssignment(parsed.itemId), ...keys.worklistAssignmentListing(parsed.itemId), ...parsed },
		}),
	);
}

export async function listAssignments(deps: TableDeps): Promise<Map<string, Assignment>> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		KeyConditionExpression: "gsi1pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.worklistAssignmentListing("").gsi1pk },
	});
	return new Map(items.map((item) => parseRecord(assignmentSchema, item)).map((a) => [a.itemId, a]));
}
