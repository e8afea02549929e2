import { readFileSync } from "node:fs";
import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { bucketObjects } from "../../functions/catalog.js";
import { acknowledge, wildcardResource } from "../nag.js";
import { importJobDefinitionFile } from "../paths.js";
import { BillingCycleWorkflow, definitionPlaceholders, grantDistributedMapChildren } from "./billing-cycle-workflow.js";
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
		return BillingCycleWorkflow.arnFor(scope, ImportJobWorkflow.DEFAULT_NAME);
	}

	readonly stateMachine: sfn.StateMachine;
	readonly logGroup: logs.LogGroup;
	readonly definitionSubstitutions: Readonly<Record<string, string>>;
	readonly failedAlarm: cloudwatch.Alarm;

	constructor(scope: Construct, id: string, props: ImportJobWorkflowProps) {
		super(scope, id);
		const stack = Stack.of(this);
		const name = ImportJobWorkflow.DEFAULT_NAME;
		const definition = readFileSync(importJobDefinitionFile, "utf8");

		const substitutions: Record<string, string> = {};
		const invoked: lambda.IFunction[] = [];
		for (const placeholder of definitionPlaceholders(definition)) {
			const fn = props.functions[/^(.+)FunctionArn$/.exec(placeholder)?.[1] ?? ""];
			if (!fn) throw new Error(`${importJobDefinitionFile} uses \${${placeholder}} but the stack has no substitution for it`);
			substitutions[placeholder] = fn.functionArn;
			invoked.push(fn);
		}
		this.definitionSubstitutions = substitutions;

		this.logGroup = new logs.LogGroup(this, "LogGroup", {
			logGroupName: `/aws/vendedlogs/states/${stack.stackName}-${name}`,
			retention: logs.RetentionDays.THREE_MONTHS,
			removalPolicy: RemovalPolicy.RETAIN,
		});
		this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
			stateMachineName: name,
			stateMachineType: sfn.StateMachineType.STANDARD,
			definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(JSON.parse(definition))),
			definitionSubstitutions: substitutions,
			// Without input and output: the job's rows and errors quote the file's values.
			logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
			tracingEnabled: true,
		});

		this.stateMachine.addToRolePolicy(
			new iam.PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: invoked.map((fn) => fn.functionArn) }),
		);
		// The Distributed Maps' ItemReader reads the job's manifest; their ResultWriter writes each map run's results beside it.
		const jobObjects = props.bucket.arnForObjects(bucketObjects.importJobs.keys);
		this.stateMachine.addToRolePolicy(
			new iam.PolicyStatement({
				actions: ["s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
				resources: [jobObjects],
			}),
		);
		const executions = grantDistributedMapChildren(this, this.stateMachine, name);

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
			{
				id: "AwsSolutions-IAM5[Resource::*]",
				reason:
					"Required by Step Functions for CloudWatch Logs delivery (logs:CreateLogDelivery and related actions) and X-Ray tracing; neither supports resource-level permissions.",
			},
			wildcardResource(
				this,
				jobObjects,
				`The Distributed Maps read the manifest Check File writes and write each map run's results, under keys named per job (${bucketObjects.importJobs.holds}); never deleted.`,
			),
			wildcardResource(
				this,
				executions.own,
				"states:DescribeExecution and states:StopExecution on this state machine's own executions only (named per imported object version); no other state machine's.",
			),
			wildcardResource(
				this,
				executions.children,
				"The Distributed Maps' child executions of this state machine only (named per map run): described, stopped and redriven by the map.",
			),
		);
	}
}
