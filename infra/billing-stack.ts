import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { billingCycleFunctionIds, documentObjects, functionCatalog, importJobFunctionIds } from "../functions/catalog.js";
import { type BillingConfig, readBillingConfig } from "./config.js";
import { BillingCycleWorkflow } from "./constructs/billing-cycle-workflow.js";
import { BillingData } from "./constructs/billing-data.js";
import { BillingEvents } from "./constructs/billing-events.js";
import { BillingFunction, type BillingFunctionEnvironment } from "./constructs/billing-function.js";
import { DataApi } from "./constructs/data-api.js";
import { DataImport } from "./constructs/data-import.js";
import { DeskApi } from "./constructs/desk-api.js";
import { DeskHosting } from "./constructs/desk-hosting.js";
import { DeskUsers } from "./constructs/desk-users.js";
import { DocumentLinks } from "./constructs/document-links.js";
import { EmailEvents } from "./constructs/email-events.js";
import { GoCardlessWebhookSecret } from "./constructs/gocardless-webhook-secret.js";
import { ImportJobWorkflow } from "./constructs/import-job-workflow.js";
import { Monitoring } from "./constructs/monitoring.js";
import { MonthlySchedule } from "./constructs/monthly-schedule.js";
import { PaymentWebhookApi } from "./constructs/payment-webhook-api.js";
import { SenderIdentity } from "./constructs/sender-identity.js";
import { StripeWebhookSecret } from "./constructs/stripe-webhook-secret.js";

export interface BillingStackProps extends StackProps {
	/** @default read from CDK context (infra/config.ts) */
	readonly config?: BillingConfig;
	/** The built desk app (desk/build.ts), served by the desk's distribution. */
	readonly deskAppDir: string;
}

/** The deployed billing system (DESIGN.md section 1): one construct per concern. */
export class BillingStack extends Stack {
	readonly config: BillingConfig;
	readonly data: BillingData;
	readonly sender: SenderIdentity;
	readonly stripeWebhookSecret: StripeWebhookSecret;
	readonly gocardlessWebhookSecret: GoCardlessWebhookSecret;
	/** The links emails carry to issued documents: CloudFront signed URLs. */
	readonly documentLinks: DocumentLinks;
	/** Every function of functions/catalog.ts, by catalog id. */
	readonly functions: Readonly<Record<string, BillingFunction>>;
	readonly workflow: BillingCycleWorkflow;
	readonly importJob: ImportJobWorkflow;
	readonly schedule: MonthlySchedule;
	readonly webhookApi: PaymentWebhookApi;
	readonly monitoring: Monitoring;
	readonly dataImport: DataImport;
	readonly dataApi: DataApi;
	readonly emailEvents: EmailEvents;
	/** Billing events out: the table stream's publisher, the event bus, the webhook delivery queue. */
	readonly billingEvents: BillingEvents;
	/** Who signs in to the web desk: the Cognito user pool, its role groups and the app's client. */
	readonly deskUsers: DeskUsers;
	readonly deskApi: DeskApi;
	readonly deskHosting: DeskHosting;

