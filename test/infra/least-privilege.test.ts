import { readFileSync } from "node:fs";
import type { CfnElement } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { functionCatalog } from "../../functions/catalog.js";
import { buildBillingApp } from "../../infra/billing-app.js";

/**
 * DESIGN.md section 15: each function holds only the DynamoDB actions its code uses.
 */

type Json = Record<string, unknown>;
type Statement = { Action: string | string[]; Effect: string; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

const cdkJson = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as { context: Json };
const context = { ...cdkJson.context, "aws:cdk:bundling-stacks": [] };
const { stack } = buildBillingApp({ context });
// Synthesizes the app, which runs cdk-nag: unacknowledged findings throw here.
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;

function logicalId(construct: IConstruct): string {
	return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

const functionIdOf = (catalogId: string) => logicalId(stack.functions[catalogId]?.function as IConstruct);
const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const resourcesOf = (st: Statement) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]);

/** The statements of the policies attached to a role. */
function statementsOfRole(roleId: string): Statement[] {
	return Object.values(resources)
		.filter((r) => r.Type === "AWS::IAM::Policy" && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
		.flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function roleOfFunction(catalogId: string): string {
	const fn = resources[functionIdOf(catalogId)];
	if (!fn) throw new Error(`no function ${catalogId} in the template`);
	return (fn.Properties.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
}

const tableId = logicalId(stack.data.table);
const tableArn = JSON.stringify({ "Fn::GetAtt": [tableId, "Arn"] });
const indexArn = (index: string) => JSON.stringify({ "Fn::Join": ["", [{ "Fn::GetAtt": [tableId, "Arn"] }, `/index/${index}`]] });

/**
 * What a role may do in DynamoDB, one line per action and resource: `GetItem` on the table,
 * `Query gsi1` on that index, `DeleteItem PARKED#*` on the table's items whose partition key
 * is like that (dynamodb:LeadingKeys). Anything else is written out raw, so it fails below.
 */
function tableAccessOf(roleId: string): string[] {
	return statementsOfRole(roleId)
		.filter((st) => st.Effect === "Allow" && actionsOf(st).some((a) => a.startsWith("dynamodb:")))
		.flatMap((st) => {
			let only = "";
			if (st.Condition !== undefined) {
				const { "ForAllValues:StringLike": like, ...others } = st.Condition;
				const leading = like?.["dynamodb:LeadingKeys"];
				only =
					Object.keys(others).length === 0 && Object.keys(like ?? {}).length === 1 && Array.isArray(leading)
						? ` ${leading.join(",")}`
						: ` if ${JSON.stringify(st.Condition)}`;
			}
			return actionsOf(st).flatMap((action) =>
				resourcesOf(st).map((resource) => {
					const text = JSON.stringify(resource);
					const where = text === tableArn ? "" : text === indexArn("gsi1") ? " gsi1" : text === indexArn("gsi2") ? " gsi2" : ` on ${text}`;
					return `${action.replace(/^dynamodb:/, action.startsWith("dynamodb:") ? "" : "(not DynamoDB) ")}${where}${only}`;
				}),
			);
		})
		.sort();
}

/**
 * Each function's DynamoDB actions, traced from its handler through shared/ (a transaction
 * needs the action of each of its items: PutItem, UpdateItem, DeleteItem, ConditionCheckItem).
 * Bare: on the table; `gsi1`/`gsi2`: Query on that index; `PARKED#*`: only items whose
 * partition key is like that. Written out, so a widened grant fails here.
 */
const importing = ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem", "BatchWriteItem"];
const expectedTableAccess: Record<string, readonly string[]> = {
	StartBillingCycle: [],
	ResolveBillingPeriod: [],
	IdentifyOutstandingAccounts: ["Query gsi1"],
	GenerateInvoices: ["GetItem", "BatchGetItem", "Query", "Query gsi1", "PutItem", "UpdateItem", "ConditionCheckItem"],
	// Releases a delivery claim whose send failed (DeleteItem); writes no ledger entry, so never checks the books' lock.
	DeliverInvoices: ["GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem"],
	AssemblePrintBatch: ["BatchGetItem", "Query gsi2"],
	RecordRunFailure: ["PutItem"],
	SummarizeInvoicing: ["GetItem", "Query", "Query gsi2"],
	// Applies parked refunds and disputes, taking each off its queue (DeleteItem on PARKED# items only).
	ReconcilePayments: [
		"GetItem",
		"BatchGetItem",
		"Query",
		"Query gsi1",
		"Query gsi2",
		"PutItem",
		"UpdateItem",
		"DeleteItem PARKED#*",
		"ConditionCheckItem",
	],
	VerifyLedgers: ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "ConditionCheckItem"],
	EscalateOverdueAccounts: ["GetItem", "BatchGetItem", "Query", "Query gsi1", "Query gsi2", "PutItem", "UpdateItem", "ConditionCheckItem"],
	SummarizeAccountReview: ["Query gsi1", "PutItem"],
	PublishReports: ["GetItem", "Query gsi1"],
	// Internet-facing: no Scan, no BatchWriteItem; it deletes only a parked refund or dispute as the payment it waited for arrives.
	PaymentWebhook: ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem PARKED#*", "ConditionCheckItem"],
	// The imports: conditional claims (transactions), charge pages in batches, and an idempotency record; never a Scan.
	ImportFile: importing,
	DataApi: importing,
};

describe("DynamoDB access per function", () => {
	it("has an expectation for every function of the catalog", () => {
		expect(Object.keys(expectedTableAccess).sort()).toEqual(functionCatalog.map((f) => f.id).sort());
	});

	for (const spec of functionCatalog) {
		it(`${spec.id} may take exactly the actions its code uses, on the table and the indexes it queries`, () => {
			expect(tableAccessOf(roleOfFunction(spec.id))).toEqual([...(expectedTableAccess[spec.id] ?? ["(no expectation written)"])].sort());
		});
	}

	it("no role of the stack may Scan the table, and none but the functions' touches it", () => {
		const statements = Object.entries(resources)
			.filter(([, r]) => r.Type === "AWS::IAM::Policy")
			.map(([id, r]) => [id, (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement] as const);
		const scanning = statements.filter(([, sts]) => sts.some((st) => actionsOf(st).some((a) => /^dynamodb:(Scan|\*)$/.test(a))));
		expect(scanning.map(([id]) => id)).toEqual([]);
		const functionRoles = new Set(functionCatalog.map((f) => roleOfFunction(f.id)));
		const others = Object.entries(resources)
			.filter(([id, r]) => r.Type === "AWS::IAM::Role" && !functionRoles.has(id))
			.filter(([id]) => tableAccessOf(id).length > 0)
			.map(([id]) => id);
		expect(others).toEqual([]);
	});
});
