import { Duration } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { alarmOnAny } from "./operations.js";

export interface MonitoringProps {
	readonly stateMachine: sfn.IStateMachine;
	readonly webhookFunction: lambda.IFunction;
	readonly startBillingCycleFunction: lambda.IFunction;
	readonly scheduleDeadLetterQueue: sqs.IQueue;
	/** Subscribed to the alarm topic when set. */
	readonly alarmEmail?: string;
}

/**
 * Alarms an operator acts on: a billing run failed or timed out, the monthly start
 * failed, or payment webhooks are erroring. All notify one encrypted SNS topic.
 */
export class Monitoring extends Construct {
	readonly topic: sns.Topic;
	readonly topicKey: kms.Key;
	readonly executionsFailedAlarm: cloudwatch.Alarm;
	readonly executionsTimedOutAlarm: cloudwatch.Alarm;
	readonly webhookErrorsAlarm: cloudwatch.Alarm;
	readonly startBillingCycleErrorsAlarm: cloudwatch.Alarm;
	readonly scheduleDeliveryFailedAlarm: cloudwatch.Alarm;

	constructor(scope: Construct, id: string, props: MonitoringProps) {
		super(scope, id);

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
			}),
		);
		this.topic = new sns.Topic(this, "AlarmTopic", {
			displayName: "Billing alarms",
			masterKey: this.topicKey,
			enforceSSL: true,
		});
		if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

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
		this.webhookErrorsAlarm = atLeastOnce(
			"WebhookErrors",
			props.webhookFunction.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
			"The payment webhook function returned errors; the processor will retry, but payments are not being recorded.",
		);
		this.startBillingCycleErrorsAlarm = atLeastOnce(
			"StartBillingCycleErrors",
			props.startBillingCycleFunction.metricErrors({ period: fiveMinutes, statistic: "Sum" }),
			"The scheduled start of the monthly billing cycle failed; this month's run may not have started.",
		);
		this.scheduleDeliveryFailedAlarm = atLeastOnce(
			"ScheduleDeliveryFailed",
			props.scheduleDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
				period: fiveMinutes,
				statistic: "Maximum",
			}),
			"EventBridge Scheduler could not invoke StartBillingCycle; the event is in the schedule's dead-letter queue.",
		);
	}
}
