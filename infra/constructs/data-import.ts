import { Duration } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { importObjects } from "../../functions/catalog.js";
import { alarmOnAny, alarmOnDeadLetters, deadLetterQueue } from "./operations.js";

export interface DataImportProps {
	/** The billing bucket: files are put under imports/ in it. */
	readonly bucket: s3.Bucket;
	/** The ImportFile function: imports one object and writes its result beside it. */
	readonly handler: lambda.IFunction;
	/** Where the alarms on failed imports go. */
	readonly alarmTopic: sns.ITopic;
}

/**
 * Files put under imports/ in the billing bucket are imported (DESIGN.md section 8): the
 * bucket sends its events to EventBridge, and a rule sends each Object Created of a file to
 * import to the ImportFile function, which writes `<key>.result.json` beside it. An event
 * that cannot be delivered, or whose import still fails after Lambda's two retries, lands in
 * an encrypted dead-letter queue, and an alarm fires (DESIGN.md section 15).
 */
export class DataImport extends Construct {
	/**
	 * The keys the rule matches: imports/ and a CSV or JSON Lines name (either case). Two
	 * matchers of one field are OR'ed, so "prefix imports/ but not suffix .result.json"
	 * cannot be written as two; naming what to import leaves the results out.
	 */
	static readonly KEY_PATTERNS: readonly string[] = importObjects.extensions.flatMap((ext) =>
		[ext, ext.toUpperCase()].map((e) => `${importObjects.prefix}*.${e}`),
	);

	readonly rule: events.Rule;
	/** Events of files whose import failed for good: EventBridge's undeliverable ones and Lambda's on-failure records. */
	readonly deadLetterQueue: sqs.Queue;
	readonly failedImportsAlarm: cloudwatch.Alarm;
	readonly deadLettersAlarm: cloudwatch.Alarm;

	constructor(scope: Construct, id: string, props: DataImportProps) {
		super(scope, id);

		// S3 to EventBridge, set on the bucket itself: bucket.enableEventBridgeNotification() would
		// do it through a custom resource (a Lambda of its own) for what CloudFormation sets natively.
		// Nothing else configures this bucket's notifications.
		const bucket = props.bucket.node.defaultChild as s3.CfnBucket;
		bucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

		this.deadLetterQueue = deadLetterQueue(
			this,
			"DeadLetterQueue",
			"the import rule's target DeadLetterConfig, and ImportFile's on-failure destination",
		);
		// An asynchronous invocation: Lambda retries a failed import itself (twice; the import is
		// idempotent), then sends the event with the error to the queue instead of dropping it.
		props.handler.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.deadLetterQueue) });

		this.rule = new events.Rule(this, "FilePut", {
			description: `A file put under ${importObjects.prefix} in the billing bucket: import it`,
			eventPattern: {
				source: ["aws.s3"],
				detailType: ["Object Created"],
				detail: {
					bucket: { name: [props.bucket.bucketName] },
					object: { key: events.Match.anyOf(...DataImport.KEY_PATTERNS.map((pattern) => events.Match.wildcard(pattern))) },
				},
			},
			// What EventBridge cannot deliver to the function (after its own retries) lands in the same queue.
			targets: [new targets.LambdaFunction(props.handler, { deadLetterQueue: this.deadLetterQueue })],
		});

		this.failedImportsAlarm = alarmOnAny(
			this,
			"ImportFailed",
			props.handler.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
			`An import of a file put under ${importObjects.prefix} failed (not a refusal: the file's rows were never checked or written); its <key>${importObjects.resultSuffix} says why, and Lambda retries it.`,
			props.alarmTopic,
		);
		this.deadLettersAlarm = alarmOnDeadLetters(
			this,
			"ImportDeadLetters",
			this.deadLetterQueue,
			`A file put under ${importObjects.prefix} was not imported for good: its import failed after Lambda's retries, or EventBridge could not deliver its event. The message in the import dead-letter queue names the file (and the error); fix the cause, then put the file again.`,
			props.alarmTopic,
		);
	}
}
