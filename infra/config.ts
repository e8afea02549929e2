import type { Construct } from "constructs";
import {
	DEFAULT_DOCUMENT_RETENTION_YEARS,
	DEFAULT_WEBHOOK_EVENT_RETENTION_DAYS,
	documentRetention,
	dunningConfig,
	sellerEInvoiceDetails,
} from "../shared/platform/config.js";
import { chartOfAccounts } from "../shared/reporting/journal.js";

/**
 * Deployment configuration, read once from CDK context (`cdk.json` "context" or
 * `npx cdk deploy -c key=value`) and validated at synth time so a bad value fails the
 * synth, not the first billing run.
 */
export interface BillingConfig {
	/** SES sender (From) address; an SES email identity is created for it. */
	readonly senderEmail: string;
	readonly sellerName: string;
	/** Address lines joined with "|" (SELLER_ADDRESS). */
	readonly sellerAddress: string;
	readonly paymentInstructions: string;
	readonly invoiceSeriesPrefix: string;
	/** "stage:daysOverdue,..." including a "collections" stage (DUNNING_STAGES). */
	readonly dunningStages: string;
	readonly paymentTermsDays: number;
	/** Where the collections team gets notice of new collections cases (COLLECTIONS_EMAIL). */
	readonly collectionsEmail: string;
	/** Optional address subscribed to the alarm topic. */
	readonly alarmEmail: string | undefined;
	/** Steady-state requests per second allowed on the webhook API's default stage. */
	readonly webhookRateLimit: number;
	/** Burst of requests allowed on the webhook API's default stage. */
	readonly webhookBurstLimit: number;
	/** Steady-state requests per second allowed on the desk API's stage. */
	readonly deskRateLimit: number;
	/** Burst of requests allowed on the desk API's stage. */
	readonly deskBurstLimit: number;
	/** Days raw webhook events and bodies are kept before DynamoDB's TTL deletes them (WEBHOOK_EVENT_RETENTION_DAYS). */
	readonly webhookEventRetentionDays: number;
	/** The company's account codes per role of the books, JSON (CHART_OF_ACCOUNTS); "{}" keeps the defaults. */
	readonly chartOfAccounts: string;
	/**
	 * Years issued documents (invoices, credit memos, statements) are kept under S3 Object Lock,
	 * COMPLIANCE mode, from the end of the year they are stored in (DOCUMENT_RETENTION_YEARS).
	 */
	readonly documentRetentionYears: number;
	/**
	 * The seller as its e-invoices name it (DESIGN.md section 13), as the SELLER_* variables
	 * of the same names: its VAT id, registration id (optional), street lines joined with "|",
	 * city, postal code, country code, and the IBAN and BIC (optional) it is paid to. All
	 * unset: none (accounts that need e-invoices cannot get them); once one is set, the
	 * required ones must be too.
	 */
	readonly sellerVatId: string | undefined;
	readonly sellerRegistrationId: string | undefined;
	readonly sellerStreet: string | undefined;
	readonly sellerCity: string | undefined;
	readonly sellerPostalCode: string | undefined;
	readonly sellerCountryCode: string | undefined;
	readonly sellerIban: string | undefined;
	readonly sellerBic: string | undefined;
	/** SELLER_PHONE, the seller's contact telephone: XRechnung refuses an e-invoice without one (BR-DE-6). */
	readonly sellerPhone: string | undefined;
	/** SELLER_PEPPOL_ID, the seller's Peppol participant id (scheme:identifier): Peppol refuses an e-invoice without one. */
	readonly sellerPeppolId: string | undefined;
	/** Accounts per batch (child execution) of the Invoice Accounts map (ItemBatcher's MaxItemsPerBatch). */
	readonly invoiceBatchSize: number;
	/** Batches of the Invoice Accounts map run at once (its MaxConcurrency): the deliveries that share the SES rate. */
	readonly invoiceMaxConcurrency: number;
	/** Accounts per batch of the Review Accounts map. */
	readonly reviewBatchSize: number;
	/** Batches of the Review Accounts map run at once. */
	readonly reviewMaxConcurrency: number;
	/** The account's SES sending rate, emails a second (SES_MAX_SEND_RATE): the invoice deliveries together stay under it. */
	readonly sesMaxSendRate: number;
}

/** The seller's e-invoice context values and the function environment variables they become. */
export const SELLER_EINVOICE_CONTEXT = {
	sellerVatId: "SELLER_VAT_ID",
	sellerRegistrationId: "SELLER_REGISTRATION_ID",
	sellerStreet: "SELLER_STREET",
	sellerCity: "SELLER_CITY",
	sellerPostalCode: "SELLER_POSTAL_CODE",
	sellerCountryCode: "SELLER_COUNTRY_CODE",
	sellerIban: "SELLER_IBAN",
	sellerBic: "SELLER_BIC",
	sellerPhone: "SELLER_PHONE",
	sellerPeppolId: "SELLER_PEPPOL_ID",
} as const satisfies Partial<Record<keyof BillingConfig, string>>;

