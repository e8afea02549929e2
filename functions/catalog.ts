import { IMPORT_RESULT_SUFFIX } from "../shared/imports/results.js";
import { type GSI1, type GSI2, IMPORTS_WRITING_PARTITION, PARKED_PARTITION_PREFIX } from "../shared/store/keys.js";

/**
 * Every Lambda of the product, in one place: CDK builds one function per entry and the
 * embedded runtime maps the same ids to the same handler modules. `id` is also the
 * DefinitionSubstitutions key prefix in statemachines/*.asl.json (`${<id>FunctionArn}`).
 */
export interface FunctionSpec {
	readonly id: string;
	/** Folder under functions/ holding handler.ts (export `handler`). */
	readonly dir: string;
	readonly description: string;
	/** The billing table: none (no grant, no TABLE_NAME), or the actions its code takes on it. */
	readonly table: "none" | TableAccess;
	/** The objects of the bucket it may read and write, by key prefix; no function may delete one. */
	readonly bucket: "none" | BucketAccess;
	readonly sendsEmail: boolean;
	/** It emails links to issued documents: the links' address and key pair id, and GetSecretValue on the signing key. */
	readonly signsDocumentLinks: boolean;
	readonly readsStripeSecret: boolean;
	readonly startsBillingCycle: boolean;
	/** It starts the import job workflow (IMPORT_JOB_STATE_MACHINE_ARN, states:StartExecution on it). */
	readonly startsImportJob: boolean;
	/** The desk's user pool: DESK_USER_POOL_* to verify its tokens, and the admin actions that add, list and disable its users. */
	readonly managesDeskUsers: boolean;
	/** The billing cycle's runs: STATE_MACHINE_ARN, states:ListExecutions on it, DescribeExecution and GetExecutionHistory on its executions. */
	readonly readsBillingRuns: boolean;
	/** It renders PDFs (its code reaches shared/documents/pdf-layout.ts): its bundle carries the font files they embed. */
	readonly rendersPdfs: boolean;
	/**
	 * It validates e-invoices with the official rules (its code reaches shared/einvoicing/validate.ts):
	 * its bundle carries the compiled rule sets and SaxonJS.
	 */
	readonly validatesEinvoices: boolean;
	readonly timeoutSeconds: number;
	readonly memoryMb: number;
}

/**
 * A DynamoDB action on the billing table, as IAM names it (without `dynamodb:`). A
 * TransactWriteItems call needs the action of each of its items (Put: PutItem, Update:
 * UpdateItem, Delete: DeleteItem, ConditionCheck: ConditionCheckItem); TransactGetItems needs
 * GetItem. Embedded, nothing enforces these grants: a missing one fails only on AWS.
 */
export type TableAction =
	| "GetItem"
	| "BatchGetItem"
	| "Query"
	| "Scan"
	| "PutItem"
	| "UpdateItem"
	| "DeleteItem"
	| "ConditionCheckItem"
	| "BatchWriteItem";

/** A global secondary index of the table (shared/store/keys.ts). */
export type TableIndex = typeof GSI1 | typeof GSI2;

/**
 * What a function may do in the billing table: exactly the actions its code takes (traced from
 * its handler through shared/), granted on the table; Query on the indexes it names.
 */
export interface TableAccess {
	/** On the table's items; `Query` here is a query of the table's own key (pk, sk). */
	readonly actions: readonly TableAction[];
	/** The indexes it queries: dynamodb:Query on each of them, no other action. */
	readonly indexes?: readonly TableIndex[];
	/** When set, DeleteItem only on items whose partition key starts with one of these (dynamodb:LeadingKeys). */
	readonly deletesOnlyUnder?: readonly string[];
}

/** Objects of the billing bucket under one key pattern, and what they are (the grant's written reason says it). */
export interface BucketObjects {
	/** An S3 key pattern, `invoices/*`. */
	readonly keys: string;
	readonly holds: string;
	/** Read by the version an S3 event names (s3:GetObjectVersion besides s3:GetObject): a file put again since is not what was imported. */
	readonly readByVersion?: true;
}

/**
 * What a function may do in the bucket: s3:GetObject on `read`, s3:PutObject on `write`
 * (a new version of a key: the bucket is versioned, so nothing written is ever lost) and,
 * on issued documents (`documentObjects`), s3:PutObjectRetention (their puts carry an
 * Object Lock retention), never s3:DeleteObject*. `list` adds s3:ListBucket, which a HEAD of a missing key needs
 * to answer 404 rather than 403 (storing a PDF unless it is present).
 */
