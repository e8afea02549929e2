import { Annotations, Duration, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { runMetrics } from "../../shared/platform/metrics.js";
import { alarmOnAny, alarmOnDeadLetters } from "./operations.js";
import type { PaymentWebhookApi } from "./payment-webhook-api.js";

export interface MonitoringProps {
	readonly stateMachine: sfn.IStateMachine;
	readonly webhookFunction: lambda.IFunction;
	/** The API payment processors post to: its 5xx answers and its access log's 401s are alarmed. */
	readonly webhookApi: Pick<PaymentWebhookApi, "api" | "accessLogGroup">;
	readonly startBillingCycleFunction: lambda.IFunction;
	readonly scheduleDeadLetterQueue: sqs.IQueue;
	/** Subscribed to the alarm topic when set; without it, synth warns that nobody hears an alarm. */
	readonly alarmEmail?: string;
}

/** A burst of 401s on the webhook API in five minutes: a wrong or rotated signing secret, not a stray forged request. */
export const WEBHOOK_UNAUTHORIZED_BURST = 10;

/**
 * Alarms an operator acts on: a billing run failed, timed out or was aborted; a run that
 * succeeded left failed accounts, deliveries whose outcome is unknown or broken ledger
 * invariants (metrics the run publishes); the monthly start failed; payment webhooks are
 * failing (5xx) or refused (a burst of 401s). All notify one encrypted SNS topic whose
 * policy lets CloudWatch publish. docs/deploying.md, "When an alarm fires", says what to do for each.
 */
export class Monitoring extends Construct {
	/** Namespace of the metrics the stack derives from logs (metric filters). */
	static readonly LOG_METRICS_NAMESPACE = "Billing/Logs";

	readonly topic: sns.Topic;
	readonly topicKey: kms.Key;
	readonly executionsFailedAlarm: cloudwatch.Alarm;
	readonly executionsTimedOutAlarm: cloudwatch.Alarm;
	readonly executionsAbortedAlarm: cloudwatch.Alarm;
	readonly failedAccountsAlarm: cloudwatch.Alarm;
	readonly deliveriesOutcomeUnknownAlarm: cloudwatch.Alarm;
	readonly ledgerInvariantsAlarm: cloudwatch.Alarm;
	readonly webhookErrorsAlarm: cloudwatch.Alarm;
	readonly webhookServerErrorsAlarm: cloudwatch.Alarm;
	readonly webhookUnauthorizedAlarm: cloudwatch.Alarm;
	readonly startBillingCycleErrorsAlarm: cloudwatch.Alarm;
	readonly scheduleDeliveryFailedAlarm: cloudwatch.Alarm;

	constructor(scope: Construct, id: string, props: MonitoringProps) {
		super(scope, id);
		const account = Stack.of(this).account;
		// Only alarms of this account may use the key and the topic (confused-deputy guard).
		const fromThisAccount = { StringEquals: { "aws:SourceAccount": account } };

		// A customer-managed key: CloudWatch alarms cannot publish to a topic encrypted
		// with the AWS-managed SNS key, because its key policy cannot grant CloudWatch.
		this.topicKey = new kms.Key(this, "TopicKey", {
			description: "Encrypts the billing alarm topic",
			enableKeyRotation: true,
		});
		this.topicKey.addToResourcePolicy(
			new iam.PolicyStatement({
				sid: "AllowCloudWatchAlarmsToPublish",
				principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
				actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
				resources: ["*"],
				conditions: fromThisAccount,
			}),
		);
		this.topic = new sns.Topic(this, "AlarmTopic", {
			displayName: "Billing alarms",
			masterKey: this.topicKey,
			enforceSSL: true,
		});
		// enforceSSL gives the topic a resource policy; without this statement it would not
		// let CloudWatch publish, and alarm notifications would never arrive.
		this.topic.addToResourcePolicy(
			new iam.PolicyStatement({
				sid: "AllowCloudWatchAlarmsToPublish",
				principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
				actions: ["sns:Publish"],
				resources: [this.topic.topicArn],
				conditions: fromThisAccount,
			}),
		);
		if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
		else {
			Annotations.of(this).addWarningV2(
				"billing:alarm-topic-no-subscriber",
				"The alarm topic has no subscriber, so nobody hears an alarm: deploy with -c alarmEmail=ops@yourcompany.com (then confirm the subscription email), or subscribe to the AlarmTopicArn output yourself.",
			);
		}

		const fiveMinutes = Duration.minutes(5);
		const atLeastOnce = (alarmId: string, metric: cloudwatch.IMetric, description: string) =>
			alarmOnAny(this, alarmId, metric, description, this.topic);

		this.executionsFailedAlarm = atLeastOnce(
			"ExecutionsFailed",
			props.stateMachine.metricFailed({ period: fiveMinutes, statistic: "Sum" }),
			"A billing cycle execution failed. Open the execution in the Step Functions console; the Record Run Failure state's input names the step and the error.",
		);
		this.executionsTimedOutAlarm = atLeastOnce(
			"ExecutionsTimedOut",
			props.stateMachine.metricTimedOut({ period: fiveMinutes, statistic: "Sum" }),
			"A billing cycle execution timed out before finishing.",
		);
		this.executionsAbortedAlarm = atLeastOnce(
			"ExecutionsAborted",
			props.stateMachine.metricAborted({ period: fiveMinutes, statistic: "Sum" }),
			"A billing cycle execution was stopped (aborted) before finishing; the period is only partly billed until it is re-driven.",
		);
		// A run that SUCCEEDED may still leave these: the steps that know them publish them (shared/platform/metrics.ts).
		const runMetric = (metricName: string) =>
			new cloudwatch.Metric({
				namespace: runMetrics.namespace,
				metricName,
				dimensionsMap: { ...runMetrics.dimensions },
				period: fiveMinutes,
				statistic: "Sum",
			});
		this.failedAccountsAlarm = atLeastOnce(
			"RunFailedAccounts",
			runMetric(runMetrics.names.failedAccounts),
			"A billing run finished with accounts that failed invoicing, their statement, delivery or review (the execution itself SUCCEEDED): its output's invoicing.failedAccounts names each and why (review.accountsNotReviewed counts batches of Review Accounts that failed; billing executions show lists them all). Fix the cause, then re-drive the period.",
		);
		this.deliveriesOutcomeUnknownAlarm = atLeastOnce(
			"RunDeliveriesOutcomeUnknown",
			runMetric(runMetrics.names.deliveriesOutcomeUnknown),
			"A billing run finished with deliveries claimed but never confirmed sent or failed (a crash between the claim and the send): whether those customers got their invoice is unknown, and no retry sends it. Its output's invoicing.deliveriesOutcomeUnknown lists them; check, then resend.",
		);
		this.ledgerInvariantsAlarm = atLeastOnce(
			"LedgerInvariantsBroken",
			runMetric(runMetrics.names.ledgerInvariantViolations),
			"A billing run found broken ledger invariants: Reconcile Payments a payment whose parts do not add up (reports/<period>/payment-reconciliation.json lists them), Summarize Account Review an account whose balance is not the sum of its ledger (the run's output review.invariants lists the first 50; billing reconcile lists all).",
		);
		this.webhookErrorsAlarm = atLeastOnce(
			"WebhookErrors",
			props.webhookFunction.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
			"The payment webhook function returned errors; the processor will retry, but payments are not being recorded.",
		);
		// The function answers its own failures with a 500 (http-error-handler), so Lambda's
		// Errors metric never sees them: the API's 5xx count does.
		this.webhookServerErrorsAlarm = atLeastOnce(
			"WebhookServerErrors",
			props.webhookApi.api.metricServerError({ period: fiveMinutes, statistic: "Sum" }),
			"The payment webhook API answered 5xx: events were not recorded; the processors retry them, but look at the PaymentWebhook function's log for the error.",
		);
		const unauthorized = new logs.MetricFilter(this, "WebhookUnauthorizedFilter", {
			logGroup: props.webhookApi.accessLogGroup,
			filterPattern: logs.FilterPattern.stringValue("$.status", "=", "401"),
			metricNamespace: Monitoring.LOG_METRICS_NAMESPACE,
			metricName: "WebhookUnauthorized",
			metricValue: "1",
		});
		this.webhookUnauthorizedAlarm = alarmOnAny(
			this,
			"WebhookUnauthorizedBurst",
			unauthorized.metric({ period: fiveMinutes, statistic: "Sum" }),
			`The payment webhook API refused ${WEBHOOK_UNAUTHORIZED_BURST} or more requests with 401 in five minutes: the signing secret in Secrets Manager is most likely wrong or was rotated at the processor; payments are not being recorded.`,
			this.topic,
			WEBHOOK_UNAUTHORIZED_BURST,
		);
		this.startBillingCycleErrorsAlarm = atLeastOnce(
			"StartBillingCycleErrors",
			props.startBillingCycleFunction.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
			"The scheduled start of the monthly billing cycle failed; this month's run may not have started.",
		);
		this.scheduleDeliveryFailedAlarm = alarmOnDeadLetters(
			this,
			"ScheduleDeliveryFailed",
			props.scheduleDeadLetterQueue,
			"The monthly start of the billing cycle did not happen: EventBridge Scheduler could not invoke StartBillingCycle, or the function failed after Lambda's retries; the event is in the schedule's dead-letter queue.",
			this.topic,
		);
	}
}
