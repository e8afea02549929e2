import { readFileSync } from "node:fs";
import type { CfnElement } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { buildBillingApp } from "../../infra/billing-app.js";
import { BillingEvents } from "../../infra/constructs/billing-events.js";
import { EVENT_SOURCE } from "../../shared/publishing/publisher.js";
import { EVENT_RECORD_FILTER } from "../../shared/publishing/stream-records.js";
import { stubDeskAppDir } from "../support/desk-stack.js";

/** Billing events out, deployed (DESIGN.md section 14; issue 23, item 5): the stream, the bus, the queues, the alarms. */

type Json = Record<string, unknown>;
type Statement = { Action: string | string[]; Effect: string; Resource: unknown; Condition?: Json };

const cdkJson = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as { context: Json };
const { stack } = buildBillingApp({ deskAppDir: stubDeskAppDir(), context: { ...cdkJson.context, "aws:cdk:bundling-stacks": [] } });
// Synthesizes the app, which runs cdk-nag: unacknowledged findings throw here.
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
const events = stack.billingEvents;

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const arnOf = (construct: IConstruct) => ({ "Fn::GetAtt": [logicalId(construct), "Arn"] });
const refOf = (construct: IConstruct) => ({ Ref: logicalId(construct) });
const fn = (catalogId: string) => {
	const found = stack.functions[catalogId];
	if (!found) throw new Error(`no function ${catalogId}`);
	return found;
};
const propertiesOf = (construct: IConstruct): Json => {
	const resource = resources[logicalId(construct)];
	if (!resource) throw new Error(`${construct.node.path} is not in the template`);
	return resource.Properties;
};
const variablesOf = (catalogId: string) => (propertiesOf(fn(catalogId).function).Environment as { Variables: Json }).Variables;
const timeoutOf = (catalogId: string) => propertiesOf(fn(catalogId).function).Timeout as number;

const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const resourcesOf = (st: Statement) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]);

