import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ConfigError } from "../core/errors.js";
import { readIban } from "../core/iban.js";
import { readPeppolId } from "../core/peppol-schemes.js";
import { readVatId } from "../core/vat-ids.js";

type Env = Record<string, string | undefined>;

export function getRequiredEnv(name: string, env: Env = process.env): string {
	const value = env[name];
	if (value === undefined || value.trim() === "") {
		throw new ConfigError(`environment variable ${name} is required but not set`);
	}
	return value;
}

export function getOptionalEnv(name: string, fallback: string, env: Env = process.env): string {
	const value = env[name];
	return value === undefined || value.trim() === "" ? fallback : value;
}

function getIntEnv(name: string, fallback: number, env: Env): number {
	const raw = getOptionalEnv(name, String(fallback), env);
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 0) {
		throw new ConfigError(`environment variable ${name} must be a non-negative integer, got "${raw}"`);
	}
	return value;
}

export interface StorageConfig {
	readonly tableName: string;
	readonly bucketName: string;
}

export function storageConfig(env: Env = process.env): StorageConfig {
	return { tableName: getRequiredEnv("TABLE_NAME", env), bucketName: getRequiredEnv("BUCKET_NAME", env) };
}

export interface SellerConfig {
	readonly name: string;
	readonly addressLines: readonly string[];
	readonly email: string;
	readonly paymentInstructions: string;
	readonly invoiceSeriesPrefix: string;
	readonly defaultPaymentTermsDays: number;
	/**
	 * SES_CONFIGURATION_SET: the SES configuration set every email from the seller's address is
	 * sent through, so SES publishes its events (sends, deliveries, bounces, complaints) to the
	 * EmailEvents function. Unset: none.
	 */
	readonly configurationSet?: string;
	/**
	 * EMAIL_SEND_EVENT_WAIT_SECONDS: how long a delivery claimed but never marked (a crash
	 * between the claim and SES's answer) waits for SES's send event before it is taken as
	 * never sent and sent again (900 by default; SES publishes within seconds).
	 */
	readonly sendEventWaitSeconds: number;
	/** What an e-invoice says of the seller (sellerEInvoiceDetails); absent when none of it is configured. */
	readonly einvoice?: SellerEInvoiceDetails;
}

/**
 * The seller as an EN 16931 e-invoice names it (DESIGN.md section 13): its VAT id (BT-31),
 * legal registration id (BT-30), postal address (BG-5) and the account it is paid to by
 * credit transfer (BG-16: IBAN BT-84, BIC BT-86).
 */
export interface SellerEInvoiceDetails {
	readonly vatId: string;
	readonly registrationId?: string;
	readonly postalAddress: {
		/** Street lines, one to three (BT-35, BT-36, BT-162). */
		readonly lines: readonly string[];
		readonly city: string;
		readonly postalCode: string;
		/** ISO 3166-1 alpha-2 (BT-40), e.g. BE. */
		readonly countryCode: string;
	};
	readonly paymentAccount: { readonly iban: string; readonly bic?: string };
	/** The seller's contact telephone (BT-42), which XRechnung requires (BR-DE-6): "+32 2 555 01 00". */
	readonly phone?: string;
	/** The seller's Peppol participant id (BT-34, scheme:identifier), which Peppol requires (PEPPOL-EN16931-R020, CL008). */
	readonly peppolId?: string;
}

/** The variables of SellerEInvoiceDetails: these are required once any of them is set. */
const SELLER_EINVOICE_REQUIRED = [
	"SELLER_VAT_ID",
	"SELLER_STREET",
	"SELLER_CITY",
	"SELLER_POSTAL_CODE",
	"SELLER_COUNTRY_CODE",
	"SELLER_IBAN",
];
const SELLER_EINVOICE_OPTIONAL = ["SELLER_REGISTRATION_ID", "SELLER_BIC", "SELLER_PHONE", "SELLER_PEPPOL_ID"];

/**
 * SELLER_VAT_ID, SELLER_REGISTRATION_ID (optional), SELLER_STREET (lines joined by "|"),
 * SELLER_CITY, SELLER_POSTAL_CODE, SELLER_COUNTRY_CODE, SELLER_IBAN, SELLER_BIC, SELLER_PHONE and SELLER_PEPPOL_ID (optional):
 * configured together or not at all (undefined), each checked, the IBAN by its mod-97 check
 * digits, so a typo stops the function at load instead of reaching a customer's bank.
 */