/** The SELLER_* variables of the e-invoice context values set. */
export function sellerEInvoiceEnvironment(config: Pick<BillingConfig, keyof typeof SELLER_EINVOICE_CONTEXT>): Record<string, string> {
	return Object.fromEntries(
		Object.entries(SELLER_EINVOICE_CONTEXT).flatMap(([key, variable]) => {
			const value = config[key as keyof typeof SELLER_EINVOICE_CONTEXT];
			return value === undefined ? [] : [[variable, value]];
		}),
	);
}

/** Context keys and their defaults (documented in docs/configuration.md and docs/deploying.md). */
export const configDefaults = {
	senderEmail: "billing@example.com",
	sellerName: "Example Billing Co.",
	sellerAddress: "1 Ledger Lane|Springfield 01101|United States",
	paymentInstructions:
		"Pay by card at pay.example.com or by bank transfer to IBAN GB33 BUKB 2020 1555 5555 55, quoting the invoice number.",
	invoiceSeriesPrefix: "INV",
	dunningStages: "reminder:1,second_reminder:7,final_notice:14,collections:30",
	paymentTermsDays: 30,
	collectionsEmail: "collections@example.com",
	alarmEmail: undefined,
	webhookRateLimit: 50,
	webhookBurstLimit: 100,
	deskRateLimit: 20,
	deskBurstLimit: 40,
	webhookEventRetentionDays: DEFAULT_WEBHOOK_EVENT_RETENTION_DAYS,
	chartOfAccounts: "{}",
	documentRetentionYears: DEFAULT_DOCUMENT_RETENTION_YEARS,
	sellerVatId: undefined,
	sellerRegistrationId: undefined,
	sellerStreet: undefined,
	sellerCity: undefined,
	sellerPostalCode: undefined,
	sellerCountryCode: undefined,
	sellerIban: undefined,
	sellerBic: undefined,
	sellerPhone: undefined,
	sellerPeppolId: undefined,
	// SES's rate binds, not our concurrency (docs/scale.md): 1,000 concurrent batches (Lambda's default
	// account concurrency) could send far faster than 200 emails a second, and each paces to rate / 1,000.
	invoiceBatchSize: 25,
	invoiceMaxConcurrency: 1000,
	reviewBatchSize: 50,
	reviewMaxConcurrency: 1000,
	sesMaxSendRate: 200,
} as const satisfies BillingConfig;

export class BillingConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "BillingConfigError";
	}
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function text(scope: Construct, key: keyof BillingConfig, fallback: string): string {
	const raw: unknown = scope.node.tryGetContext(key);
	if (raw === undefined || raw === null) return fallback;
	if (typeof raw !== "string" || raw.trim() === "") {
		throw new BillingConfigError(`context value "${key}" must be a non-empty string, got ${JSON.stringify(raw)}`);
	}
	return raw.trim();
}

/** A context string that may be left out (undefined), but not given blank. */
function optionalText(scope: Construct, key: keyof BillingConfig): string | undefined {
	const raw: unknown = scope.node.tryGetContext(key);
	return raw === undefined || raw === null ? undefined : text(scope, key, "");
}

function positiveInt(scope: Construct, key: keyof BillingConfig, fallback: number): number {
	const raw: unknown = scope.node.tryGetContext(key);
	if (raw === undefined || raw === null) return fallback;
	const value = typeof raw === "string" ? Number(raw) : raw;
	if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
		throw new BillingConfigError(`context value "${key}" must be a positive integer, got ${JSON.stringify(raw)}`);
	}
	return value;
}

/** A Distributed Map runs at most 10,000 child executions at once; a batch is kept well under the 256 KB input a child may get. */
const MAX_CONCURRENCY = 10_000;
const MAX_ITEMS_PER_BATCH = 1_000;

function mapSetting(scope: Construct, key: keyof BillingConfig, fallback: number, max: number): number {
	const value = positiveInt(scope, key, fallback);
	if (value > max) throw new BillingConfigError(`context value "${key}" must be at most ${max}, got ${value}`);
	return value;
}

/**
 * A child execution of Invoice Accounts is EXPRESS: it has 5 minutes for generating and
 * delivering its batch. Its emails (one per account) at its share of the SES rate must
 * leave at least the rest of that time for the rest.
 */
const MAX_BATCH_SENDING_SECONDS = 180;

function invoiceSending(scope: Construct): Pick<BillingConfig, "invoiceBatchSize" | "invoiceMaxConcurrency" | "sesMaxSendRate"> {
	const invoiceBatchSize = mapSetting(scope, "invoiceBatchSize", configDefaults.invoiceBatchSize, MAX_ITEMS_PER_BATCH);
	const invoiceMaxConcurrency = mapSetting(scope, "invoiceMaxConcurrency", configDefaults.invoiceMaxConcurrency, MAX_CONCURRENCY);
	const sesMaxSendRate = positiveNumber(scope, "sesMaxSendRate", configDefaults.sesMaxSendRate);
	const seconds = (invoiceBatchSize * invoiceMaxConcurrency) / sesMaxSendRate;
	if (seconds > MAX_BATCH_SENDING_SECONDS) {
		throw new BillingConfigError(
			`a batch of ${invoiceBatchSize} emails at its share of ${sesMaxSendRate} a second (${invoiceMaxConcurrency} batches at once) takes ${Math.round(seconds)} s, over the ${MAX_BATCH_SENDING_SECONDS} s a batch may spend sending: lower "invoiceMaxConcurrency" or "invoiceBatchSize"`,
		);
	}
	return { invoiceBatchSize, invoiceMaxConcurrency, sesMaxSendRate };
}