/** The statements of the policies attached to a role. */
function statementsOfRole(role: IConstruct): Statement[] {
	const roleRef = JSON.stringify([refOf(role)]);
	return Object.values(resources)
		.filter((r) => r.Type === "AWS::IAM::Policy" && JSON.stringify(r.Properties.Roles) === roleRef)
		.flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** A role's SQS and EventBridge grants, `action resource` each, sorted. */
function queueAndBusGrantsOf(role: IConstruct): string[] {
	return statementsOfRole(role)
		.filter((st) => st.Effect === "Allow")
		.flatMap((st) =>
			actionsOf(st)
				.filter((action) => /^(sqs|events):/.test(action))
				.flatMap((action) => resourcesOf(st).map((resource) => `${action} ${JSON.stringify(resource)}`)),
		)
		.sort();
}

function eventSourceMappingOf(catalogId: string): Json {
	const mappings = Object.values(resources).filter(
		(r) =>
			r.Type === "AWS::Lambda::EventSourceMapping" &&
			JSON.stringify(r.Properties.FunctionName) === JSON.stringify(refOf(fn(catalogId).function)),
	);
	expect(mappings, `${catalogId}'s event source mappings`).toHaveLength(1);
	return mappings[0]?.Properties ?? {};
}

function expectEncryptedQueueRefusingPlainHttp(queue: IConstruct): void {
	expect(propertiesOf(queue)).toMatchObject({ SqsManagedSseEnabled: true });
	template.hasResourceProperties("AWS::SQS::QueuePolicy", {
		Queues: [refOf(queue)],
		PolicyDocument: {
			Statement: Match.arrayWith([
				Match.objectLike({ Effect: "Deny", Action: "sqs:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
			]),
		},
	});
}

const topic = refOf(stack.monitoring.topic);
const fiveMinutes = 300;

describe("the table's stream to the publisher", () => {
	it("streams the table's new images (what the embedded stream reader reads too)", () => {
		expect(propertiesOf(stack.data.table).StreamSpecification).toEqual({ StreamViewType: "NEW_IMAGE" });
	});

	it("gives PublishBillingEvents the stream's event items only, through the same filter the embedded reader applies", () => {
		const mapping = eventSourceMappingOf("PublishBillingEvents");
		expect(mapping.EventSourceArn).toEqual({ "Fn::GetAtt": [logicalId(stack.data.table), "StreamArn"] });
		const filters = (mapping.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
		expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([EVENT_RECORD_FILTER]);
	});

	it("reads each shard from its oldest record, one batch at a time, so each object's events are numbered in commit order", () => {
		expect(eventSourceMappingOf("PublishBillingEvents")).toMatchObject({
			StartingPosition: "TRIM_HORIZON",
			BatchSize: 100,
			MaximumBatchingWindowInSeconds: 1,
			ParallelizationFactor: 1,
		});
	});

	it("retries a failed batch, in order, for 12 hours (within the stream's 24), then names it in an encrypted failure queue instead of letting it expire", () => {
		const mapping = eventSourceMappingOf("PublishBillingEvents");
		expect(mapping).toMatchObject({
			MaximumRetryAttempts: -1,
			MaximumRecordAgeInSeconds: 12 * 3600,
			BisectBatchOnFunctionError: true,
			DestinationConfig: { OnFailure: { Destination: arnOf(events.streamFailures) } },
		});
		expect(mapping.MaximumRecordAgeInSeconds as number).toBeLessThan(24 * 3600);
		// A partial batch response would let later events of an object through before an earlier one.
		expect(mapping).not.toHaveProperty("FunctionResponseTypes");
		expectEncryptedQueueRefusingPlainHttp(events.streamFailures);
		expect(propertiesOf(events.streamFailures).MessageRetentionPeriod).toBe(14 * 24 * 3600);
	});
});

describe("the event bus", () => {
	it("is a custom bus named after the stack, whose archive keeps every billing event 365 days", () => {
		expect(propertiesOf(events.bus)).toMatchObject({ Name: `${stack.stackName}-billing-events` });
		expect(propertiesOf(events.archive)).toMatchObject({
			SourceArn: arnOf(events.bus),
			EventPattern: { source: ["billing"] },
			RetentionDays: 365,
		});
	});

	it("archives the source the publisher puts events with", () => {
		expect(BillingEvents.EVENT_SOURCE).toBe(EVENT_SOURCE);
	});

	it("is named to the publisher, the one function that may put events on it", () => {
		expect(variablesOf("PublishBillingEvents").EVENT_BUS_NAME).toEqual(refOf(events.bus));
		const putters = Object.entries(resources)
			.filter(([, r]) => r.Type === "AWS::IAM::Policy")
			.filter(([, r]) =>
				(r.Properties.PolicyDocument as { Statement: Statement[] }).Statement.some((st) => actionsOf(st).includes("events:PutEvents")),
			)
			.map(([, r]) => r.Properties.Roles);
		expect(putters).toEqual([[refOf(fn("PublishBillingEvents").role)]]);
	});
});

describe("the webhook delivery queue", () => {
	it("is encrypted, refuses plain HTTP, and hides a message six times the delivery function's timeout", () => {
		expectEncryptedQueueRefusingPlainHttp(events.deliveryQueue);
		expect(propertiesOf(events.deliveryQueue).VisibilityTimeout).toBe(6 * timeoutOf("DeliverWebhooks"));
	});

	it("dead-letters a message DeliverWebhooks failed to handle 5 times, into an encrypted queue that keeps it 14 days", () => {
		expect(propertiesOf(events.deliveryQueue).RedrivePolicy).toEqual({
			deadLetterTargetArn: arnOf(events.deliveryDeadLetterQueue),
			maxReceiveCount: 5,
		});
		expectEncryptedQueueRefusingPlainHttp(events.deliveryDeadLetterQueue);
		expect(propertiesOf(events.deliveryDeadLetterQueue).MessageRetentionPeriod).toBe(14 * 24 * 3600);
	});

	it("feeds DeliverWebhooks batches it can post within its timeout, reporting each failed message, at most 10 invocations at once", () => {
		const mapping = eventSourceMappingOf("DeliverWebhooks");
		expect(mapping).toMatchObject({
			EventSourceArn: arnOf(events.deliveryQueue),
			FunctionResponseTypes: ["ReportBatchItemFailures"],
			ScalingConfig: { MaximumConcurrency: 10 },
		});
		// Each message is one POST of up to BILLING_WEBHOOK_TIMEOUT_MS, one after another.
		const attemptMs = Number(variablesOf("DeliverWebhooks").BILLING_WEBHOOK_TIMEOUT_MS);
		expect(attemptMs).toBe(10_000);
		const batchSize = mapping.BatchSize as number;
		expect(batchSize).toBeGreaterThanOrEqual(1);
		expect(batchSize * attemptMs).toBeLessThan(timeoutOf("DeliverWebhooks") * 1000);
	});

	it("is named to the publisher and the sweep, which may only send to it; the delivery function may only take from it", () => {
		const queueArn = JSON.stringify(arnOf(events.deliveryQueue));
		const failuresArn = JSON.stringify(arnOf(events.streamFailures));
		expect(variablesOf("PublishBillingEvents").WEBHOOK_DELIVERY_QUEUE_URL).toEqual(refOf(events.deliveryQueue));
		expect(variablesOf("QueueDueWebhooks").WEBHOOK_DELIVERY_QUEUE_URL).toEqual(refOf(events.deliveryQueue));
		expect(queueAndBusGrantsOf(fn("PublishBillingEvents").role)).toEqual(
			[
				`events:PutEvents ${JSON.stringify(arnOf(events.bus))}`,
				`sqs:SendMessage ${queueArn}`,
				// The stream's on-failure destination: Lambda sends it with the function's role (CDK's grant).
				`sqs:GetQueueAttributes ${failuresArn}`,
				`sqs:GetQueueUrl ${failuresArn}`,
				`sqs:SendMessage ${failuresArn}`,
			].sort(),
		);
		expect(queueAndBusGrantsOf(fn("QueueDueWebhooks").role)).toEqual([`sqs:SendMessage ${queueArn}`]);
		const deadLettersArn = JSON.stringify(arnOf(events.webhookDeadLetters));
		expect(queueAndBusGrantsOf(fn("DeliverWebhooks").role)).toEqual(
			[
				...["ChangeMessageVisibility", "DeleteMessage", "GetQueueAttributes", "GetQueueUrl", "ReceiveMessage"].map(
					(action) => `sqs:${action} ${queueArn}`,
				),
				`sqs:SendMessage ${deadLettersArn}`,
			].sort(),
		);
	});
});

describe("the webhook dead letters", () => {
	it("is an encrypted queue, kept 14 days, that DeliverWebhooks sends a delivery given up after 3 days to", () => {
		expectEncryptedQueueRefusingPlainHttp(events.webhookDeadLetters);
		expect(propertiesOf(events.webhookDeadLetters).MessageRetentionPeriod).toBe(14 * 24 * 3600);
		expect(variablesOf("DeliverWebhooks").WEBHOOK_DEAD_LETTER_QUEUE_URL).toEqual(refOf(events.webhookDeadLetters));
	});
});

describe("the sweep of due deliveries", () => {
	it("runs QueueDueWebhooks every minute through EventBridge Scheduler, without retries: the next minute is the retry", () => {
		expect(propertiesOf(events.sweepSchedule)).toMatchObject({
			ScheduleExpression: "rate(1 minute)",
			FlexibleTimeWindow: { Mode: "OFF" },
			State: "ENABLED",
			Target: {
				Arn: arnOf(fn("QueueDueWebhooks").function),
				RoleArn: arnOf(events.sweepRole),
				RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
			},
		});
		template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
			FunctionName: refOf(fn("QueueDueWebhooks").function),
			MaximumRetryAttempts: 0,
			MaximumEventAgeInSeconds: 60,
		});
	});

	it("gives the schedule a role only this account's default schedule group assumes, that may invoke only QueueDueWebhooks", () => {
		const role = propertiesOf(events.sweepRole) as { AssumeRolePolicyDocument: { Statement: Statement[] } };
		expect(role.AssumeRolePolicyDocument.Statement).toEqual([
			expect.objectContaining({
				Action: "sts:AssumeRole",
				Principal: { Service: "scheduler.amazonaws.com" },
				Condition: {
					StringEquals: {
						"aws:SourceAccount": { Ref: "AWS::AccountId" },
						"aws:SourceArn": expect.objectContaining({ "Fn::Join": expect.anything() }),
					},
				},
			}),
		]);
		expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain(":schedule-group/default");
		const functionArn = arnOf(fn("QueueDueWebhooks").function);
		expect(statementsOfRole(events.sweepRole)).toEqual([
			{ Action: "lambda:InvokeFunction", Effect: "Allow", Resource: [functionArn, { "Fn::Join": ["", [functionArn, ":*"]] }] },
		]);
	});
});

describe("the alarms (to the stack's alarm topic)", () => {
	const alarm = (construct: IConstruct) => propertiesOf(construct);
	const lambdaMetric = (catalogId: string, metricName: string, statistic: string) => ({
		Namespace: "AWS/Lambda",
		MetricName: metricName,
		Dimensions: [{ Name: "FunctionName", Value: refOf(fn(catalogId).function) }],
		Statistic: statistic,
		Period: fiveMinutes,
	});
	const deadLetters = (queue: IConstruct) => ({
		Namespace: "AWS/SQS",
		MetricName: "ApproximateNumberOfMessagesVisible",
		Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [logicalId(queue), "QueueName"] } }],
		Statistic: "Maximum",
		Period: fiveMinutes,
		Threshold: 1,
		ComparisonOperator: "GreaterThanOrEqualToThreshold",
		TreatMissingData: "notBreaching",
		AlarmActions: [topic],
	});

	it("on any error of the publisher", () => {
		expect(alarm(events.publishErrorsAlarm)).toMatchObject({
			...lambdaMetric("PublishBillingEvents", "Errors", "Sum"),
			Threshold: 1,
			ComparisonOperator: "GreaterThanOrEqualToThreshold",
			AlarmActions: [topic],
		});
	});

	it("on the stream's lag (iterator age) reaching five minutes", () => {
		expect(alarm(events.streamLagAlarm)).toMatchObject({
			...lambdaMetric("PublishBillingEvents", "IteratorAge", "Maximum"),
			Threshold: 5 * 60 * 1000,
			ComparisonOperator: "GreaterThanOrEqualToThreshold",
			AlarmActions: [topic],
		});
	});

	it("as soon as a stream batch is skipped, a delivery message is dead-lettered, or a delivery is given up", () => {
		expect(alarm(events.streamFailuresAlarm)).toMatchObject(deadLetters(events.streamFailures));
		expect(alarm(events.deliveryDeadLettersAlarm)).toMatchObject(deadLetters(events.deliveryDeadLetterQueue));
		expect(alarm(events.webhookDeadLettersAlarm)).toMatchObject(deadLetters(events.webhookDeadLetters));
	});

	it("when sweeps fail (3 in five minutes) or stop running (none for ten minutes, also when no data comes)", () => {
		expect(alarm(events.sweepErrorsAlarm)).toMatchObject({
			...lambdaMetric("QueueDueWebhooks", "Errors", "Sum"),
			Threshold: 3,
			ComparisonOperator: "GreaterThanOrEqualToThreshold",
			AlarmActions: [topic],
		});
		expect(alarm(events.sweepNotRunningAlarm)).toMatchObject({
			...lambdaMetric("QueueDueWebhooks", "Invocations", "Sum"),
			Threshold: 1,
			EvaluationPeriods: 2,
			ComparisonOperator: "LessThanThreshold",
			TreatMissingData: "breaching",
			AlarmActions: [topic],
		});
	});
});

describe("least privilege on queues and buses", () => {
	it("no role of the stack may use an SQS or EventBridge action on every resource, or every action of either", () => {
		const broad = Object.entries(resources)
			.filter(([, r]) => r.Type === "AWS::IAM::Policy")
			.flatMap(([id, r]) =>
				(r.Properties.PolicyDocument as { Statement: Statement[] }).Statement.filter(
					(st) =>
						st.Effect === "Allow" &&
						actionsOf(st).some((a) => /^(sqs|events):/.test(a)) &&
						(resourcesOf(st).includes("*") || actionsOf(st).some((a) => /^(sqs|events):\*$/.test(a))),
				).map(() => id),
			);
		expect(broad).toEqual([]);
	});
});

describe("outputs", () => {
	it("give the bus's name and ARN (for consumers' rules) and the delivery dead-letter queue's URL", () => {
		const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
		expect(outputs.BillingEventBusName?.Value).toEqual(refOf(events.bus));
		expect(outputs.BillingEventBusArn?.Value).toEqual(arnOf(events.bus));
		expect(outputs.WebhookDeliveryDeadLetterQueueUrl?.Value).toEqual(refOf(events.deliveryDeadLetterQueue));
	});
});