export function sellerEInvoiceDetails(env: Env = process.env): SellerEInvoiceDetails | undefined {
	const value = (name: string) => {
		const raw = env[name];
		return raw === undefined || raw.trim() === "" ? undefined : raw.trim();
	};
	const given = [...SELLER_EINVOICE_REQUIRED, ...SELLER_EINVOICE_OPTIONAL].filter((name) => value(name) !== undefined);
	if (given.length === 0) return undefined;
	const missing = SELLER_EINVOICE_REQUIRED.filter((name) => value(name) === undefined);
	if (missing.length > 0) {
		throw new ConfigError(
			`environment variable${missing.length === 1 ? "" : "s"} ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} required with the seller's other e-invoice details (${given.join(", ")} set)`,
		);
	}
	const checked = <T>(name: string, read: (raw: string) => T): T => {
		try {
			return read(value(name) as string);
		} catch (err) {
			throw new ConfigError(`environment variable ${name}: ${(err as Error).message}`);
		}
	};
	const lines = (value("SELLER_STREET") as string).split("|").map((line) => line.trim());
	if (lines.length > 3 || lines.some((line) => line === "")) {
		throw new ConfigError('environment variable SELLER_STREET must be one to three street lines joined by "|", none empty');
	}
	const countryCode = (value("SELLER_COUNTRY_CODE") as string).toUpperCase();
	if (!/^[A-Z]{2}$/.test(countryCode)) {
		throw new ConfigError(
			`environment variable SELLER_COUNTRY_CODE must be a two-letter ISO 3166-1 code such as BE or DE, got "${countryCode}"`,
		);
	}
	const bic = value("SELLER_BIC")?.toUpperCase();
	if (bic !== undefined && !/^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$/.test(bic)) {
		throw new ConfigError(`environment variable SELLER_BIC must be a BIC of 8 or 11 letters and digits, e.g. GEBABEBB, got "${bic}"`);
	}
	const phone = value("SELLER_PHONE");
	if (phone !== undefined && !/^\+?[0-9][0-9 ()./-]{4,30}$/.test(phone)) {
		throw new ConfigError(
			`environment variable SELLER_PHONE must be a telephone number of digits, spaces, ( ) . / -, e.g. +32 2 555 01 00, got "${phone}"`,
		);
	}
	const registrationId = value("SELLER_REGISTRATION_ID");
	return {
		vatId: checked("SELLER_VAT_ID", readVatId),
		...(registrationId !== undefined ? { registrationId } : {}),
		postalAddress: {
			lines,
			city: value("SELLER_CITY") as string,
			postalCode: value("SELLER_POSTAL_CODE") as string,
			countryCode,
		},
		paymentAccount: { iban: checked("SELLER_IBAN", readIban), ...(bic !== undefined ? { bic } : {}) },
		...(phone !== undefined ? { phone } : {}),
		...(value("SELLER_PEPPOL_ID") !== undefined ? { peppolId: checked("SELLER_PEPPOL_ID", readPeppolId) } : {}),
	};
}

/** The seller's name alone, for functions that print it but send no email (no SENDER_EMAIL needed). */
export function sellerName(env: Env = process.env): string {
	return getOptionalEnv("SELLER_NAME", "Example Billing Co.", env);
}

export function sellerConfig(env: Env = process.env): SellerConfig {
	const einvoice = sellerEInvoiceDetails(env);
	return {
		name: sellerName(env),
		addressLines: getOptionalEnv("SELLER_ADDRESS", "1 Ledger Lane|Springfield 01101|United States", env).split("|"),
		email: getRequiredEnv("SENDER_EMAIL", env),
		paymentInstructions: getOptionalEnv(
			"PAYMENT_INSTRUCTIONS",
			"Pay by card at pay.example.com or by bank transfer to IBAN GB33 BUKB 2020 1555 5555 55, quoting the invoice number.",
			env,
		),
		invoiceSeriesPrefix: getOptionalEnv("INVOICE_SERIES_PREFIX", "INV", env),
		defaultPaymentTermsDays: getIntEnv("DEFAULT_PAYMENT_TERMS_DAYS", 30, env),
		configurationSet: sesConfigurationSet(env),
		sendEventWaitSeconds: getIntEnv("EMAIL_SEND_EVENT_WAIT_SECONDS", 900, env),
		...(einvoice ? { einvoice } : {}),
	};
}

