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
	/** The billing table: none (no grant, no TABLE_NAME), read, or read and write. */
	readonly table: "none" | "read" | "readWrite";
	/** The objects of the bucket it may read and write, by key prefix; no function may delete one. */
	readonly bucket: "none" | BucketAccess;
	readonly sendsEmail: boolean;
	readonly readsStripeSecret: boolean;
	readonly startsBillingCycle: boolean;
	readonly timeoutSeconds: number;
	readonly memoryMb: number;
}

/** Objects of the billing bucket under one key pattern, and what they are (the grant's written reason says it). */
export interface BucketObjects {
	/** An S3 key pattern, `invoices/*`. */
	readonly keys: string;
	readonly holds: string;
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
	resultSuffix: ".result.json",
	extensions: ["csv", "jsonl", "ndjson"],
} as const;

/** The bucket's folders, as the code names its keys (shared/invoicing, delivery, reporting, collections). */
export const bucketObjects = {
	manifests: { keys: "manifests/*", holds: "each run's manifest of accounts, manifests/<period>/" },
	runs: { keys: "runs/*", holds: "each Distributed Map's results (ResultWriter), runs/<period>/<map>/<map run id>/" },
	invoices: { keys: "invoices/*", holds: "invoice PDFs, invoices/<period>/<number>.pdf" },
	statements: { keys: "statements/*", holds: "statement PDFs, statements/<period>/<account>.pdf" },
	print: { keys: "print/*", holds: "the period's print batch and its manifest, print/<period>/" },
	reports: { keys: "reports/*", holds: "the monthly, quarterly and reconciliation reports, reports/<period>/" },
	collections: { keys: "collections/*", holds: "the collections cases of a month, collections/<month>/cases.csv" },
	books: { keys: "books/*", holds: "the month's trial balance and journals, books/<period>/" },
	imports: { keys: `${importObjects.prefix}*`, holds: "files to import, named by whoever puts them there" },
	importResults: {
		keys: `${importObjects.prefix}*${importObjects.resultSuffix}`,
		holds: "each imported file's result, written beside it under a name derived from the file's",
	},
} as const satisfies Record<string, BucketObjects>;

/**
 * The issued documents: written once with If-None-Match: * (the bucket refuses any other put
 * there), each under S3 Object Lock retention (DOCUMENT_RETENTION_YEARS), and no principal
 * may delete a version of one (DESIGN.md section 15). Credit memos are issued by
 * `billing credit-memo create` only, so no function is granted them.
 */
export const documentObjects = {
	invoices: bucketObjects.invoices,
	creditMemos: { keys: "credit-memos/*", holds: "credit memo PDFs, credit-memos/<month>/<number>.pdf" },
	statements: bucketObjects.statements,
} as const satisfies Record<string, BucketObjects>;

/** Whether the objects are issued documents (`documentObjects`). */
export function holdsDocuments(objects: BucketObjects): boolean {
	return Object.values(documentObjects).some((d) => d.keys === objects.keys);
}

const defaults = {
	table: "readWrite",
	sendsEmail: false,
	readsStripeSecret: false,
	startsBillingCycle: false,
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
		table: "read",
		bucket: { write: [bucketObjects.manifests] },
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "GenerateInvoices",
		dir: "generate-invoices",
		description: "Prices, numbers and renders a batch of invoices, then issues their accounts' statements",
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
		description: "Emails a batch of invoices with their PDFs and the accounts' statements",
		// The PDFs it attaches; the invoice's download link is signed with this role's GetObject.
		bucket: { read: [bucketObjects.invoices, bucketObjects.statements] },
		sendsEmail: true,
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "AssemblePrintBatch",
		dir: "assemble-print-batch",
		description: "Merges the period's postal invoices into one print-ready PDF with a manifest CSV",
		bucket: { read: [bucketObjects.invoices, bucketObjects.statements], write: [bucketObjects.print] },
		timeoutSeconds: 300,
		memoryMb: 1024,
	},
	{
		...defaults,
		id: "RecordRunFailure",
		dir: "record-run-failure",
		description: "Records a failed batch or run for the run summary",
		bucket: "none",
		timeoutSeconds: 30,
	},
	{
		...defaults,
		id: "SummarizeInvoicing",
		dir: "summarize-invoicing",
		description: "Adds up the Invoice Accounts batches' counts and lists the run's failures",
		table: "read",
		bucket: { read: [bucketObjects.runs] },
		timeoutSeconds: 120,
	},
	{
		...defaults,
		id: "ReconcilePayments",
		dir: "reconcile-payments",
		description: "Applies matchable unapplied payments and parked events, verifies the payments, writes the reconciliation report",
		bucket: { write: [bucketObjects.reports] },
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "VerifyLedgers",
		dir: "verify-ledgers",
		description:
			"Sets a batch of accounts' credit against their open invoices, verifies their ledgers and tallies them for the month's books",
		bucket: { write: [bucketObjects.runs] },
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "EscalateOverdueAccounts",
		dir: "escalate-overdue-accounts",
		description: "Runs the dunning ladder and sets the collections status of a batch of accounts",
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
		bucket: { read: [bucketObjects.runs], write: [bucketObjects.collections] },
		sendsEmail: true,
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "PublishReports",
		dir: "publish-reports",
		description: "Adds up the Review Accounts tallies into the month's (and quarter's) billing report and books in S3",
		table: "read",
		bucket: { read: [bucketObjects.runs], write: [bucketObjects.reports, bucketObjects.books] },
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "PaymentWebhook",
		dir: "payment-webhook",
		description: "Verifies, stores and applies payment processor webhooks",
		bucket: "none",
		readsStripeSecret: true,
		timeoutSeconds: 15,
	},
	{
		...defaults,
		id: "ImportFile",
		dir: "import-file",
		description:
			"Imports a file put under imports/ in the bucket (accounts, plans, subscriptions or charges) and writes its result beside it",
		bucket: { read: [bucketObjects.imports], write: [bucketObjects.importResults] },
		// 100,000 charge rows, read twice from S3 and written in batches.
		timeoutSeconds: 900,
		memoryMb: 1024,
	},
	{
		...defaults,
		id: "DataApi",
		dir: "data-api",
		description: "The data API: PUT /accounts/{id} and POST /charges (up to 1,000), imported like files",
		bucket: "none",
		// Within API Gateway's 30-second integration limit.
		timeoutSeconds: 29,
	},
];

/** Functions invoked by something other than the billing-cycle state machine. */
const notInBillingCycle: readonly string[] = ["StartBillingCycle", "PaymentWebhook", "ImportFile", "DataApi"];

/** Functions the billing-cycle state machine invokes (everything but the scheduler target, the webhook and the data ingestion). */
export const billingCycleFunctionIds = functionCatalog.map((f) => f.id).filter((id) => !notInBillingCycle.includes(id));
