import { Duration } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import * as ses from "aws-cdk-lib/aws-ses";
import type * as sns from "aws-cdk-lib/aws-sns";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SES_EVENT_DETAIL_TYPES } from "../../shared/delivery/email-events.js";
import { alarmOnAny, alarmOnDeadLetters, deadLetterQueue } from "./operations.js";

export interface EmailEventsProps {
	/** The configuration set every email is sent through (SenderIdentity). */
	readonly configurationSet: ses.ConfigurationSet;
	/** The EmailEvents function: records bounces and complaints against the accounts. */
	readonly handler: lambda.IFunction;
	/** Where the alarms on events not recorded go. */
	readonly alarmTopic: sns.ITopic;
}

/**
 * What SES reports about each email sent (DESIGN.md section 15): the configuration set
 * publishes its sends, deliveries, bounces, complaints, rejections, rendering failures and
 * delivery delays to the default EventBridge bus (the only bus SES publishes to), and a rule
 * sends those of this configuration set to the EmailEvents function. An event that cannot be
 * delivered, or whose recording still fails after Lambda's two retries, lands in an
 * encrypted dead-letter queue, and an alarm fires.
 */
export class EmailEvents extends Construct {
	/** The event types published: the bounces and complaints mark addresses; the sends settle deliveries. */
	static readonly EVENT_TYPES: readonly ses.EmailSendingEvent[] = [
		ses.EmailSendingEvent.SEND,
		ses.EmailSendingEvent.DELIVERY,
		ses.EmailSendingEvent.BOUNCE,
		ses.EmailSendingEvent.COMPLAINT,
		ses.EmailSendingEvent.REJECT,
		ses.EmailSendingEvent.RENDERING_FAILURE,
		ses.EmailSendingEvent.DELIVERY_DELAY,
	];

	readonly destination: ses.ConfigurationSetEventDestination;
	readonly rule: events.Rule;
	readonly deadLetterQueue: sqs.Queue;
	readonly failedAlarm: cloudwatch.Alarm;
	readonly deadLettersAlarm: cloudwatch.Alarm;

	constructor(scope: Construct, id: string, props: EmailEventsProps) {
		super(scope, id);
		const defaultBus = events.EventBus.fromEventBusName(this, "DefaultBus", "default");
		this.destination = props.configurationSet.addEventDestination("ToEventBridge", {
			destination: ses.EventDestination.eventBus(defaultBus),
			events: [...EmailEvents.EVENT_TYPES],
		});

		this.deadLetterQueue = deadLetterQueue(
			this,
			"DeadLetterQueue",
			"the email events rule's target DeadLetterConfig, and EmailEvents' on-failure destination",
		);
		// An asynchronous invocation: Lambda retries a failed recording itself (twice; recording is
		// idempotent on SES's feedback id), then sends the event with the error to the queue.
		props.handler.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.deadLetterQueue) });

		this.rule = new events.Rule(this, "EmailEvent", {
			description: "An event SES published for an email sent through the billing configuration set: record it",
			eventBus: defaultBus,
			eventPattern: {
				source: ["aws.ses"],
				detailType: Object.values(SES_EVENT_DETAIL_TYPES),
				// Other senders of the account publish to the same bus: only this set's emails.
				detail: { mail: { tags: { "ses:configuration-set": [props.configurationSet.configurationSetName] } } },
			},
			// What EventBridge cannot deliver to the function (after its own retries) lands in the same queue.
			targets: [new targets.LambdaFunction(props.handler, { deadLetterQueue: this.deadLetterQueue })],
		});

		this.failedAlarm = alarmOnAny(
			this,
			"EmailEventsFailed",
			props.handler.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
			"Recording an SES email event (a bounce or complaint) failed; Lambda retries it. Look at the EmailEvents function's log.",
			props.alarmTopic,
		);
		this.deadLettersAlarm = alarmOnDeadLetters(
			this,
			"EmailEventsDeadLetters",
			this.deadLetterQueue,
			"An SES email event (a bounce or complaint) was not recorded for good: it failed after Lambda's retries, or EventBridge could not deliver it. The message in the email events dead-letter queue holds the event and the error; fix the cause, then correct the account's address by hand (billing accounts update ID --email ...) if it bounced.",
			props.alarmTopic,
		);
	}
}
