import { ArnFormat, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { bucketObjects } from "../../functions/catalog.js";
import type { BillingConfig } from "../config.js";
import { acknowledge, wildcardResource } from "../nag.js";
import { billingCycleDefinitionFile } from "../paths.js";
import { functionStateMachine, grantDistributedMapChildren, stateMachineArnFor } from "./function-state-machine.js";

export interface BillingCycleWorkflowProps {
	/** Lambda functions by catalog id; every `${<id>FunctionArn}` placeholder of the definition needs one. */
	readonly functions: Readonly<Record<string, lambda.IFunction>>;
	/** The billing bucket: the Distributed Map reads its manifest from it (`${BillingBucketName}`). */
	readonly bucket: s3.IBucket;
	/** The Distributed Maps' batch sizes and concurrency (the definition's `${...BatchSize}` and `${...MaxConcurrency}`). */
	readonly batching: Pick<BillingConfig, "invoiceBatchSize" | "invoiceMaxConcurrency" | "reviewBatchSize" | "reviewMaxConcurrency">;
	/** @default statemachines/billing-cycle.asl.json */
	readonly definitionFile?: string;
	/** @default BillingCycleWorkflow.DEFAULT_NAME ("billing-cycle") */
	readonly stateMachineName?: string;
}

/**
 * The maps' settings as the definition's substitutions: strings, as DefinitionSubstitutions are;
 * the definition's Plan Batches state turns them into the numbers MaxConcurrencyPath and
 * MaxItemsPerBatchPath read (States.StringToJson).
 */
export function batchingSubstitutions(batching: BillingCycleWorkflowProps["batching"]): Record<string, string> {
	return {
		InvoiceAccountsBatchSize: String(batching.invoiceBatchSize),
		InvoiceAccountsMaxConcurrency: String(batching.invoiceMaxConcurrency),
		ReviewAccountsBatchSize: String(batching.reviewBatchSize),
		ReviewAccountsMaxConcurrency: String(batching.reviewMaxConcurrency),
	};
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
		return stateMachineArnFor(scope, stateMachineName);
	}

	/** Every execution of the state machine, `…:execution:<name>:*`. */
	static executionsArnFor(scope: Construct, stateMachineName: string = BillingCycleWorkflow.DEFAULT_NAME): string {
		return Stack.of(scope).formatArn({
			service: "states",
			resource: "execution",
			resourceName: `${stateMachineName}:*`,
			arnFormat: ArnFormat.COLON_RESOURCE_NAME,
		});
	}

	readonly stateMachine: sfn.StateMachine;
	readonly logGroup: logs.LogGroup;
	readonly definitionSubstitutions: Readonly<Record<string, string>>;

	constructor(scope: Construct, id: string, props: BillingCycleWorkflowProps) {
		super(scope, id);
		const name = props.stateMachineName ?? BillingCycleWorkflow.DEFAULT_NAME;
		const workflow = functionStateMachine(this, {
			name,
			definitionFile: props.definitionFile ?? billingCycleDefinitionFile,
			functions: props.functions,
			preset: { BillingBucketName: props.bucket.bucketName, ...batchingSubstitutions(props.batching) },
		});
		this.stateMachine = workflow.stateMachine;
		this.logGroup = workflow.logGroup;
		this.definitionSubstitutions = workflow.substitutions;

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

		grantDistributedMapChildren(this, this.stateMachine, name, "billing-<period> and its re-drives, named per run");

		acknowledge(
			this,
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
		);
	}
}