export interface BucketAccess {
	readonly read?: readonly BucketObjects[];
	readonly write?: readonly BucketObjects[];
	readonly list?: boolean;
}

/**
 * Files to import are put under `prefix` in the bucket (DESIGN.md section 8); the ImportFile
 * function writes each one's result beside it as `<key><resultSuffix>`. The bucket's rule
 * sends it the names with these extensions only (CSV or JSON Lines), so a result is never
 * taken for a file to import.
 */
export const importObjects = {
	prefix: "imports/",
	resultSuffix: IMPORT_RESULT_SUFFIX,
	extensions: ["csv", "jsonl", "ndjson"],
} as const;

/** The bucket's folders, as the code names its keys (shared/invoicing, delivery, reporting, collections). */
export const bucketObjects = {
	manifests: { keys: "manifests/*", holds: "each run's manifest of accounts, manifests/<period>/" },
	runs: { keys: "runs/*", holds: "each Distributed Map's results (ResultWriter), runs/<period>/<map>/<map run id>/" },
	invoices: { keys: "invoices/*", holds: "invoice PDFs, invoices/<period>/<number>.pdf, and their e-invoices beside them (.xml)" },
	statements: { keys: "statements/*", holds: "statement PDFs, statements/<period>/<account>.pdf" },
	print: { keys: "print/*", holds: "the period's print batch and its manifest, print/<period>/" },
	reports: { keys: "reports/*", holds: "the monthly, quarterly and reconciliation reports, reports/<period>/" },
	collections: { keys: "collections/*", holds: "the collections cases of a month, collections/<month>/cases.csv" },
	books: { keys: "books/*", holds: "the month's trial balance and journals, books/<period>/" },
	imports: { keys: `${importObjects.prefix}*`, holds: "files to import, named by whoever puts them there", readByVersion: true },
	importResults: {
		keys: `${importObjects.prefix}*${importObjects.resultSuffix}`,
		holds: "each imported file's result, written beside it under a name derived from the file's",
	},
	importJobs: {
		keys: "import-jobs/*",
		holds: "each import job's partitions, manifest and map results, import-jobs/<job id>/",
	},
} as const satisfies Record<string, BucketObjects>;

/**
 * The imports (files under imports/ and the data API): records created and changed on the
 * values read and charge pages on their account's book, in transactions; the import's own
 * record, its writing lease (put, deleted) and the data API's idempotency records (put, read,
 * updated, deleted); never a Scan or a batch write.
 */
const importAccess: TableAccess = {
	actions: ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"],
};

/**
 * The issued documents: written once with If-None-Match: * (the bucket refuses any other put
 * there), each under S3 Object Lock retention (DOCUMENT_RETENTION_YEARS), and no principal
 * may delete a version of one (DESIGN.md section 15). Credit memos are issued by
 * `billing credit-memo create` only, so no function is granted them.
 */
export const documentObjects = {
	invoices: bucketObjects.invoices,
	creditMemos: { keys: "credit-memos/*", holds: "credit memo PDFs, credit-memos/<month>/<number>.pdf, and their e-invoices (.xml)" },
	statements: bucketObjects.statements,
} as const satisfies Record<string, BucketObjects>;

/** Whether the objects are issued documents (`documentObjects`). */
export function holdsDocuments(objects: BucketObjects): boolean {
	return Object.values(documentObjects).some((d) => d.keys === objects.keys);
}

/** Every function declares its `table` access; there is no default grant. */
const defaults = {
	sendsEmail: false,
	signsDocumentLinks: false,
	readsStripeSecret: false,
	startsBillingCycle: false,
	startsImportJob: false,
	managesDeskUsers: false,
	readsBillingRuns: false,
	rendersPdfs: false,
	validatesEinvoices: false,
	timeoutSeconds: 60,
	memoryMb: 512,
} as const;

