import { readFileSync } from "node:fs";
import { ArnFormat, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";
import { acknowledge, wildcardResource } from "../nag.js";

/**
 * What the project's workflows (the billing cycle, the import job) have in common: a Standard
 * state machine loaded from its one ASL file, the file the embedded runtime also runs
 * (DESIGN.md section 3), with DefinitionSubstitutions for the function ARNs; every event
 * logged without execution data, traced with X-Ray; and the grants its Distributed Maps need.
 */

/** `${Name}` placeholders of an ASL definition (DefinitionSubstitutions keys). */
export function definitionPlaceholders(definition: string): string[] {
	return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))].sort();
}

/** A state machine's ARN from its fixed name, for grants made before it exists. */
export function stateMachineArnFor(scope: Construct, name: string): string {
	return Stack.of(scope).formatArn({
		service: "states",
		resource: "stateMachine",
		resourceName: name,
		arnFormat: ArnFormat.COLON_RESOURCE_NAME,
	});
}

export interface FunctionStateMachine {
	readonly stateMachine: sfn.StateMachine;
	readonly logGroup: logs.LogGroup;
	readonly substitutions: Readonly<Record<string, string>>;
}

/**
 * The state machine of `definitionFile`, named `name`, in `scope`: each `${<id>FunctionArn}`
 * placeholder is the function of that catalog id (which it may invoke, and only those), the
 * others come from `preset`; a placeholder neither names is a mistake, refused at synth.
 */
export function functionStateMachine(
	scope: Construct,
	options: {
		readonly name: string;
		readonly definitionFile: string;
		readonly functions: Readonly<Record<string, lambda.IFunction>>;
		readonly preset?: Readonly<Record<string, string>>;
	},
): FunctionStateMachine {
	const definition = readFileSync(options.definitionFile, "utf8");
	const substitutions: Record<string, string> = { ...options.preset };
	const invoked: lambda.IFunction[] = [];
	for (const placeholder of definitionPlaceholders(definition)) {
		const functionId = /^(.+)FunctionArn$/.exec(placeholder)?.[1];
		const fn = functionId === undefined ? undefined : options.functions[functionId];
		if (fn) {
			substitutions[placeholder] = fn.functionArn;
			invoked.push(fn);
		} else if (!(placeholder in substitutions)) {
			throw new Error(`${options.definitionFile} uses \${${placeholder}} but the stack has no substitution for it`);
		}
	}

	// Step Functions vended logs: the /aws/vendedlogs/ prefix keeps the CloudWatch Logs
	// resource policy from growing with every log group.
	const logGroup = new logs.LogGroup(scope, "LogGroup", {
		logGroupName: `/aws/vendedlogs/states/${Stack.of(scope).stackName}-${options.name}`,
		retention: logs.RetentionDays.THREE_MONTHS,
		removalPolicy: RemovalPolicy.RETAIN,
	});
	const stateMachine = new sfn.StateMachine(scope, "StateMachine", {
		stateMachineName: options.name,
		stateMachineType: sfn.StateMachineType.STANDARD,
		// Inlined (compacted) rather than an S3 asset: the template is self-contained and
		// the substitutions can be checked in tests.
		definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(JSON.parse(definition))),
		definitionSubstitutions: substitutions,
		// Every event, without its input and output: those are in the execution's history
		// (90 days, with access control), not copied into a log group for anyone who reads logs
		// (and an import's rows and errors quote the file's values).
		logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
		tracingEnabled: true,
	});
	// Task states call the functions by unqualified ARN.
	stateMachine.addToRolePolicy(
		new iam.PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: invoked.map((fn) => fn.functionArn) }),
	);
	acknowledge(scope, {
		id: "AwsSolutions-IAM5[Resource::*]",
		reason:
			"Required by Step Functions for CloudWatch Logs delivery (logs:CreateLogDelivery and related actions) and X-Ray tracing; neither supports resource-level permissions.",
	});
	return { stateMachine, logGroup, substitutions };
}

/**
 * A Distributed Map runs its batches as child executions of its own state machine: it may
 * start them, describe and stop them, and redrive them. A separate policy with ARNs built
 * from the fixed name avoids a dependency cycle (the state machine depends on its role's
 * default policy). `executionsNamed` says how its own executions are named, for the nag
 * acknowledgement of the pattern that covers them.
 */
export function grantDistributedMapChildren(scope: Construct, stateMachine: sfn.StateMachine, name: string, executionsNamed: string): void {
	const stack = Stack.of(scope);
	const executions = (resourceName: string) =>
		stack.formatArn({ service: "states", resource: "execution", resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
	const own = executions(`${name}:*`);
	const children = executions(`${name}/*:*`);
	const distributedMap = new iam.Policy(scope, "DistributedMapPolicy", {
		statements: [
			new iam.PolicyStatement({ actions: ["states:StartExecution"], resources: [stateMachineArnFor(scope, name)] }),
			new iam.PolicyStatement({ actions: ["states:DescribeExecution", "states:StopExecution"], resources: [own, children] }),
			new iam.PolicyStatement({ actions: ["states:RedriveExecution"], resources: [children] }),
		],
	});
	stateMachine.role.attachInlinePolicy(distributedMap);
	acknowledge(
		scope,
		// Two patterns, two reasons: the first is every execution of this state machine, not only map children.
		wildcardResource(
			scope,
			own,
			`states:DescribeExecution and states:StopExecution on this state machine's own executions only (${executionsNamed}, so not listable up front); no other state machine's.`,
		),
		wildcardResource(
			scope,
			children,
			"The Distributed Map's child executions of this state machine only (named per map run): described, stopped and redriven by the map.",
		),
	);
}
