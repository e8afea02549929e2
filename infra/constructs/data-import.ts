import { Duration } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { importObjects } from "../../functions/catalog.js";
import { alarmOnAny } from "./operations.js";

export interface DataImportProps {
	/** The billing bucket: files are put under imports/ in it. */
	readonly bucket: s3.Bucket;
	/** The ImportFile function: imports one object and writes its result beside it. */
	readonly handler: lambda.IFunction;
	/** Where the alarm on failed imports goes. */
	readonly alarmTopic: sns.ITopic;
}

/**
 * Files put under imports/ in the billing bucket are imported (DESIGN.md section 8): the
 * bucket sends its events to EventBridge, and a rule sends each Object Created of a file to
 * import to the ImportFile function, which writes `<key>.result.json` beside it.
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
	readonly failedImportsAlarm: cloudwatch.Alarm;

	constructor(scope: Construct, id: string, props: DataImportProps) {
		super(scope, id);

		// S3 to EventBridge, set on the bucket itself: bucket.enableEventBridgeNotification() would
		// do it through a custom resource (a Lambda of its own) for what CloudFormation sets natively.
		// Nothing else configures this bucket's notifications.
		const bucket = props.bucket.node.defaultChild as s3.CfnBucket;
		bucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };

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
			// An asynchronous invocation: Lambda retries a failed import itself (twice), and the import is idempotent.
			targets: [new targets.LambdaFunction(props.handler)],
		});

		this.failedImportsAlarm = alarmOnAny(
			this,
			"ImportFailed",
			props.handler.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
			`An import of a file put under ${importObjects.prefix} failed (not a refusal: the file's rows were never checked or written); its <key>${importObjects.resultSuffix} says why, and Lambda retries it.`,
			props.alarmTopic,
		);
	}
}