function positiveNumber(scope: Construct, key: keyof BillingConfig, fallback: number): number {
	const raw: unknown = scope.node.tryGetContext(key);
	if (raw === undefined || raw === null) return fallback;
	const value = typeof raw === "string" ? Number(raw) : raw;
	if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
		throw new BillingConfigError(`context value "${key}" must be a positive number, got ${JSON.stringify(raw)}`);
	}
	return value;
}

function email(key: keyof BillingConfig, value: string): string {
	if (!EMAIL.test(value)) throw new BillingConfigError(`context value "${key}" must be an email address, got "${value}"`);
	return value;
}

export function readBillingConfig(scope: Construct): BillingConfig {
	const dunningStages = text(scope, "dunningStages", configDefaults.dunningStages);
	try {
		// The same parser the functions use, so a value that synthesizes also runs.
		dunningConfig({ DUNNING_STAGES: dunningStages });
	} catch (err) {
		throw new BillingConfigError(`context value "dunningStages" is invalid: ${(err as Error).message}`);
	}
	const chart: unknown = scope.node.tryGetContext("chartOfAccounts");
	const chartOfAccountsJson =
		chart === undefined || chart === null ? configDefaults.chartOfAccounts : typeof chart === "string" ? chart : JSON.stringify(chart);
	try {
		// The same reader the report step uses, so a chart that synthesizes also runs.
		chartOfAccounts({ CHART_OF_ACCOUNTS: chartOfAccountsJson });
	} catch (err) {
		throw new BillingConfigError(`context value "chartOfAccounts" is invalid: ${(err as Error).message}`);
	}
	const documentRetentionYears = positiveInt(scope, "documentRetentionYears", configDefaults.documentRetentionYears);
	try {
		// The same reader the functions use, so a value that synthesizes also runs (S3 allows at most 100 years).
		documentRetention({ DOCUMENT_RETENTION_YEARS: String(documentRetentionYears) });
	} catch (err) {
		throw new BillingConfigError(`context value "documentRetentionYears" is invalid: ${(err as Error).message}`);
	}
	const alarmEmail: unknown = scope.node.tryGetContext("alarmEmail");
	const seller = Object.fromEntries(
		Object.keys(SELLER_EINVOICE_CONTEXT).map((key) => [key, optionalText(scope, key as keyof typeof SELLER_EINVOICE_CONTEXT)]),
	) as Pick<BillingConfig, keyof typeof SELLER_EINVOICE_CONTEXT>;
	try {
		// The same reader the functions use, so a seller that synthesizes also loads (a bad IBAN fails here).
		sellerEInvoiceDetails(sellerEInvoiceEnvironment(seller));
	} catch (err) {
		throw new BillingConfigError(`the seller's e-invoice context values are invalid: ${(err as Error).message}`);
	}
	return {
		senderEmail: email("senderEmail", text(scope, "senderEmail", configDefaults.senderEmail)),
		sellerName: text(scope, "sellerName", configDefaults.sellerName),
		sellerAddress: text(scope, "sellerAddress", configDefaults.sellerAddress),
		paymentInstructions: text(scope, "paymentInstructions", configDefaults.paymentInstructions),
		invoiceSeriesPrefix: text(scope, "invoiceSeriesPrefix", configDefaults.invoiceSeriesPrefix),
		dunningStages,
		paymentTermsDays: positiveInt(scope, "paymentTermsDays", configDefaults.paymentTermsDays),
		collectionsEmail: email("collectionsEmail", text(scope, "collectionsEmail", configDefaults.collectionsEmail)),
		alarmEmail: alarmEmail === undefined || alarmEmail === null || alarmEmail === "" ? undefined : email("alarmEmail", String(alarmEmail)),
		webhookRateLimit: positiveInt(scope, "webhookRateLimit", configDefaults.webhookRateLimit),
		webhookBurstLimit: positiveInt(scope, "webhookBurstLimit", configDefaults.webhookBurstLimit),
		deskRateLimit: positiveInt(scope, "deskRateLimit", configDefaults.deskRateLimit),
		deskBurstLimit: positiveInt(scope, "deskBurstLimit", configDefaults.deskBurstLimit),
		webhookEventRetentionDays: positiveInt(scope, "webhookEventRetentionDays", configDefaults.webhookEventRetentionDays),
		chartOfAccounts: chartOfAccountsJson,
		documentRetentionYears,
		...seller,
		...invoiceSending(scope),
		reviewBatchSize: mapSetting(scope, "reviewBatchSize", configDefaults.reviewBatchSize, MAX_ITEMS_PER_BATCH),
		reviewMaxConcurrency: mapSetting(scope, "reviewMaxConcurrency", configDefaults.reviewMaxConcurrency, MAX_CONCURRENCY),
	};
}
