import { readFileSync } from "node:fs";
import type { CfnElement } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { functionCatalog } from "../../functions/catalog.js";
import { buildBillingApp } from "../../infra/billing-app.js";
import { stubDeskAppDir } from "../support/desk-stack.js";

/**
 * DESIGN.md section 15: each function holds only the DynamoDB actions its code uses, and
 * failed asynchronous work lands in a dead-letter queue with an alarm.
 */

type Json = Record<string, unknown>;
type Statement = { Action: string | string[]; Effect: string; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

const cdkJson = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as { context: Json };
const context = { ...cdkJson.context, "aws:cdk:bundling-stacks": [] };
const { stack } = buildBillingApp({ deskAppDir: stubDeskAppDir(), context });
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
const streamArn = JSON.stringify({ "Fn::GetAtt": [tableId, "StreamArn"] });
const indexArn = (index: string) => JSON.stringify({ "Fn::Join": ["", [{ "Fn::GetAtt": [tableId, "Arn"] }, `/index/${index}`]] });

/**
 * What a role may do in DynamoDB, one line per action and resource: `GetItem` on the table,
 * `Query gsi1` on that index, `GetRecords stream` on the table's stream, `DeleteItem PARKED#*`
 * on the table's items whose partition key is like that (dynamodb:LeadingKeys). Anything else
 * is written out raw, so it fails below. Only the DynamoDB actions of a statement count: CDK
 * merges statements on the same resource, so dynamodb:ListStreams on `*` shares one with X-Ray's.
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
			const places: Record<string, string> = {
				[tableArn]: "",
				[indexArn("gsi1")]: " gsi1",
				[indexArn("gsi2")]: " gsi2",
				[streamArn]: " stream",
			};
			return actionsOf(st)
				.filter((action) => action.startsWith("dynamodb:"))
				.flatMap((action) =>
					resourcesOf(st).map((resource) => {
						const text = JSON.stringify(resource);
						return `${action.replace(/^dynamodb:/, "")}${places[text] ?? ` on ${text}`}${only}`;
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
const importing = ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"];
const expectedTableAccess: Record<string, readonly string[]> = {
	StartBillingCycle: [],
	ResolveBillingPeriod: [],
	// The accounts (gsi1), and the imports writing (the table's key): a run waits for them.
	IdentifyOutstandingAccounts: ["Query", "Query gsi1"],
	GenerateInvoices: ["GetItem", "BatchGetItem", "Query", "Query gsi1", "PutItem", "UpdateItem", "ConditionCheckItem"],
	// Releases a delivery claim whose send failed (DeleteItem); writes no ledger entry, so never checks the books' lock.
	DeliverInvoices: ["GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem"],
	AssemblePrintBatch: ["BatchGetItem", "Query gsi2"],
	RecordRunFailure: ["PutItem"],
	RecordRunOutcome: ["PutItem"],
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
	// Reads the account an email's tags name; writes the report's record, the account's mark and its audit entry (one transaction).
	EmailEvents: ["GetItem", "PutItem", "UpdateItem"],
	// The imports: conditional claims and charge pages (transactions), the lease, an idempotency record; never a Scan or a batch write.
	ImportFile: importing,
	DataApi: importing,
	// The import job: Check File reads only the bucket; the partition checks read accounts, invoiced months and charge books;
	// Summarize Checks takes the lease; Write Partitions writes as an import does; Record Import records it and ends the lease.
	CheckImportFile: [],
	CheckImportPartitions: ["GetItem", "BatchGetItem", "Query"],
	SummarizeImportChecks: ["PutItem"],
	WriteImportPartitions: importing,
	// The lease is their one delete.
	RecordImport: ["PutItem", "DeleteItem IMPORTS_WRITING*"],
	RecordImportFailure: ["DeleteItem IMPORTS_WRITING*"],
	// The desk's operations (transactions of puts, updates and checks), its listings and queues, and an upload's import,
	// whose writing lease is its one delete.
	DeskApi: [
		"GetItem",
		"BatchGetItem",
		"Query",
		"Query gsi1",
		"Query gsi2",
		"PutItem",
		"UpdateItem",
		"DeleteItem IMPORTS_WRITING*",
		"ConditionCheckItem",
	],
	// Billing events out: the publisher numbers events (read, then two updates in a transaction), lists the endpoints and
	// puts their deliveries; an attempt claims and records its delivery and changes its endpoint; the sweep reads the due queue.
	// The publisher also reads the table's stream, as its event source mapping needs (ListStreams has no resource-level permission).
	PublishBillingEvents: [
		"GetItem",
		"Query gsi1",
		"PutItem",
		"UpdateItem",
		"DescribeStream stream",
		"GetRecords stream",
		"GetShardIterator stream",
		'ListStreams on "*"',
	],
	DeliverWebhooks: ["GetItem", "PutItem", "UpdateItem"],
	QueueDueWebhooks: ["Query gsi2"],
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

describe("dead letters of asynchronous invocations", () => {
	const topicRef = { Ref: logicalId(stack.monitoring.topic) };

	function queueProperties(queueId: string): Json {
		const queue = resources[queueId];
		expect(queue?.Type).toBe("AWS::SQS::Queue");
		return queue?.Properties ?? {};
	}

	function expectEncryptedQueueRefusingPlainHttp(queueId: string): void {
		expect(queueProperties(queueId)).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
		template.hasResourceProperties("AWS::SQS::QueuePolicy", {
			Queues: [{ Ref: queueId }],
			PolicyDocument: {
				Statement: Match.arrayWith([
					Match.objectLike({ Effect: "Deny", Action: "sqs:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
				]),
			},
		});
	}

	function expectAlarmOnMessages(queueId: string): void {
		template.hasResourceProperties("AWS::CloudWatch::Alarm", {
			Namespace: "AWS/SQS",
			MetricName: "ApproximateNumberOfMessagesVisible",
			Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [queueId, "QueueName"] } }],
			Statistic: "Maximum",
			Threshold: 1,
			ComparisonOperator: "GreaterThanOrEqualToThreshold",
			TreatMissingData: "notBreaching",
			AlarmActions: [topicRef],
		});
	}

	function onFailureOf(catalogId: string): unknown {
		const configs = Object.values(resources).filter(
			(r) =>
				r.Type === "AWS::Lambda::EventInvokeConfig" &&
				JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: functionIdOf(catalogId) }),
		);
		expect(configs, `${catalogId}'s event invoke config`).toHaveLength(1);
		return configs[0]?.Properties;
	}

	it("a failed import of a file (after Lambda's two retries) lands in an encrypted dead-letter queue that keeps it 14 days", () => {
		const queueId = logicalId(stack.dataImport.deadLetterQueue);
		expect(onFailureOf("ImportFile")).toEqual({
			FunctionName: { Ref: functionIdOf("ImportFile") },
			Qualifier: "$LATEST",
			MaximumRetryAttempts: 2,
			DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queueId, "Arn"] } } },
		});
		expectEncryptedQueueRefusingPlainHttp(queueId);
		// The function's role may send to that queue (the destination is sent with it), and nothing else of SQS.
		const sqsStatements = statementsOfRole(roleOfFunction("ImportFile")).filter((st) => actionsOf(st).some((a) => a.startsWith("sqs:")));
		expect(sqsStatements.flatMap(resourcesOf)).toEqual([{ "Fn::GetAtt": [queueId, "Arn"] }]);
	});

	it("an event EventBridge could not deliver to the import lands in the same queue", () => {
		const queueId = logicalId(stack.dataImport.deadLetterQueue);
		template.hasResourceProperties("AWS::Events::Rule", {
			Targets: [
				Match.objectLike({
					Arn: { "Fn::GetAtt": [functionIdOf("ImportFile"), "Arn"] },
					DeadLetterConfig: { Arn: { "Fn::GetAtt": [queueId, "Arn"] } },
				}),
			],
		});
		template.hasResourceProperties("AWS::SQS::QueuePolicy", {
			Queues: [{ Ref: queueId }],
			PolicyDocument: {
				Statement: Match.arrayWith([
					Match.objectLike({ Effect: "Allow", Action: "sqs:SendMessage", Principal: { Service: "events.amazonaws.com" } }),
				]),
			},
		});
	});

	it("alarms on the topic as soon as a failed import is in the queue", () => {
		expectAlarmOnMessages(logicalId(stack.dataImport.deadLetterQueue));
	});

	it("a failed scheduled start (Scheduler invokes StartBillingCycle asynchronously) lands in the schedule's dead-letter queue, alarmed", () => {
		const queueId = logicalId(stack.schedule.deadLetterQueue);
		expect(onFailureOf("StartBillingCycle")).toMatchObject({
			MaximumRetryAttempts: 2,
			DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queueId, "Arn"] } } },
		});
		expectEncryptedQueueRefusingPlainHttp(queueId);
		expectAlarmOnMessages(queueId);
	});

	it("an SES email event (a bounce, a complaint) not recorded after Lambda's two retries, or not deliverable by EventBridge, lands in an encrypted dead-letter queue, alarmed", () => {
		const queueId = logicalId(stack.emailEvents.deadLetterQueue);
		expect(onFailureOf("EmailEvents")).toEqual({
			FunctionName: { Ref: functionIdOf("EmailEvents") },
			Qualifier: "$LATEST",
			MaximumRetryAttempts: 2,
			DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [queueId, "Arn"] } } },
		});
		template.hasResourceProperties("AWS::Events::Rule", {
			EventPattern: Match.objectLike({ source: ["aws.ses"] }),
			Targets: [
				Match.objectLike({
					Arn: { "Fn::GetAtt": [functionIdOf("EmailEvents"), "Arn"] },
					DeadLetterConfig: { Arn: { "Fn::GetAtt": [queueId, "Arn"] } },
				}),
			],
		});
		expectEncryptedQueueRefusingPlainHttp(queueId);
		expectAlarmOnMessages(queueId);
		const sqsStatements = statementsOfRole(roleOfFunction("EmailEvents")).filter((st) => actionsOf(st).some((a) => a.startsWith("sqs:")));
		expect(sqsStatements.flatMap(resourcesOf)).toEqual([{ "Fn::GetAtt": [queueId, "Arn"] }]);
	});

	it("every function invoked asynchronously has an on-failure destination, but the every-minute sweep; none invoked synchronously needs one", () => {
		const configs = Object.values(resources).filter((r) => r.Type === "AWS::Lambda::EventInvokeConfig");
		const catalogIdOf = (r: { Properties: Json }) =>
			functionCatalog.find((f) => JSON.stringify({ Ref: functionIdOf(f.id) }) === JSON.stringify(r.Properties.FunctionName))?.id;
		// Asynchronous: EventBridge (files put under imports/, SES's email events) and EventBridge Scheduler (the monthly
		// start, the sweep of due webhook deliveries). The state machine, the webhook API, the data API and the desk API
		// invoke synchronously.
		expect(configs.map(catalogIdOf).sort()).toEqual(["EmailEvents", "ImportFile", "QueueDueWebhooks", "StartBillingCycle"]);
		for (const config of configs.filter((r) => catalogIdOf(r) !== "QueueDueWebhooks")) {
			expect(config.Properties, catalogIdOf(config)).toHaveProperty("DestinationConfig.OnFailure.Destination");
		}
		// The sweep holds nothing to replay: the next minute's sweep queues what this one did not, so it is neither
		// retried nor dead-lettered, and its alarms say when sweeps fail or stop (test/infra/billing-events.test.ts).
		const sweep = configs.find((r) => catalogIdOf(r) === "QueueDueWebhooks");
		expect(sweep?.Properties).toEqual({
			FunctionName: { Ref: functionIdOf("QueueDueWebhooks") },
			Qualifier: "$LATEST",
			MaximumRetryAttempts: 0,
			MaximumEventAgeInSeconds: 60,
		});
	});

	it("the stream and queue the functions poll: a batch the publisher cannot publish lands in an encrypted queue, alarmed; delivery messages are redriven to one", () => {
		const mappings = Object.values(resources).filter((r) => r.Type === "AWS::Lambda::EventSourceMapping");
		const byFunction = Object.fromEntries(
			mappings.map((r) => [
				functionCatalog.find((f) => JSON.stringify({ Ref: functionIdOf(f.id) }) === JSON.stringify(r.Properties.FunctionName))?.id,
				r.Properties,
			]),
		);
		expect(Object.keys(byFunction).sort()).toEqual(["DeliverWebhooks", "PublishBillingEvents"]);
		expect(mappings).toHaveLength(2);
		const streamFailuresId = logicalId(stack.billingEvents.streamFailures);
		expect(byFunction.PublishBillingEvents).toMatchObject({
			EventSourceArn: JSON.parse(streamArn),
			DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [streamFailuresId, "Arn"] } } },
		});
		expectEncryptedQueueRefusingPlainHttp(streamFailuresId);
		expectAlarmOnMessages(streamFailuresId);
		const deliveryDeadLettersId = logicalId(stack.billingEvents.deliveryDeadLetterQueue);
		expect(queueProperties(logicalId(stack.billingEvents.deliveryQueue)).RedrivePolicy).toMatchObject({
			deadLetterTargetArn: { "Fn::GetAtt": [deliveryDeadLettersId, "Arn"] },
		});
		expectEncryptedQueueRefusingPlainHttp(deliveryDeadLettersId);
		expectAlarmOnMessages(deliveryDeadLettersId);
	});
});

describe("the alarm topic's subscriber", () => {
	const warning = Match.stringLikeRegexp("alarm topic has no subscriber.*-c alarmEmail=");

	it("warns at synth when no alarmEmail is set: nobody would hear an alarm", () => {
		Annotations.fromStack(stack).hasWarning(`/${stack.stackName}/Monitoring`, warning);
		expect(Object.values(resources).filter((r) => r.Type === "AWS::SNS::Subscription")).toEqual([]);
	});

	it("does not warn when -c alarmEmail is set, and subscribes that address", () => {
		const withEmail = buildBillingApp({ deskAppDir: stubDeskAppDir(), context: { ...context, alarmEmail: "ops@example.com" } }).stack;
		Annotations.fromStack(withEmail).hasNoWarning("*", warning);
		Template.fromStack(withEmail).hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "ops@example.com" });
	});
});
