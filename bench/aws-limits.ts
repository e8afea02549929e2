/**
 * The deployed configuration and account quotas `npm run bench:cycle` projects a month on
 * AWS under, read in this one place: each Distributed Map's MaxConcurrency and batch size and
 * the SES sending rate from cdk.json's context when it names them (the keys below), else the
 * stack's defaults (infra/config.ts).
 */
import { readFileSync } from "node:fs";
import { configDefaults } from "../infra/config.js";
import type { AwsLimits } from "./cycle-cost.js";

/** cdk.json context keys, per Distributed Map state (infra/config.ts reads the same keys). */
export const MAP_CONTEXT_KEYS = {
	"Invoice Accounts": { maxConcurrency: "invoiceMaxConcurrency", batchSize: "invoiceBatchSize" },
	"Review Accounts": { maxConcurrency: "reviewMaxConcurrency", batchSize: "reviewBatchSize" },
} as const;
export const SES_SENDING_RATE_CONTEXT_KEY = "sesMaxSendRate";

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

/** The limits a deploy with this cdk.json `context` runs under: its settings, else the stack's defaults (infra/config.ts). */
export function awsLimits(context: Readonly<Record<string, unknown>>): AwsLimits {
	const maps: Record<string, { maxConcurrency: number; batchSize: number }> = {};
	for (const [map, keys] of Object.entries(MAP_CONTEXT_KEYS)) {
		maps[map] = {
			maxConcurrency: positive(context[keys.maxConcurrency], keys.maxConcurrency) ?? configDefaults[keys.maxConcurrency],
			batchSize: positive(context[keys.batchSize], keys.batchSize) ?? configDefaults[keys.batchSize],
		};
	}
	return {
		maps,
		sesSendingRate: positive(context[SES_SENDING_RATE_CONTEXT_KEY], SES_SENDING_RATE_CONTEXT_KEY) ?? configDefaults.sesMaxSendRate,
		lambdaConcurrency: LAMBDA_CONCURRENCY,
		dynamodbTableWriteUnitsPerSecond: DYNAMODB_TABLE_UNITS_PER_SECOND,
		dynamodbTableReadUnitsPerSecond: DYNAMODB_TABLE_UNITS_PER_SECOND,
	};
}

/** cdk.json's `context`. */
export function cdkContext(path: string): Record<string, unknown> {
	return (JSON.parse(readFileSync(path, "utf8")) as { context?: Record<string, unknown> }).context ?? {};
}
