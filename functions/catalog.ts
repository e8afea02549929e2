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
	readonly table: "read" | "readWrite";
	/**
	 * Objects of the bucket it may touch: none, all of them (read, or read and write), or
	 * "imports": read the files put under imports/ and write each one's result beside it
	 * (imports/*.result.json), nothing else.
	 */
	readonly bucket: "none" | "read" | "readWrite" | "imports";
	readonly sendsEmail: boolean;
	readonly readsStripeSecret: boolean;
	readonly startsBillingCycle: boolean;
	readonly timeoutSeconds: number;
	readonly memoryMb: number;
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

const defaults = {
	table: "readWrite",
	bucket: "readWrite",
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
		table: "read",
		bucket: "none",
		startsBillingCycle: true,
		timeoutSeconds: 30,
	},
	{
		...defaults,
		id: "ResolveBillingPeriod",
		dir: "resolve-billing-period",
		description: "Validates or defaults the billing period",
		table: "read",
		bucket: "none",
		timeoutSeconds: 10,
	},
	{
		...defaults,
		id: "IdentifyOutstandingAccounts",
		dir: "identify-outstanding-accounts",
		description: "Writes the manifest of accounts to invoice",
		table: "read",
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "GenerateInvoices",
		dir: "generate-invoices",
		description: "Prices, numbers and renders a batch of invoices, then issues their accounts' statements",
		timeoutSeconds: 300,
		memoryMb: 1024,
	},
	{
		...defaults,
		id: "DeliverInvoices",
		dir: "deliver-invoices",
		description: "Emails a batch of invoices with their PDFs and the accounts' statements",
		sendsEmail: true,
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "AssemblePrintBatch",
		dir: "assemble-print-batch",
		description: "Merges the period's postal invoices into one print-ready PDF with a manifest CSV",
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
		description: "Counts the period's invoices, totals, emails and failures",
		table: "read",
		bucket: "none",
		timeoutSeconds: 120,
	},
	{
		...defaults,
		id: "ReconcilePayments",
		dir: "reconcile-payments",
		description: "Applies matchable unapplied payments and parked events, verifies ledger invariants, writes the reconciliation report",
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "EscalateOverdueAccounts",
		dir: "escalate-overdue-accounts",
		description: "Runs the dunning ladder and flags collections",
		sendsEmail: true,
		timeoutSeconds: 300,
	},
	{
		...defaults,
		id: "PublishReports",
		dir: "publish-reports",
		description: "Writes the monthly billing report to S3",
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
		bucket: "imports",
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
