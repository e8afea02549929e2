/**
 * The deployed configuration and account quotas `npm run bench:cycle` projects a month on
 * AWS under, read in this one place: each Distributed Map's MaxConcurrency and batch size and
 * the SES sending rate from cdk.json's context when it names them (the keys below), else the
 * values the state machine's definition holds and the defaults here.
 */
import { readFileSync } from "node:fs";
import type { AwsLimits } from "./cycle-cost.js";
import { findState } from "./cycle-usage.js";

/** cdk.json context keys, per Distributed Map state. */
export const MAP_CONTEXT_KEYS: Readonly<Record<string, { readonly maxConcurrency: string; readonly batchSize: string }>> = {
	"Invoice Accounts": { maxConcurrency: "invoicingMaxConcurrency", batchSize: "invoicingBatchSize" },
	"Review Accounts": { maxConcurrency: "accountReviewMaxConcurrency", batchSize: "accountReviewBatchSize" },
};
export const SES_SENDING_RATE_CONTEXT_KEY = "sesSendingRate";

/** The maps' MaxConcurrency when neither the context nor the definition holds a number: the ASL's value before it was configurable. */
export const DEFAULT_MAX_CONCURRENCY = 8;
/** SES's maximum send rate when an account leaves the sandbox, before it asks for more. */
export const DEFAULT_SES_SENDING_RATE = 14;
/** Lambda's default concurrent executions per account and region. */
export const LAMBDA_CONCURRENCY = 1000;
/** DynamoDB on-demand's default maximum throughput per table, request units per second. */
export const DYNAMODB_TABLE_UNITS_PER_SECOND = 40_000;

const positive = (value: unknown, key: string): number | undefined => {
	if (value === undefined) return undefined;
	const n = Number(value);
	if (!Number.isFinite(n) || n <= 0) throw new Error(`cdk.json context ${key} is not a positive number: ${String(value)}`);
	return n;
};

/** A number the definition holds, else (a path or a substitution there) the fallback. */
const numberOr = (value: unknown, fallback: number) => (typeof value === "number" && value > 0 ? value : fallback);

/** The limits from cdk.json's `context` and the state machine's definition (for what the context leaves out). */
export function awsLimits(context: Readonly<Record<string, unknown>>, definition: unknown): AwsLimits {
	const maps: Record<string, { maxConcurrency: number; batchSize: number }> = {};
	for (const [map, keys] of Object.entries(MAP_CONTEXT_KEYS)) {
		const state = findState(definition, map) as { MaxConcurrency?: unknown; ItemBatcher?: { MaxItemsPerBatch?: unknown } } | undefined;
		const maxConcurrency =
			positive(context[keys.maxConcurrency], keys.maxConcurrency) ?? numberOr(state?.MaxConcurrency, DEFAULT_MAX_CONCURRENCY);
		const batchSize = positive(context[keys.batchSize], keys.batchSize) ?? numberOr(state?.ItemBatcher?.MaxItemsPerBatch, 1);
		maps[map] = { maxConcurrency, batchSize };
	}
	return {
		maps,
		sesSendingRate: positive(context[SES_SENDING_RATE_CONTEXT_KEY], SES_SENDING_RATE_CONTEXT_KEY) ?? DEFAULT_SES_SENDING_RATE,
		lambdaConcurrency: LAMBDA_CONCURRENCY,
		dynamodbTableWriteUnitsPerSecond: DYNAMODB_TABLE_UNITS_PER_SECOND,
		dynamodbTableReadUnitsPerSecond: DYNAMODB_TABLE_UNITS_PER_SECOND,
	};
}

/** cdk.json's `context`. */
export function cdkContext(path: string): Record<string, unknown> {
	return (JSON.parse(readFileSync(path, "utf8")) as { context?: Record<string, unknown> }).context ?? {};
}
