import { Duration, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { DynamoEventSource, SqsDlq, SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { webhookTimeoutMs } from "../../shared/platform/config.js";
import { EVENT_SOURCE } from "../../shared/publishing/publisher.js";
import { EVENT_RECORD_FILTER } from "../../shared/publishing/stream-records.js";
import { acknowledge, wildcardResource } from "../nag.js";
import type { BillingFunction } from "./billing-function.js";
import { alarmOnAny, alarmOnDeadLetters, deadLetterQueue } from "./operations.js";

export interface BillingEventsProps {
	/** The billing table, with its stream of new items (BillingData). */
	readonly table: dynamodb.ITable;
	/** PublishBillingEvents: numbers the stream's events, puts them on the bus, hands new deliveries to the queue. */
	readonly publisher: BillingFunction;
	/** DeliverWebhooks: one attempt of each delivery the queue gives it. */
	readonly deliverer: BillingFunction;
	/** QueueDueWebhooks: every minute, the deliveries due (retries, replays, lapsed claims) onto the queue. */
	readonly dueSweep: BillingFunction;
	readonly alarmTopic: sns.ITopic;
	/** Days the bus's archive keeps every billing event, for EventBridge replays. @default 365 */
	readonly archiveRetentionDays?: number;
	/** Delivery invocations at once: each posts its batch's webhooks one after another, so this caps the outbound requests. @default 10 */
	readonly deliveryConcurrency?: number;
}

/**
 * Billing events out, deployed (DESIGN.md section 14). The table's stream gives the outbox's
 * new events to the publisher, in commit order per shard; it puts each on a custom EventBridge
 * bus (archived) and queues a delivery for each webhook endpoint that takes it. The delivery
 * function takes the queue; a delivery given up after 3 days goes to the webhook dead letters.
 * A sweep every minute queues the retries that fall due. Every failure that would otherwise
 * be silent lands in a queue with an alarm; docs/deploying.md says what to do for each.
 */
export class BillingEvents extends Construct {
	/** The source the publisher puts every event on the bus with (functions/publish-billing-events/handler.ts). */
	static readonly EVENT_SOURCE = EVENT_SOURCE;
	/** A batch the publisher cannot publish is retried, in order, this long; then it is skipped and named in the stream's failure queue. */
	static readonly STREAM_RETRY_WINDOW = Duration.hours(12);
	/** The stream's lag that alarms: events reach receivers this late or later. */
	static readonly STREAM_LAG_ALARM = Duration.minutes(5);
	/** Receives of one delivery message before the queue dead-letters it (each failure is logged by DeliverWebhooks). */
	static readonly DELIVERY_MAX_RECEIVES = 5;
	/** Of a delivery invocation, what is left besides the posts: reading and recording each delivery. */
	private static readonly DELIVERY_TABLE_WORK = Duration.seconds(10);

	readonly bus: events.EventBus;
	readonly archive: events.Archive;
	/** What the stream could not give the publisher within STREAM_RETRY_WINDOW: the shard and the range of records skipped. */
	readonly streamFailures: sqs.Queue;
	readonly deliveryQueue: sqs.Queue;
	/** Delivery messages DeliverWebhooks failed to handle DELIVERY_MAX_RECEIVES times. */
	readonly deliveryDeadLetterQueue: sqs.Queue;
	/** Deliveries given up after the 3 days of retries (DeliverWebhooks sends them here). */
	readonly webhookDeadLetters: sqs.Queue;
	readonly sweepSchedule: scheduler.Schedule;
	readonly sweepRole: iam.Role;
	readonly publishErrorsAlarm: cloudwatch.Alarm;
	readonly streamLagAlarm: cloudwatch.Alarm;
	readonly streamFailuresAlarm: cloudwatch.Alarm;
	readonly deliveryDeadLettersAlarm: cloudwatch.Alarm;
	readonly webhookDeadLettersAlarm: cloudwatch.Alarm;
	readonly sweepErrorsAlarm: cloudwatch.Alarm;
	readonly sweepNotRunningAlarm: cloudwatch.Alarm;

	constructor(scope: Construct, id: string, props: BillingEventsProps) {
		super(scope, id);
		const stack = Stack.of(this);
		const { publisher, deliverer, dueSweep, alarmTopic } = props;
		const fiveMinutes = Duration.minutes(5);

		this.bus = new events.EventBus(this, "Bus", {
			eventBusName: `${stack.stackName}-billing-events`,
			description: "Every billing event (DESIGN.md section 14), source billing, detail-type the event's type: write rules on it",
		});
		this.archive = this.bus.archive("Archive", {
			description: "Every billing event, for replays to rules of this bus",
			eventPattern: { source: [BillingEvents.EVENT_SOURCE] },
			retention: Duration.days(props.archiveRetentionDays ?? 365),
		});

		this.deliveryDeadLetterQueue = deadLetterQueue(
			this,
			"DeliveryDeadLetterQueue",
			"the webhook delivery queue's redrive target: messages DeliverWebhooks failed to handle",
		);
		// AWS's rule: at least six times the function's timeout (plus any batching window, here none),
		// so a message is not given again while a slow invocation still holds it.
		this.deliveryQueue = new sqs.Queue(this, "DeliveryQueue", {
			encryption: sqs.QueueEncryption.SQS_MANAGED,
			enforceSSL: true,
			visibilityTimeout: Duration.seconds(6 * deliverer.spec.timeoutSeconds),
			retentionPeriod: Duration.days(4),
			deadLetterQueue: { queue: this.deliveryDeadLetterQueue, maxReceiveCount: BillingEvents.DELIVERY_MAX_RECEIVES },
		});
		this.webhookDeadLetters = deadLetterQueue(
			this,
			"WebhookDeadLetters",
			"the webhook deliveries given up after 3 days of retries, which DeliverWebhooks sends here",
		);
		this.streamFailures = deadLetterQueue(
			this,
			"StreamFailures",
			"the table stream's on-failure destination: the batches PublishBillingEvents could not publish",
		);

		// The publisher: the stream's event items only (the filter the embedded stream reader applies too).
		// One batch at a time per shard, so each object's events are numbered in commit order; a failed
		// batch fails whole and is given again, in order, until STREAM_RETRY_WINDOW, well within the
		// stream's 24 hours, then it goes to the failure queue instead of expiring unseen.
		publisher.function.addEventSource(
			new DynamoEventSource(props.table, {
				startingPosition: lambda.StartingPosition.TRIM_HORIZON,
				batchSize: 100,
				maxBatchingWindow: Duration.seconds(1),
				parallelizationFactor: 1,
				filters: [lambda.FilterCriteria.filter(EVENT_RECORD_FILTER)],
				maxRecordAge: BillingEvents.STREAM_RETRY_WINDOW,
				// Halves a failing batch, so what is finally skipped is the record that fails, not its neighbours.
				bisectBatchOnError: true,
				onFailure: new SqsDlq(this.streamFailures),
			}),
		);
		// No retry count: the age above is the one limit (CloudFormation's -1, which CDK's retryAttempts cannot say).
		const streamMapping = publisher.function.node.children.find((c) => c instanceof lambda.EventSourceMapping);
		if (!streamMapping) throw new Error("PublishBillingEvents has no event source mapping for the table stream");
		(streamMapping.node.defaultChild as lambda.CfnEventSourceMapping).addPropertyOverride("MaximumRetryAttempts", -1);
		publisher.function.addEnvironment("EVENT_BUS_NAME", this.bus.eventBusName);
		publisher.function.addEnvironment("WEBHOOK_DELIVERY_QUEUE_URL", this.deliveryQueue.queueUrl);
		this.bus.grantPutEventsTo(publisher.function);
		this.grantSend(publisher, this.deliveryQueue);
		acknowledge(
			publisher,
			wildcardResource(
				this,
				"*",
				"dynamodb:ListStreams, which Lambda's table stream mapping needs, has no resource-level permission; reading the records (DescribeStream, GetShardIterator, GetRecords) is granted on the billing table's stream only.",
			),
		);

		// The delivery: each invocation posts its messages one after another, each within the webhook
		// timeout, so the batch is what fits in the function's timeout with the table work to spare.
		const attemptMs = webhookTimeoutMs({});
		const deliveryBatch = Math.floor(
			(deliverer.spec.timeoutSeconds * 1000 - BillingEvents.DELIVERY_TABLE_WORK.toMilliseconds()) / attemptMs,
		);
		deliverer.function.addEventSource(
			new SqsEventSource(this.deliveryQueue, {
				batchSize: deliveryBatch,
				reportBatchItemFailures: true,
				maxConcurrency: props.deliveryConcurrency ?? 10,
			}),
		);
		deliverer.function.addEnvironment("BILLING_WEBHOOK_TIMEOUT_MS", String(attemptMs));
		deliverer.function.addEnvironment("WEBHOOK_DEAD_LETTER_QUEUE_URL", this.webhookDeadLetters.queueUrl);
		this.grantSend(deliverer, this.webhookDeadLetters);

		// The sweep: a missed minute is made up by the next one, so neither Scheduler nor Lambda retries it,
		// and nothing is dead-lettered; the alarms below say when sweeps fail or stop.
		dueSweep.function.addEnvironment("WEBHOOK_DELIVERY_QUEUE_URL", this.deliveryQueue.queueUrl);
		this.grantSend(dueSweep, this.deliveryQueue);
		dueSweep.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
		this.sweepRole = new iam.Role(this, "SweepRole", {
			description: "Lets EventBridge Scheduler invoke the QueueDueWebhooks function",
			assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com", {
				conditions: {
					StringEquals: {
						"aws:SourceAccount": stack.account,
						"aws:SourceArn": stack.formatArn({ service: "scheduler", resource: "schedule-group", resourceName: "default" }),
					},
				},
			}),
		});
		this.sweepSchedule = new scheduler.Schedule(this, "Sweep", {
			description: "Every minute: the webhook deliveries due onto the delivery queue",
			schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
			timeWindow: scheduler.TimeWindow.off(),
			target: new LambdaInvoke(dueSweep.function, {
				role: this.sweepRole,
				retryAttempts: 0,
				maxEventAge: Duration.minutes(1),
				input: scheduler.ScheduleTargetInput.fromObject({ source: "schedule" }),
			}),
		});
		acknowledge(
			this.sweepRole,
			wildcardResource(
				this,
				`${dueSweep.function.functionArn}:*`,
				"CDK's Lambda invoke grant also covers the QueueDueWebhooks function's versions and aliases; it is still that one function.",
			),
		);

		this.publishErrorsAlarm = alarmOnAny(
			this,
			"PublishErrors",
			publisher.function.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
			"Publishing billing events failed: the stream gives the batch again, in order, so nothing is lost yet, but events wait (and those behind them on the shard). Look at the PublishBillingEvents function's log; docs/deploying.md, Billing events.",
			alarmTopic,
		);
		this.streamLagAlarm = alarmOnAny(
			this,
			"StreamLag",
			publisher.function.metric("IteratorAge", { period: fiveMinutes, statistic: "Maximum" }),
			`Billing events reach the bus and the webhook endpoints ${BillingEvents.STREAM_LAG_ALARM.toMinutes()} minutes or more after the change (the stream's iterator age): the publisher is failing or falling behind. A batch still failing ${BillingEvents.STREAM_RETRY_WINDOW.toHours()} hours after its change is skipped; docs/deploying.md, Billing events.`,
			alarmTopic,
			BillingEvents.STREAM_LAG_ALARM.toMilliseconds(),
		);
		this.streamFailuresAlarm = alarmOnDeadLetters(
			this,
			"StreamFailuresQueued",
			this.streamFailures,
			`Billing events were skipped: the publisher failed on them for ${BillingEvents.STREAM_RETRY_WINDOW.toHours()} hours. They are still in the table, but not on the bus and not queued to webhook endpoints, and have no sequence. The message names the stream records' range and when; billing events list --since that time shows them; docs/deploying.md, Billing events.`,
			alarmTopic,
		);
		this.deliveryDeadLettersAlarm = alarmOnDeadLetters(
			this,
			"DeliveryMessagesDeadLettered",
			this.deliveryDeadLetterQueue,
			`DeliverWebhooks failed to handle a webhook delivery message ${BillingEvents.DELIVERY_MAX_RECEIVES} times (its log says why); the message (endpoint id, event id) is in the delivery dead-letter queue. Fix the cause, then billing events replay --endpoint ID --since the event's time.`,
			alarmTopic,
		);
		this.webhookDeadLettersAlarm = alarmOnDeadLetters(
			this,
			"WebhookDeadLettered",
			this.webhookDeadLetters,
			"A webhook endpoint did not take an event for 3 days: the delivery was given up (dead-lettered), and the endpoint is on the worklist. billing webhooks deliveries ID shows the attempts; once the receiver is fixed, billing events replay --endpoint ID --since T sends the events again.",
			alarmTopic,
		);
		this.sweepErrorsAlarm = alarmOnAny(
			this,
			"SweepErrors",
			dueSweep.function.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
			"The sweep that queues due webhook deliveries (retries, replays) failed 3 or more times in five minutes: retries are not being sent. Look at the QueueDueWebhooks function's log.",
			alarmTopic,
			3,
		);
		// Quiet Errors do not prove the sweep runs: Scheduler may fail to invoke it at all.
		this.sweepNotRunningAlarm = new cloudwatch.Alarm(this, "SweepNotRunning", {
			metric: dueSweep.function.metricInvocations({ period: fiveMinutes, statistic: "Sum" }),
			threshold: 1,
			evaluationPeriods: 2,
			comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
			treatMissingData: cloudwatch.TreatMissingData.BREACHING,
			alarmDescription:
				"The sweep that queues due webhook deliveries (QueueDueWebhooks) has not run for ten minutes: retries and replays are not being sent. Check its schedule in EventBridge Scheduler and its role.",
		});
		this.sweepNotRunningAlarm.addAlarmAction(new SnsAction(alarmTopic));
	}

	/** sqs:SendMessage (which SendMessageBatch needs too) on the queue, and nothing else of SQS. */
	private grantSend(fn: BillingFunction, queue: sqs.IQueue): void {
		fn.function.addToRolePolicy(new iam.PolicyStatement({ actions: ["sqs:SendMessage"], resources: [queue.queueArn] }));
	}
}
