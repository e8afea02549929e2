import { Duration, Stack, TimeZone } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { acknowledge, wildcardResource } from "../nag.js";
import { deadLetterQueue } from "./operations.js";

export interface MonthlyScheduleProps {
	/** The StartBillingCycle function: it derives the execution name from the period, which Scheduler cannot. */
	readonly target: lambda.IFunction;
	/** @default "cron(0 2 1 * ? *)": 02:00 on the 1st of every month */
	readonly expression?: string;
	/** @default TimeZone.ETC_UTC */
	readonly timeZone?: TimeZone;
}

/**
 * EventBridge Scheduler starts the billing cycle once a month, at an exact time (no
 * flexible window). Deliveries Scheduler cannot make, and starts that failed, land in an
 * encrypted dead-letter queue (alarmed in Monitoring).
 */
export class MonthlySchedule extends Construct {
	static readonly DEFAULT_EXPRESSION = "cron(0 2 1 * ? *)";

	readonly schedule: scheduler.Schedule;
	readonly deadLetterQueue: sqs.Queue;
	readonly role: iam.Role;

	constructor(scope: Construct, id: string, props: MonthlyScheduleProps) {
		super(scope, id);
		const stack = Stack.of(this);

		this.deadLetterQueue = deadLetterQueue(
			this,
			"DeadLetterQueue",
			"the schedule's DeadLetterConfig, and StartBillingCycle's on-failure destination",
		);
		// Scheduler invokes the function asynchronously: its DLQ holds what it could not deliver, and a
		// start that failed after Lambda's two retries lands in the same queue instead of being dropped.
		props.target.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.deadLetterQueue) });

		this.role = new iam.Role(this, "Role", {
			description: "Lets EventBridge Scheduler invoke the StartBillingCycle function",
			assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com", {
				conditions: {
					StringEquals: {
						"aws:SourceAccount": stack.account,
						"aws:SourceArn": stack.formatArn({
							service: "scheduler",
							resource: "schedule-group",
							resourceName: "default",
						}),
					},
				},
			}),
		});

		this.schedule = new scheduler.Schedule(this, "Schedule", {
			description: "Starts the monthly billing cycle for the previous calendar month",
			schedule: scheduler.ScheduleExpression.expression(
				props.expression ?? MonthlySchedule.DEFAULT_EXPRESSION,
				props.timeZone ?? TimeZone.ETC_UTC,
			),
			timeWindow: scheduler.TimeWindow.off(),
			target: new LambdaInvoke(props.target, {
				role: this.role,
				deadLetterQueue: this.deadLetterQueue,
				retryAttempts: 10,
				maxEventAge: Duration.hours(6),
				input: scheduler.ScheduleTargetInput.fromObject({
					source: "schedule",
					scheduledTime: scheduler.ContextAttribute.scheduledTime,
				}),
			}),
		});

		acknowledge(
			this.role,
			wildcardResource(
				this,
				`${props.target.functionArn}:*`,
				"CDK's Lambda invoke grant also covers the StartBillingCycle function's versions and aliases; it is still that one function.",
			),
		);
	}
}