export const functionCatalog: readonly FunctionSpec[] = [
	{
		...defaults,
		id: "StartBillingCycle",
		dir: "start-billing-cycle",
		description: "Scheduler target: starts the billing cycle for the previous month under an execution name derived from the period",
		table: "none",
		bucket: "none",
		startsBillingCycle: true,
		timeoutSeconds: 30,
	},
	{
		...defaults,
		id: "ResolveBillingPeriod",
		dir: "resolve-billing-period",
		description: "Validates or defaults the billing period",
		table: "none",
		bucket: "none",
		timeoutSeconds: 10,
	},
	{
		...defaults,
		id: "IdentifyOutstandingAccounts",
		dir: "identify-outstanding-accounts",
		description: "Writes the manifests of accounts to invoice and to review",
		// Lists the accounts (gsi1) and the imports writing (a billing run waits for them).
		table: { actions: ["Query"], indexes: ["gsi1"] },
		bucket: { write: [bucketObjects.manifests] },
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "GenerateInvoices",
		dir: "generate-invoices",
		description: "Prices, numbers and renders a batch of invoices, then issues their accounts' statements",
		rendersPdfs: true,
		// Reads accounts, charges and plans (gsi1), writes invoices, their ledger entries (the books' lock checked),
		// the series and the statements in transactions; records a failed account.
		table: {
			actions: ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "ConditionCheckItem"],
			indexes: ["gsi1"],
		},
		// Stores each PDF unless present (a HEAD first, which needs the listing to answer 404).
		bucket: {
			read: [bucketObjects.invoices, bucketObjects.statements],
			write: [bucketObjects.invoices, bucketObjects.statements],
			list: true,
		},
		timeoutSeconds: 300,
		memoryMb: 1024,
	},
	{
		...defaults,
		id: "DeliverInvoices",
		dir: "deliver-invoices",
		description: "Emails a batch of invoices with their PDFs, e-invoices and the accounts' statements",
		// Claims each delivery, records its outcome and releases a claim whose send failed (DeleteItem);
		// writes no ledger entry, so never checks the books' lock.
		table: { actions: ["GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem"] },
		// The PDFs it attaches. The invoice's download link is a CloudFront signed URL (the distribution reads the PDF).
		// An account's e-invoice is validated as it leaves and stored beside the PDF (invoices/<period>/<number>.xml),
		// written once like the PDF; a retry reads it back (a GET of a missing key needs the listing to answer 404).
		bucket: { read: [bucketObjects.invoices, bucketObjects.statements], write: [documentObjects.invoices], list: true },
		sendsEmail: true,
		signsDocumentLinks: true,
		validatesEinvoices: true,
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "AssemblePrintBatch",
		dir: "assemble-print-batch",
		description: "Merges the period's postal invoices into one print-ready PDF with a manifest CSV",
		// Reads the print queue (gsi2) and the queued deliveries; writes nothing in the table.
		table: { actions: ["BatchGetItem"], indexes: ["gsi2"] },
		bucket: { read: [bucketObjects.invoices, bucketObjects.statements], write: [bucketObjects.print] },
		timeoutSeconds: 300,
		memoryMb: 1024,
	},
	{
		...defaults,
		id: "RecordRunFailure",
		dir: "record-run-failure",
		description: "Records a failed batch or run for the run summary, and the run's billing_run.failed event once",
		table: { actions: ["PutItem"] },
		bucket: "none",
		timeoutSeconds: 30,
	},
	{
		...defaults,
		id: "RecordRunOutcome",
		dir: "record-run-outcome",
		description: "Records a run that got to its end, with its billing_run.succeeded event, once",
		// The outcome and its event: two conditional puts in one transaction.
		table: { actions: ["PutItem"] },
		bucket: "none",
		timeoutSeconds: 30,
	},
	{
		...defaults,
		id: "SummarizeInvoicing",
		dir: "summarize-invoicing",
		description: "Adds up the Invoice Accounts batches' counts and lists the run's failures",
		// The run's failures (the table's key) and its deliveries whose outcome is unknown (gsi2).
		table: { actions: ["GetItem", "Query"], indexes: ["gsi2"] },
		bucket: { read: [bucketObjects.runs] },
		timeoutSeconds: 120,
	},
	{
		...defaults,
		id: "ReconcilePayments",
		dir: "reconcile-payments",
		description: "Applies matchable unapplied payments and parked events, verifies the payments, writes the reconciliation report",
		// Applies unapplied payments and parked refunds and disputes, taking each off its queue: its only delete.
		table: {
			actions: ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"],
			indexes: ["gsi1", "gsi2"],
			deletesOnlyUnder: [PARKED_PARTITION_PREFIX],
		},
		bucket: { write: [bucketObjects.reports] },
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "VerifyLedgers",
		dir: "verify-ledgers",
		description:
			"Sets a batch of accounts' credit against their open invoices, verifies their ledgers and tallies them for the month's books",
		table: { actions: ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "ConditionCheckItem"] },
		bucket: { write: [bucketObjects.runs] },
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "EscalateOverdueAccounts",
		dir: "escalate-overdue-accounts",
		description: "Runs the dunning ladder and sets the collections status of a batch of accounts",
		// Open invoices (gsi2), accounts and collections cases (gsi1); dunning notices, collections status and cases.
		table: {
			actions: ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "ConditionCheckItem"],
			indexes: ["gsi1", "gsi2"],
		},
		// Attaches the invoice PDF to each notice.
		bucket: { read: [bucketObjects.invoices] },
		sendsEmail: true,
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "SummarizeAccountReview",
		dir: "summarize-account-review",
		description: "Adds up the Review Accounts batches, writes the month's collections cases and notifies the collections team",
		// The month's collections cases (gsi1); records a failed account.
		table: { actions: ["PutItem"], indexes: ["gsi1"] },
		bucket: { read: [bucketObjects.runs], write: [bucketObjects.collections] },
		sendsEmail: true,
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "PublishReports",
		dir: "publish-reports",
		description: "Adds up the Review Accounts tallies into the month's (and quarter's) billing report and books in S3",
		// The books' lock and the month's invoices (gsi1); writes nothing in the table.
		table: { actions: ["GetItem"], indexes: ["gsi1"] },
		bucket: { read: [bucketObjects.runs], write: [bucketObjects.reports, bucketObjects.books] },
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "PaymentWebhook",
		dir: "payment-webhook",
		description: "Verifies, stores and applies payment processor webhooks",
		// Internet-facing: no Scan, no BatchWriteItem, and its one delete takes a parked refund or dispute off
		// its queue as the payment it waited for arrives (shared/payments/adjustments.ts), so only there.
		table: {
			actions: ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"],
			deletesOnlyUnder: [PARKED_PARTITION_PREFIX],
		},
		bucket: "none",
		readsStripeSecret: true,
		timeoutSeconds: 15,
	},
	{
		...defaults,
		id: "EmailEvents",
		dir: "email-events",
		description:
			"Records what SES reports about the emails sent (EventBridge): a permanent bounce or a complaint marks the address undeliverable",
		// Reads the account the email's tags name; writes the report's record, the account's mark and its audit entry in one
		// transaction (Put, Update, Put); no Query, no delete, no ledger entry (so no books' lock check).
		table: { actions: ["GetItem", "PutItem", "UpdateItem"] },
		bucket: "none",
		timeoutSeconds: 30,
	},
	{
		...defaults,
		id: "ImportFile",
		dir: "import-file",
		description:
			"Imports a file put under imports/ in the bucket (accounts, plans, subscriptions or charges) and writes its result beside it",
		table: importAccess,
		// Before it starts an import job it reads the file's result (a redelivered event leaves the job's own), which needs the listing to answer 404.
		bucket: { read: [bucketObjects.imports], write: [bucketObjects.importResults], list: true },
		startsImportJob: true,
		// 100,000 charge rows, read twice from S3 and written in batches.
		timeoutSeconds: 900,
		memoryMb: 1024,
	},
	// The import job (statemachines/import-job.asl.json): a charge file over IMPORT_ONE_SHOT_BYTES, a step each.
	{
		...defaults,
		id: "CheckImportFile",
		dir: "check-import-file",
		description:
			"Import job, Check File: reads the file's version, checks each row on its own and spills the checked charges into partitions",
		table: "none",
		bucket: { read: [bucketObjects.imports], write: [bucketObjects.importJobs] },
		timeoutSeconds: 900,
		memoryMb: 1024,
	},
	{
		...defaults,
		id: "CheckImportPartitions",
		dir: "check-import-partitions",
		description: "Import job, Check Partitions: checks a partition's charges against the accounts, invoiced months and charges stored",
		table: { actions: ["GetItem", "BatchGetItem", "Query"] },
		bucket: { read: [bucketObjects.importJobs] },
		timeoutSeconds: 900,
		memoryMb: 1024,
	},
	{
		...defaults,
		id: "SummarizeImportChecks",
		dir: "summarize-import-checks",
		description: "Import job, Summarize Checks: adds up the problems; refuses the file on any, else takes the import's writing lease",
		// The writing lease (put).
		table: { actions: ["PutItem"] },
		bucket: { read: [bucketObjects.importJobs], write: [bucketObjects.importResults] },
		timeoutSeconds: 120,
	},
	{
		...defaults,
		id: "WriteImportPartitions",
		dir: "write-import-partitions",
		description: "Import job, Write Partitions: renews the lease and writes a partition's charges on their accounts' charge books",
		table: importAccess,
		bucket: { read: [bucketObjects.importJobs] },
		timeoutSeconds: 900,
		memoryMb: 1024,
	},
	{
		...defaults,
		id: "RecordImport",
		dir: "record-import",
		description: "Import job, Record Import: adds up the counts, records the import and its result, ends the lease",
		// The import's record (put) and the lease (deleted: nothing else).
		table: { actions: ["PutItem", "DeleteItem"], deletesOnlyUnder: [IMPORTS_WRITING_PARTITION] },
		bucket: { read: [bucketObjects.importJobs], write: [bucketObjects.importResults] },
		timeoutSeconds: 120,
	},
	{
		...defaults,
		id: "RecordImportFailure",
		dir: "record-import-failure",
		description: "Import job, Record Import Failure: the file's result says failed and the lease ends",
		// The lease, deleted: nothing else.
		table: { actions: ["DeleteItem"], deletesOnlyUnder: [IMPORTS_WRITING_PARTITION] },
		bucket: { write: [bucketObjects.importResults] },
		timeoutSeconds: 30,
	},
	{
		...defaults,
		id: "DataApi",
		dir: "data-api",
		description: "The data API: PUT /accounts/{id} and POST /charges (up to 1,000), imported like files",
		table: importAccess,
		bucket: "none",
		// Within API Gateway's 30-second integration limit.
		timeoutSeconds: 29,
	},
	{
		...defaults,
		id: "DeskApi",
		dir: "desk-api",
		description:
			"The web desk's API (/desk/api/...): the billing team's reads and the desk's operations, each checked against the caller's role",
		rendersPdfs: true,
		// Credit memos and resends issue e-invoices.
		validatesEinvoices: true,
		// The desk's operations: every change a person makes (transactions of puts, updates and condition checks),
		// the imports' writing lease (put, then deleted: only there), the listings (gsi1) and work queues (gsi2).
		table: {
			actions: ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"],
			indexes: ["gsi1", "gsi2"],
			deletesOnlyUnder: [IMPORTS_WRITING_PARTITION],
		},
		// Invoices issued and re-issued by hand, credit memos, the statements a resend carries, the books a close writes.
		bucket: {
			read: [documentObjects.invoices, documentObjects.creditMemos, documentObjects.statements, bucketObjects.books],
			write: [documentObjects.invoices, documentObjects.creditMemos, documentObjects.statements, bucketObjects.books],
			list: true,
		},
		sendsEmail: true,
		signsDocumentLinks: true,
		managesDeskUsers: true,
		readsBillingRuns: true,
		timeoutSeconds: 29,
		memoryMb: 1024,
	},
	{
		...defaults,
		id: "PublishBillingEvents",
		dir: "publish-billing-events",
		description:
			"The table stream's new billing events: numbered per object, put on the event bus and handed to the webhook endpoints that take them",
		// Reads an event's sequence and the object's counter, writes both in one transaction (Update, Update), lists the
		// endpoints (gsi1) and puts each new delivery (Put, conditional).
		table: { actions: ["GetItem", "PutItem", "UpdateItem"], indexes: ["gsi1"] },
		bucket: "none",
		timeoutSeconds: 60,
	},
	{
		...defaults,
		id: "DeliverWebhooks",
		dir: "deliver-webhooks",
		description: "One attempt of each webhook delivery the queue gives it: a signed POST, its outcome recorded, a retry scheduled",
		// Claims and records the attempt (Update), reads the endpoint and the event, changes the endpoint (Put, conditional).
		table: { actions: ["GetItem", "PutItem", "UpdateItem"] },
		bucket: "none",
		timeoutSeconds: 60,
	},
	{
		...defaults,
		id: "QueueDueWebhooks",
		dir: "queue-due-webhooks",
		description: "Every minute: the webhook deliveries due (retries, replays, lapsed attempts) onto the delivery queue",
		table: { actions: [], indexes: ["gsi2"] },
		bucket: "none",
		timeoutSeconds: 60,
	},
];

/** The functions the import job state machine invokes (statemachines/import-job.asl.json). */
export const importJobFunctionIds: readonly string[] = [
	"CheckImportFile",
	"CheckImportPartitions",
	"SummarizeImportChecks",
	"WriteImportPartitions",
	"RecordImport",
	"RecordImportFailure",
];

/** Functions invoked by something other than the billing-cycle state machine. */
const notInBillingCycle: readonly string[] = [
	"StartBillingCycle",
	"PaymentWebhook",
	"EmailEvents",
	"ImportFile",
	"DataApi",
	"DeskApi",
	"PublishBillingEvents",
	"DeliverWebhooks",
	"QueueDueWebhooks",
	...importJobFunctionIds,
];

/** Functions the billing-cycle state machine invokes (everything but the scheduler target, the webhook and the data ingestion). */
export const billingCycleFunctionIds = functionCatalog.map((f) => f.id).filter((id) => !notInBillingCycle.includes(id));
