import { readFileSync } from "node:fs";
import { ArnFormat, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { bucketObjects } from "../../functions/catalog.js";
import { acknowledge, wildcardResource } from "../nag.js";
import { billingCycleDefinitionFile } from "../paths.js";

export interface BillingCycleWorkflowProps {
	/** Lambda functions by catalog id; every `${<id>FunctionArn}` placeholder of the definition needs one. */
	readonly functions: Readonly<Record<string, lambda.IFunction>>;
	/** The billing bucket: the Distributed Map reads its manifest from it (`${BillingBucketName}`). */
	readonly bucket: s3.IBucket;
	/** @default statemachines/billing-cycle.asl.json */
	readonly definitionFile?: string;
	/** @default BillingCycleWorkflow.DEFAULT_NAME ("billing-cycle") */
	readonly stateMachineName?: string;
}

/** `${Name}` placeholders of an ASL definition (DefinitionSubstitutions keys). */
export function definitionPlaceholders(definition: string): string[] {
	return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))].sort();
}

/**
 * The monthly billing cycle: a Standard state machine loaded from the one ASL file the
 * embedded runtime also runs (DESIGN.md section 3), with DefinitionSubstitutions for
 * the function ARNs. Logs ALL events without execution data, traces with X-Ray.
 */
export class BillingCycleWorkflow extends Construct {
	static readonly DEFAULT_NAME = "billing-cycle";

	/** The state machine's ARN from its fixed name, for grants made before it exists. */
	static arnFor(scope: Construct, stateMachineName: string = BillingCycleWorkflow.DEFAULT_NAME): string {
		return Stack.of(scope).formatArn({
			service: "states",
			resource: "stateMachine",
			resourceName: stateMachineName,
			arnFormat: ArnFormat.COLON_RESOURCE_NAME,
		});
	}

	readonly stateMachine: sfn.StateMachine;
	readonly logGroup: logs.LogGroup;
	readonly definitionSubstitutions: Readonly<Record<string, string>>;

	constructor(scope: Construct, id: string, props: BillingCycleWorkflowProps) {
		super(scope, id);
		const stack = Stack.of(this);
		const name = props.stateMachineName ?? BillingCycleWorkflow.DEFAULT_NAME;
		const definition = readFileSync(props.definitionFile ?? billingCycleDefinitionFile, "utf8");

		const substitutions: Record<string, string> = { BillingBucketName: props.bucket.bucketName };
		const invoked: lambda.IFunction[] = [];
		for (const placeholder of definitionPlaceholders(definition)) {
			const functionId = /^(.+)FunctionArn$/.exec(placeholder)?.[1];
			const fn = functionId === undefined ? undefined : props.functions[functionId];
			if (fn) {
				substitutions[placeholder] = fn.functionArn;
				invoked.push(fn);
			} else if (!(placeholder in substitutions)) {
				throw new Error(
					`${props.definitionFile ?? billingCycleDefinitionFile} uses \${${placeholder}} but the stack has no substitution for it`,
				);
			}
		}
		this.definitionSubstitutions = substitutions;

		// Step Functions vended logs: the /aws/vendedlogs/ prefix keeps the CloudWatch Logs
		// resource policy from growing with every log group.
		this.logGroup = new logs.LogGroup(this, "LogGroup", {
			logGroupName: `/aws/vendedlogs/states/${stack.stackName}-${name}`,
			retention: logs.RetentionDays.THREE_MONTHS,
			removalPolicy: RemovalPolicy.RETAIN,
		});

		this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
			stateMachineName: name,
			stateMachineType: sfn.StateMachineType.STANDARD,
			// Inlined (compacted) rather than an S3 asset: the template is self-contained and
			// the substitutions can be checked in tests.
			definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(JSON.parse(definition))),
			definitionSubstitutions: substitutions,
			// Every event, without its input and output: those are in the execution's history
			// (90 days, with access control), not copied into a log group for anyone who reads logs.
			logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
			tracingEnabled: true,
		});

		// Task states call the functions by unqualified ARN.
		this.stateMachine.addToRolePolicy(
			new iam.PolicyStatement({
				actions: ["lambda:InvokeFunction"],
				resources: invoked.map((fn) => fn.functionArn),
			}),
		);
		// The Distributed Maps' ItemReader reads the run's manifest; their ResultWriter writes the batches' results.
		const manifests = props.bucket.arnForObjects(bucketObjects.manifests.keys);
		const results = props.bucket.arnForObjects(bucketObjects.runs.keys);
		this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: [manifests] }));
		this.stateMachine.addToRolePolicy(
			new iam.PolicyStatement({
				actions: ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
				resources: [results],
			}),
		);

		const childExecutions = grantDistributedMapChildren(this, this.stateMachine, name);

		acknowledge(
			this,
			{
				id: "AwsSolutions-IAM5[Resource::*]",
				reason:
					"Required by Step Functions for CloudWatch Logs delivery (logs:CreateLogDelivery and related actions) and X-Ray tracing; neither supports resource-level permissions.",
			},
			wildcardResource(
				this,
				manifests,
				`The Distributed Maps' ItemReader reads the manifest whose key Identify Outstanding Accounts chooses per run (${bucketObjects.manifests.holds}); s3:GetObject only.`,
			),
			wildcardResource(
				this,
				results,
				`The Distributed Maps' ResultWriter writes each map run's results under a key it names per map run (${bucketObjects.runs.holds}): written, read back and multipart-uploaded there only, never deleted.`,
			),
			// Two patterns, two reasons: the first is every execution of this state machine, not only map children.
			wildcardResource(
				this,
				childExecutions.own,
				"states:DescribeExecution and states:StopExecution on this state machine's own executions only (billing-<period> and its re-drives, named per run, so not listable up front); no other state machine's.",
			),
			wildcardResource(
				this,
				childExecutions.children,
				"The Distributed Map's child executions of this state machine only (named per map run): described, stopped and redriven by the map.",
			),
		);
	}
}

/**
 * A Distributed Map runs its batches as child executions of its own state machine: it may
 * start them, describe and stop them, and redrive them. A separate policy with ARNs built
 * from the fixed name avoids a dependency cycle (the state machine depends on its role's
 * default policy). Answers the two execution patterns, for their nag acknowledgements.
 */
export function grantDistributedMapChildren(
	scope: Construct,
	stateMachine: sfn.StateMachine,
	name: string,
): { readonly own: string; readonly children: string } {
	const stack = Stack.of(scope);
	const executions = (resourceName: string) =>
		stack.formatArn({
			service: "states",
			resource: "execution",
			resourceName,
			arnFormat: ArnFormat.COLON_RESOURCE_NAME,
		});
	const own = executions(`${name}:*`);
	const children = executions(`${name}/*:*`);
	const distributedMap = new iam.Policy(scope, "DistributedMapPolicy", {
		statements: [
			new iam.PolicyStatement({
				actions: ["states:StartExecution"],
				resources: [BillingCycleWorkflow.arnFor(scope, name)],
			}),
			new iam.PolicyStatement({
				actions: ["states:DescribeExecution", "states:StopExecution"],
				resources: [own, children],
			}),
			new iam.PolicyStatement({ actions: ["states:RedriveExecution"], resources: [children] }),
		],
	});
	stateMachine.role.attachInlinePolicy(distributedMap);
	return { own, children };
}
