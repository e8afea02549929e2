import { Duration } from "aws-cdk-lib";
import * as apigwv1 from "aws-cdk-lib/aws-apigateway";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { acknowledge } from "../nag.js";

/** What every alarm and every HTTP API of the stack share, so an operator reads them all the same way. */

/**
 * An alarm that fires when the metric counts one or more in its period (or `threshold`, for
 * a burst of something that happens now and then); quiet when there is no data.
 */
export function alarmOnAny(
	scope: Construct,
	id: string,
	metric: cloudwatch.IMetric,
	description: string,
	topic: sns.ITopic,
	threshold = 1,
): cloudwatch.Alarm {
	const alarm = new cloudwatch.Alarm(scope, id, {
		metric,
		threshold,
		evaluationPeriods: 1,
		comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
		alarmDescription: description,
	});
	alarm.addAlarmAction(new SnsAction(topic));
	return alarm;
}

/**
 * Where failed asynchronous work lands (an event a service could not deliver, an invocation
 * that failed after Lambda's retries): an encrypted queue that refuses plain HTTP and keeps
 * each message 14 days, SQS's longest, for a person to read and replay.
 */
export function deadLetterQueue(scope: Construct, id: string, holds: string): sqs.Queue {
	const queue = new sqs.Queue(scope, id, {
		encryption: sqs.QueueEncryption.SQS_MANAGED,
		enforceSSL: true,
		retentionPeriod: Duration.days(14),
	});
	acknowledge(queue, {
		id: "AwsSolutions-SQS3",
		reason: `This queue is itself a dead-letter queue (${holds}), which cdk-nag only recognises for SQS redrive policies; it needs no DLQ of its own.`,
	});
	return queue;
}

/** An alarm as soon as a dead-letter queue holds a message (its deepest point in five minutes). */
export function alarmOnDeadLetters(
	scope: Construct,
	id: string,
	queue: sqs.IQueue,
	description: string,
	topic: sns.ITopic,
): cloudwatch.Alarm {
	return alarmOnAny(
		scope,
		id,
		queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: "Maximum" }),
		description,
		topic,
	);
}

/**
 * An HTTP API's `$default` stage, deployed on every change, throttled, and logging each
 * request to its own log group (three months) in the access log format below.
 */
export function loggedDefaultStage(
	scope: Construct,
	api: apigw.HttpApi,
	props: { readonly rateLimit: number; readonly burstLimit: number; readonly logFields?: Readonly<Record<string, string>> },
): { readonly stage: apigw.HttpStage; readonly accessLogGroup: logs.LogGroup } {
	const accessLogGroup = new logs.LogGroup(scope, "AccessLogs", { retention: logs.RetentionDays.THREE_MONTHS });
	const stage = api.addStage("DefaultStage", {
		stageName: "$default",
		autoDeploy: true,
		throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
		accessLogSettings: {
			destination: new apigw.LogGroupLogDestination(accessLogGroup),
			format: httpApiAccessLogFormat(props.logFields),
		},
	});
	return { stage, accessLogGroup };
}

/** An HTTP API's access log line: the request, the caller's address, status, latencies and the integration's error; `extra` adds fields. */
export function httpApiAccessLogFormat(extra: Readonly<Record<string, string>> = {}): apigwv1.AccessLogFormat {
	return apigwv1.AccessLogFormat.custom(
		JSON.stringify({
			requestId: "$context.requestId",
			ip: "$context.identity.sourceIp",
			userAgent: "$context.identity.userAgent",
			requestTime: "$context.requestTime",
			routeKey: "$context.routeKey",
			status: "$context.status",
			protocol: "$context.protocol",
			responseLength: "$context.responseLength",
			responseLatency: "$context.responseLatency",
			integrationStatus: "$context.integrationStatus",
			integrationLatency: "$context.integrationLatency",
			integrationError: "$context.integrationErrorMessage",
			...extra,
		}),
	);
}