	constructor(scope: Construct, id: string, props: BillingStackProps) {
		super(scope, id, {
			description: "Automated monthly billing cycle: invoices, delivery, payment webhooks, reconciliation, dunning and reports",
			...props,
		});
		this.config = props.config ?? readBillingConfig(this);

		const documentKeys = Object.values(documentObjects).map((o) => o.keys);
		this.data = new BillingData(this, "Data", { documentKeys });
		this.documentLinks = new DocumentLinks(this, "DocumentLinks", {
			bucket: this.data.bucket,
			documentKeys,
			accessLogsBucket: this.data.accessLogsBucket,
		});
		this.sender = new SenderIdentity(this, "Sender", { email: this.config.senderEmail });
		this.stripeWebhookSecret = new StripeWebhookSecret(this, "StripeWebhookSecret");
		this.gocardlessWebhookSecret = new GoCardlessWebhookSecret(this, "GoCardlessWebhookSecret");
		this.deskUsers = new DeskUsers(this, "DeskUsers");

		const environment: BillingFunctionEnvironment = {
			config: this.config,
			table: this.data.table,
			bucket: this.data.bucket,
			sender: this.sender,
			stripeWebhookSecret: this.stripeWebhookSecret.secret,
			gocardlessWebhookSecret: this.gocardlessWebhookSecret.secret,
			documentLinks: this.documentLinks,
			billingCycleStateMachineArn: BillingCycleWorkflow.arnFor(this),
			importJobStateMachineArn: ImportJobWorkflow.arnFor(this),
			billingCycleExecutionsArn: BillingCycleWorkflow.executionsArnFor(this),
			deskUsers: this.deskUsers,
		};
		const functions: Record<string, BillingFunction> = {};
		for (const spec of functionCatalog) {
			functions[spec.id] = new BillingFunction(this, spec.id, { spec, environment });
		}
		this.functions = functions;
		const billingFunction = (functionId: string) => {
			const found = functions[functionId];
			if (!found) throw new Error(`functions/catalog.ts has no function "${functionId}"`);
			return found;
		};
		const fn = (functionId: string) => billingFunction(functionId).function;

		this.workflow = new BillingCycleWorkflow(this, "BillingCycle", {
			functions: Object.fromEntries(billingCycleFunctionIds.map((functionId) => [functionId, fn(functionId)])),
			bucket: this.data.bucket,
			batching: this.config,
		});
		this.schedule = new MonthlySchedule(this, "MonthlySchedule", { target: fn("StartBillingCycle") });
		this.webhookApi = new PaymentWebhookApi(this, "PaymentWebhookApi", {
			handler: fn("PaymentWebhook"),
			rateLimit: this.config.webhookRateLimit,
			burstLimit: this.config.webhookBurstLimit,
		});
		this.monitoring = new Monitoring(this, "Monitoring", {
			stateMachine: this.workflow.stateMachine,
			webhookFunction: fn("PaymentWebhook"),
			webhookApi: this.webhookApi,
			startBillingCycleFunction: fn("StartBillingCycle"),
			scheduleDeadLetterQueue: this.schedule.deadLetterQueue,
			alarmEmail: this.config.alarmEmail,
		});
		this.importJob = new ImportJobWorkflow(this, "ImportJob", {
			functions: Object.fromEntries(importJobFunctionIds.map((functionId) => [functionId, fn(functionId)])),
			bucket: this.data.bucket,
			alarmTopic: this.monitoring.topic,
		});
		this.dataImport = new DataImport(this, "DataImport", {
			bucket: this.data.bucket,
			handler: fn("ImportFile"),
			alarmTopic: this.monitoring.topic,
		});
		this.dataApi = new DataApi(this, "DataHttpApi", { handler: fn("DataApi"), alarmTopic: this.monitoring.topic });
		this.emailEvents = new EmailEvents(this, "SesEvents", {
			configurationSet: this.sender.configurationSet,
			handler: fn("EmailEvents"),
			alarmTopic: this.monitoring.topic,
		});

		this.billingEvents = new BillingEvents(this, "BillingEvents", {
			table: this.data.table,
			publisher: billingFunction("PublishBillingEvents"),
			deliverer: billingFunction("DeliverWebhooks"),
			dueSweep: billingFunction("QueueDueWebhooks"),
			alarmTopic: this.monitoring.topic,
		});

		this.deskApi = new DeskApi(this, "DeskHttpApi", {
			handler: fn("DeskApi"),
			userPool: this.deskUsers.userPool,
			userPoolClient: this.deskUsers.client,
			rateLimit: this.config.deskRateLimit,
			burstLimit: this.config.deskBurstLimit,
			alarmTopic: this.monitoring.topic,
		});
		this.deskHosting = new DeskHosting(this, "DeskHosting", {
			appDir: props.deskAppDir,
			api: this.deskApi.api,
			userPoolClient: this.deskUsers.client,
			documentsOrigin: this.documentLinks.baseUrl,
			accessLogsBucket: this.data.accessLogsBucket,
		});

		new CfnOutput(this, "StripeWebhookUrl", {
			description: "Register this URL as the Stripe webhook endpoint",
			value: this.webhookApi.stripeWebhookUrl,
		});
		new CfnOutput(this, "StripeWebhookSecretArn", {
			description: "Put the endpoint's whsec_... signing secret here",
			value: this.stripeWebhookSecret.secret.secretArn,
		});
		new CfnOutput(this, "GoCardlessWebhookUrl", {
			description: "Register this URL as the GoCardless webhook endpoint",
			value: this.webhookApi.gocardlessWebhookUrl,
		});
		new CfnOutput(this, "GoCardlessWebhookSecretArn", {
			description: "Put the GoCardless webhook endpoint secret here",
			value: this.gocardlessWebhookSecret.secret.secretArn,
		});
		new CfnOutput(this, "DataApiUrl", {
			description: "The data API (IAM-authorized): PUT /accounts/{id}, POST /charges",
			value: this.dataApi.url,
		});
		new CfnOutput(this, "DocumentLinkBaseUrl", {
			description: "Where the links in emails to issued documents point (CloudFront, signed URLs only)",
			value: this.documentLinks.baseUrl,
		});
		new CfnOutput(this, "DocumentLinkKeyPairId", {
			description: "The CloudFront public key id document links are signed for",
			value: this.documentLinks.publicKey.publicKeyId,
		});
		new CfnOutput(this, "DocumentLinkPrivateKeySecretArn", {
			description: "The secret holding the document links' private key (the CLI needs GetSecretValue on it to email an invoice)",
			value: this.documentLinks.privateKeySecret.secretArn,
		});
		new CfnOutput(this, "StateMachineArn", { value: this.workflow.stateMachine.stateMachineArn });
		new CfnOutput(this, "ImportJobStateMachineArn", {
			description: "The import job a charge file over IMPORT_ONE_SHOT_BYTES under imports/ runs as",
			value: this.importJob.stateMachine.stateMachineArn,
		});
		new CfnOutput(this, "TableName", { value: this.data.table.tableName });
		new CfnOutput(this, "BucketName", { value: this.data.bucket.bucketName });
		new CfnOutput(this, "AlarmTopicArn", { value: this.monitoring.topic.topicArn });
		new CfnOutput(this, "SesConfigurationSetName", {
			description: "The SES configuration set every email is sent through; the CLI names it on its sends",
			value: this.sender.configurationSet.configurationSetName,
		});
		new CfnOutput(this, "DeskUrl", { description: "The billing desk, in a browser", value: this.deskHosting.url });
		new CfnOutput(this, "DeskUserPoolId", {
			description: "The web desk's user pool: `billing users add EMAIL --role admin|billing|viewer --stack NAME` adds a person",
			value: this.deskUsers.userPool.userPoolId,
		});
		new CfnOutput(this, "DeskUserPoolClientId", {
			description: "The web desk's app client (USER_PASSWORD_AUTH): `billing users token` signs in with it",
			value: this.deskUsers.client.userPoolClientId,
		});
		new CfnOutput(this, "BillingEventBusName", {
			description: "The bus every billing event is put on (source billing, detail-type the event's type): write your rules on it",
			value: this.billingEvents.bus.eventBusName,
		});
		new CfnOutput(this, "BillingEventBusArn", {
			description: "The billing event bus's ARN, for rules and cross-account targets",
			value: this.billingEvents.bus.eventBusArn,
		});
		new CfnOutput(this, "WebhookDeliveryDeadLetterQueueUrl", {
			description: "Webhook delivery messages DeliverWebhooks failed to handle (alarmed): read them, fix the cause, replay",
			value: this.billingEvents.deliveryDeadLetterQueue.queueUrl,
		});
		new CfnOutput(this, "DocumentRetentionYears", {
			description: "Years issued documents are kept under S3 Object Lock; the CLI stores credit memos with it",
			value: String(this.config.documentRetentionYears),
		});
	}
}
