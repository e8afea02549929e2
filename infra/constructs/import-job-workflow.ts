import { Duration } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { bucketObjects } from "../../functions/catalog.js";
import { acknowledge, wildcardResource } from "../nag.js";
import { importJobDefinitionFile } from "../paths.js";
import { functionStateMachine, grantDistributedMapChildren, stateMachineArnFor } from "./function-state-machine.js";
import { alarmOnAny } from "./operations.js";

export interface ImportJobWorkflowProps {
	/** Lambda functions by catalog id; every `${<id>FunctionArn}` placeholder of the definition needs one. */
	readonly functions: Readonly<Record<string, lambda.IFunction>>;
	/** The billing bucket: the job's partitions, manifest and map results are under import-jobs/ in it. */
	readonly bucket: s3.IBucket;
	/** Where a failed, timed-out or stopped job alarms. */
	readonly alarmTopic: sns.ITopic;
}

/**
 * The import job (statemachines/import-job.asl.json): a charge file under imports/ over
 * IMPORT_ONE_SHOT_BYTES, started by ImportFile under a name derived from the object's key and
 * version. A Standard state machine with two Distributed Maps over the job's partitions
 * (import-jobs/<job id>/), logged without execution data and traced, as the billing cycle is.
 */
export class ImportJobWorkflow extends Construct {
	static readonly DEFAULT_NAME = "import-job";

	/** The state machine's ARN from its fixed name, for grants made before it exists (ImportFile's StartExecution). */
	static arnFor(scope: Construct): string {
		return stateMachineArnFor(scope, ImportJobWorkflow.DEFAULT_NAME);
	}

	readonly stateMachine: sfn.StateMachine;
	readonly logGroup: logs.LogGroup;
	readonly definitionSubstitutions: Readonly<Record<string, string>>;
	readonly failedAlarm: cloudwatch.Alarm;

	constructor(scope: Construct, id: string, props: ImportJobWorkflowProps) {
		super(scope, id);
		const name = ImportJobWorkflow.DEFAULT_NAME;
		const workflow = functionStateMachine(this, { name, definitionFile: importJobDefinitionFile, functions: props.functions });
		this.stateMachine = workflow.stateMachine;
		this.logGroup = workflow.logGroup;
		this.definitionSubstitutions = workflow.substitutions;

		// The Distributed Maps' ItemReader reads the job's manifest; their ResultWriter writes each map run's results beside it.
		const jobObjects = props.bucket.arnForObjects(bucketObjects.importJobs.keys);
		this.stateMachine.addToRolePolicy(
			new iam.PolicyStatement({
				actions: ["s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
				resources: [jobObjects],
			}),
		);
		grantDistributedMapChildren(this, this.stateMachine, name, "named per imported object version");

		const fiveMinutes = Duration.minutes(5);
		this.failedAlarm = alarmOnAny(
			this,
			"ImportJobFailed",
			this.stateMachine.metricFailed({ period: fiveMinutes, statistic: "Sum" }),
			"An import job (a large charges file under imports/) failed: its <key>.result.json and the execution say why; what it wrote stays. Fix the cause, then redrive the execution or start a new one with its input.",
			props.alarmTopic,
		);
		alarmOnAny(
			this,
			"ImportJobTimedOut",
			this.stateMachine.metricTimedOut({ period: fiveMinutes, statistic: "Sum" }),
			"An import job (a large charges file under imports/) timed out before finishing (6 hours); its result still says running and its lease lapses on its own. Redrive the execution or start a new one with its input.",
			props.alarmTopic,
		);
		alarmOnAny(
			this,
			"ImportJobAborted",
			this.stateMachine.metricAborted({ period: fiveMinutes, statistic: "Sum" }),
			"An import job (a large charges file under imports/) was stopped by hand: its result still says running and its lease lapses on its own. Start a new one with its input to finish the file.",
			props.alarmTopic,
		);

		acknowledge(
			this,
			wildcardResource(
				this,
				jobObjects,
				`The Distributed Maps read the manifest Check File writes and write each map run's results, under keys named per job (${bucketObjects.importJobs.holds}); never deleted.`,
			),
		);
	}
}