/** SES_CONFIGURATION_SET (see SellerConfig.configurationSet), or undefined when unset. */
export function sesConfigurationSet(env: Env = process.env): string | undefined {
	const raw = env.SES_CONFIGURATION_SET;
	return raw === undefined || raw.trim() === "" ? undefined : raw.trim();
}

/** The account's SES sending rate and how many deliveries may send at once, each taking its share. */
export interface SendingRate {
	readonly perSecond: number;
	readonly senders: number;
}

/**
 * SES_MAX_SEND_RATE (emails a second, SES's MaxSendRate) and SES_CONCURRENT_SENDERS (the
 * Invoice Accounts map's MaxConcurrency), or undefined when the rate is unset: not paced
 * (embedded, where the local SES has no rate).
 */
export function sendingRate(env: Env = process.env): SendingRate | undefined {
	if (getOptionalEnv("SES_MAX_SEND_RATE", "", env) === "") return undefined;
	const perSecond = Number(env.SES_MAX_SEND_RATE);
	if (!Number.isFinite(perSecond) || perSecond <= 0) {
		throw new ConfigError(`environment variable SES_MAX_SEND_RATE must be a positive number, got "${env.SES_MAX_SEND_RATE}"`);
	}
	const senders = getIntEnv("SES_CONCURRENT_SENDERS", 1, env);
	if (senders === 0) throw new ConfigError('environment variable SES_CONCURRENT_SENDERS must be a positive integer, got "0"');
	return { perSecond, senders };
}

export interface DunningStageConfig {
	readonly stage: string;
	readonly daysOverdue: number;
}

/** DUNNING_STAGES="reminder:1,second_reminder:7,final_notice:14,collections:30" (DESIGN.md 5a). */
export function dunningConfig(env: Env = process.env): readonly DunningStageConfig[] {
	const raw = getOptionalEnv("DUNNING_STAGES", "reminder:1,second_reminder:7,final_notice:14,collections:30", env);
	const stages = raw.split(",").map((part) => {
		const [stage, days] = part.split(":");
		const daysOverdue = Number(days);
		if (!stage || !Number.isInteger(daysOverdue) || daysOverdue < 0) {
			throw new ConfigError(`DUNNING_STAGES entry "${part}" must look like name:days`);
		}
		return { stage: stage.trim(), daysOverdue };
	});
	if (!stages.some((s) => s.stage === "collections")) {
		throw new ConfigError('DUNNING_STAGES must include a "collections" stage');
	}
	return stages.sort((a, b) => a.daysOverdue - b.daysOverdue);
}

/** Where collections notices go: COLLECTIONS_EMAIL, the collections team's address. */
export function collectionsEmail(env: Env = process.env): string {
	return getOptionalEnv("COLLECTIONS_EMAIL", "collections@example.com", env);
}

/** Days the raw webhook events and bodies are kept before DynamoDB's TTL deletes them. */
export const DEFAULT_WEBHOOK_EVENT_RETENTION_DAYS = 365;

/** WEBHOOK_EVENT_RETENTION_DAYS: how long raw webhook events and bodies are kept (days, at least 1). */
export function webhookEventRetentionDays(env: Env = process.env): number {
	const days = getIntEnv("WEBHOOK_EVENT_RETENTION_DAYS", DEFAULT_WEBHOOK_EVENT_RETENTION_DAYS, env);
	if (days < 1) throw new ConfigError(`environment variable WEBHOOK_EVENT_RETENTION_DAYS must be at least 1, got ${days}`);
	return days;
}

/** BILLING_WEBHOOK_TIMEOUT_MS: how long one attempt waits for a webhook endpoint's answer (10 s by default, 1 s to 30 s). */
export function webhookTimeoutMs(env: Env = process.env): number {
	const ms = getIntEnv("BILLING_WEBHOOK_TIMEOUT_MS", 10_000, env);
	if (ms < 1_000 || ms > 30_000) throw new ConfigError(`environment variable BILLING_WEBHOOK_TIMEOUT_MS must be 1000 to 30000, got ${ms}`);
	return ms;
}

/**
 * IMPORT_ONE_SHOT_ROWS: the rows a file put under imports/ may hold (1,000,000 by default):
 * one Lambda invocation (15 minutes) checks and writes them at the 3,000 rows a second
 * measured embedded, with time to spare. `billing import` takes a file of any size.
 */
