import { DEFAULT_DOCUMENT_RETENTION_YEARS } from "../../shared/platform/config.js";
import { LOCAL_REGION } from "./lambda-runtime.js";
import { DEFAULT_HTTP_PORT } from "./ports.js";
import type { ServerEndpoints } from "./servers.js";
import type { DeskUserPool } from "./user-pool.js";

/*
 * The environment of the embedded stack, apart from what starts it (stack.ts): a command run
 * beside a `billing serve` sets it from the serve's record without loading the stack.
 */

/** Documented local default; a deployed stack reads the real secret from Secrets Manager. */
export const LOCAL_STRIPE_WEBHOOK_SECRET = "whsec_local_billing_demo_secret";
export const LOCAL_GOCARDLESS_WEBHOOK_SECRET = "gocardless_local_billing_demo_secret";

/** The configuration set the embedded stack's sends name: its table's, so each stack's events are its own. */
export function configurationSetOf(tableName: string): string {
	return `${tableName}-events`;
}

/**
 * Where embedded document links point when this process runs no HTTP front: the address
 * `billing serve` listens on by default, which serves them while it runs.
 */
export const DEFAULT_DOCUMENT_LINK_BASE_URL = `http://127.0.0.1:${DEFAULT_HTTP_PORT}`;

/**
 * How long a delivery claimed but never marked waits for its send event before it is sent
 * again, embedded: the local SES log is written before a send is answered and fed within a
 * second, so no need to wait long.
 */
export const EMBEDDED_SEND_EVENT_WAIT_SECONDS = 5;

/**
 * The handlers reach the local servers only through standard SDK settings, exactly as they
 * reach AWS when deployed; this is the one place that knows the mode.
 */
export function embeddedEnvironment(endpoints: ServerEndpoints, names: { tableName: string; bucketName: string }): Record<string, string> {
	return {
		AWS_REGION: LOCAL_REGION,
		AWS_DEFAULT_REGION: LOCAL_REGION,
		AWS_ACCESS_KEY_ID: "S3RVER",
		AWS_SECRET_ACCESS_KEY: "S3RVER",
		AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
		AWS_ENDPOINT_URL_S3: endpoints.s3,
		AWS_ENDPOINT_URL_SES: endpoints.ses,
		AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: endpoints.userPool,
		AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
		AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
		TABLE_NAME: names.tableName,
		BUCKET_NAME: names.bucketName,
		SENDER_EMAIL: process.env.SENDER_EMAIL ?? "billing@example.com",
		...demoSeller(),
		// Sent with each email as deployed; the stack feeds the sends through it to EmailEvents (send-events.ts).
		SES_CONFIGURATION_SET: configurationSetOf(names.tableName),
		EMAIL_SEND_EVENT_WAIT_SECONDS: process.env.EMAIL_SEND_EVENT_WAIT_SECONDS ?? String(EMBEDDED_SEND_EVENT_WAIT_SECONDS),
		STRIPE_WEBHOOK_SECRET: process.env.STRIPE_WEBHOOK_SECRET ?? LOCAL_STRIPE_WEBHOOK_SECRET,
		GOCARDLESS_WEBHOOK_SECRET: process.env.GOCARDLESS_WEBHOOK_SECRET ?? LOCAL_GOCARDLESS_WEBHOOK_SECRET,
		// Sent with each document as deployed, so the puts are the same; s3rver has no Object Lock and ignores it (docs/embedded-mode.md).
		DOCUMENT_RETENTION_YEARS: process.env.DOCUMENT_RETENTION_YEARS ?? String(DEFAULT_DOCUMENT_RETENTION_YEARS),
		POWERTOOLS_SERVICE_NAME: "billing",
		POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "WARN",
		// The run's metrics are EMF lines on stdout for CloudWatch; here stdout is the CLI's own output.
		POWERTOOLS_METRICS_DISABLED: "true",
	};
}

/**
 * The embedded stack's seller: a Belgian company, so the demo's e-invoices (DESIGN.md
 * section 13) name a plausible seller, and its PDFs the same one. Each value can be set in
 * the environment instead.
 */
function demoSeller(): Record<string, string> {
	const seller: Record<string, string> = {
		SELLER_NAME: "Example Billing BV",
		SELLER_ADDRESS: "Avenue Louise 54|1050 Brussels|Belgium",
		PAYMENT_INSTRUCTIONS: "Pay by bank transfer to IBAN BE68 5390 0754 7034 (BIC GKCCBEBB), quoting the invoice number.",
		SELLER_VAT_ID: "BE0123456749",
		SELLER_REGISTRATION_ID: "0123456749",
		SELLER_STREET: "Avenue Louise 54",
		SELLER_CITY: "Brussels",
		SELLER_POSTAL_CODE: "1050",
		SELLER_COUNTRY_CODE: "BE",
		SELLER_IBAN: "BE68539007547034",
		SELLER_BIC: "GKCCBEBB",
		SELLER_PHONE: "+32 2 555 01 00",
		SELLER_PEPPOL_ID: "0208:0123456749",
	};
	return Object.fromEntries(Object.entries(seller).map(([name, value]) => [name, process.env[name] ?? value]));
}

/**
 * What the desk's code reads to reach the pool (shared/desk/identity.ts and services.ts), as the
 * deployed stack sets it; embedded, a new user's generated password is set permanent.
 */
export function userPoolEnvironment(endpoint: string, pool: DeskUserPool): Record<string, string> {
	return {
		DESK_USER_POOL_ID: pool.userPoolId,
		DESK_USER_POOL_CLIENT_ID: pool.clientId,
		DESK_USER_POOL_ISSUER: `${endpoint}/${pool.userPoolId}`,
		DESK_USER_POOL_PERMANENT_PASSWORDS: "true",
	};
}