export function importOneShotRows(env: Env = process.env): number {
	const rows = getIntEnv("IMPORT_ONE_SHOT_ROWS", 1_000_000, env);
	if (rows < 1) throw new ConfigError(`environment variable IMPORT_ONE_SHOT_ROWS must be at least 1, got ${rows}`);
	return rows;
}

/**
 * IMPORT_ONE_SHOT_BYTES: a charge file put under imports/ larger than this (its S3 event's
 * size) runs as an import job (a Step Functions workflow, shared/imports/job.ts) instead of
 * one Lambda invocation; 64 MB by default.
 */
export function importOneShotBytes(env: Env = process.env): number {
	const bytes = getIntEnv("IMPORT_ONE_SHOT_BYTES", 64 * 1024 * 1024, env);
	if (bytes < 1) throw new ConfigError(`environment variable IMPORT_ONE_SHOT_BYTES must be at least 1, got ${bytes}`);
	return bytes;
}

/**
 * IMPORT_LEASE_SECONDS: how long an import's writing lease holds without renewal (it is
 * renewed at a quarter of it), so how long a crashed import keeps billing runs waiting.
 */
export function importLeaseSeconds(env: Env = process.env): number {
	const seconds = getIntEnv("IMPORT_LEASE_SECONDS", 120, env);
	if (seconds < 2) throw new ConfigError(`environment variable IMPORT_LEASE_SECONDS must be at least 2, got ${seconds}`);
	return seconds;
}

/** Years each issued document is kept under S3 Object Lock unless configured otherwise (GoBD and most VAT laws ask 8 to 10). */
export const DEFAULT_DOCUMENT_RETENTION_YEARS = 10;
/** The longest retention S3 Object Lock accepts. */
export const MAX_DOCUMENT_RETENTION_YEARS = 100;

/** The S3 Object Lock retention put on each issued document (invoice, credit memo, statement) as it is stored. */
export interface DocumentRetention {
	/**
	 * COMPLIANCE: until the retention ends no one, the account's root user included, can
	 * delete the document's version or shorten its retention (GOVERNANCE would let anyone
	 * holding s3:BypassGovernanceRetention do both).
	 */
	readonly mode: "COMPLIANCE";
	/** Counted from the end of the calendar year the document is stored in, as retention laws count. */
	readonly years: number;
}

/**
 * DOCUMENT_RETENTION_YEARS: the years issued documents are kept under S3 Object Lock (the
 * deployed stack sets it from the context value `documentRetentionYears`). Unset, documents
 * are stored without a retention, as a bucket without Object Lock needs.
 */
export function documentRetention(env: Env = process.env): DocumentRetention | undefined {
	const raw = env.DOCUMENT_RETENTION_YEARS;
	if (raw === undefined || raw.trim() === "") return undefined;
	const years = Number(raw);
	if (!Number.isInteger(years) || years < 1 || years > MAX_DOCUMENT_RETENTION_YEARS) {
		throw new ConfigError(
			`environment variable DOCUMENT_RETENTION_YEARS must be a whole number of years from 1 to ${MAX_DOCUMENT_RETENTION_YEARS}, got "${raw}"`,
		);
	}
	return { mode: "COMPLIANCE", years };
}

/** A secret read from Secrets Manager is used for at most this long, so a rotated one is picked up without a redeploy. */
export const SECRET_CACHE_MS = 5 * 60_000;
/**
 * A refetch asked for because a signature did not verify (the secret may have just been
 * rotated) happens at most this often per secret, so a stream of forged requests cannot turn
 * into a stream of Secrets Manager calls.
 */
export const SECRET_REFRESH_MIN_INTERVAL_MS = 10_000;

export interface SecretOptions {
	/** Fetch the secret again (unless it was fetched within SECRET_REFRESH_MIN_INTERVAL_MS): the cached one did not verify. */
	readonly refresh?: boolean;
}

const cachedSecrets = new Map<string, { readonly value: Promise<string>; readonly fetchedAt: number }>();

/** The secret's string, from the cache while it is fresh; a failed read is not cached. */
function secretValue(arn: string, secrets: () => SecretsManagerClient, options: SecretOptions): Promise<string> {
	const now = Date.now();
	const cached = cachedSecrets.get(arn);
	if (cached && now - cached.fetchedAt < (options.refresh ? SECRET_REFRESH_MIN_INTERVAL_MS : SECRET_CACHE_MS)) return cached.value;
	const value: Promise<string> = (async () => {
		const out = await secrets().send(new GetSecretValueCommand({ SecretId: arn }));
		if (!out.SecretString) throw new ConfigError(`secret ${arn} has no string value`);
		return out.SecretString;
	})().catch((err: unknown) => {
		if (cachedSecrets.get(arn)?.value === value) cachedSecrets.delete(arn);
		throw err;
	});
	cachedSecrets.set(arn, { value, fetchedAt: now });
	return value;
}

/**
 * Embedded runs pass STRIPE_WEBHOOK_SECRET itself; deployed functions get
 * STRIPE_WEBHOOK_SECRET_ARN and read Secrets Manager, cached for SECRET_CACHE_MS.
 */
export function stripeWebhookSecret(
	env: Env = process.env,
	secrets: () => SecretsManagerClient = () => new SecretsManagerClient({}),
	options: SecretOptions = {},
): Promise<string> {
	const inline = env.STRIPE_WEBHOOK_SECRET;
	if (inline) return Promise.resolve(inline);
	return secretValue(getRequiredEnv("STRIPE_WEBHOOK_SECRET_ARN", env), secrets, options);
}

/**
 * The GoCardless webhook endpoint secret, like Stripe's: GOCARDLESS_WEBHOOK_SECRET
 * embedded, GOCARDLESS_WEBHOOK_SECRET_ARN (Secrets Manager, cached the same way) deployed.
 */
export function gocardlessWebhookSecret(
	env: Env = process.env,
	secrets: () => SecretsManagerClient = () => new SecretsManagerClient({}),
	options: SecretOptions = {},
): Promise<string> {
	const inline = env.GOCARDLESS_WEBHOOK_SECRET;
	if (inline) return Promise.resolve(inline);
	return secretValue(getRequiredEnv("GOCARDLESS_WEBHOOK_SECRET_ARN", env), secrets, options);
}

/**
 * The links emails carry to issued documents (DESIGN.md section 15): CloudFront signed URLs
 * deployed, the embedded HTTP front's look-alike embedded; only this configuration differs.
 */
export interface DocumentLinkConfig {
	/** DOCUMENT_LINK_BASE_URL: where the bucket's documents are served, without a trailing slash (the distribution's https address deployed). */
	readonly baseUrl: string;
	/** DOCUMENT_LINK_KEY_PAIR_ID: the id of the CloudFront public key that checks the signatures (Key-Pair-Id). */
	readonly keyPairId: string;
	/** The private key (PEM) links are signed with, cached like the webhook secrets. */
	privateKey(): Promise<string>;
}

/**
 * Embedded runs pass the private key itself (DOCUMENT_LINK_PRIVATE_KEY); deployed functions get
 * DOCUMENT_LINK_PRIVATE_KEY_SECRET_ARN and read Secrets Manager, cached for SECRET_CACHE_MS.
 */
export function documentLinkConfig(
	env: Env = process.env,
	secrets: () => SecretsManagerClient = () => new SecretsManagerClient({}),
): DocumentLinkConfig {
	const raw = getRequiredEnv("DOCUMENT_LINK_BASE_URL", env);
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new ConfigError(`environment variable DOCUMENT_LINK_BASE_URL must be an http(s) URL, got "${raw}"`);
	}
	if ((url.protocol !== "https:" && url.protocol !== "http:") || url.search !== "" || url.hash !== "") {
		throw new ConfigError(`environment variable DOCUMENT_LINK_BASE_URL must be an http(s) URL without query or fragment, got "${raw}"`);
	}
	const keyPairId = getRequiredEnv("DOCUMENT_LINK_KEY_PAIR_ID", env);
	const inline = env.DOCUMENT_LINK_PRIVATE_KEY;
	const arn = inline ? undefined : env.DOCUMENT_LINK_PRIVATE_KEY_SECRET_ARN;
	if (!inline && !arn?.trim()) {
		throw new ConfigError(
			"environment variable DOCUMENT_LINK_PRIVATE_KEY_SECRET_ARN (or DOCUMENT_LINK_PRIVATE_KEY, embedded) is required but not set",
		);
	}
	return {
		baseUrl: url.toString().replace(/\/+$/, ""),
		keyPairId,
		privateKey: () => (inline ? Promise.resolve(inline) : secretValue(arn as string, secrets, {})),
	};
}
