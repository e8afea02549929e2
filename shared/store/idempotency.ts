import { IdempotencyConfig } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import { tableKeySchema } from "./keys.js";

/**
 * Requests made idempotent by the caller's key (`Idempotency-Key`), with Powertools'
 * idempotency utility on the billing table: one item per caller and key under
 * IDEMPOTENCY#<scope>, holding the answer given and a hash of the request it answered, kept
 * 24 hours (the table's TTL). A retry gets the first answer; the same key with another
 * request is refused; a retry while the first is still running is told so.
 */
export function requestIdempotency(
	tableName: string,
	scope: string,
): { persistenceStore: DynamoDBPersistenceLayer; config: IdempotencyConfig } {
	return {
		persistenceStore: new DynamoDBPersistenceLayer({
			tableName,
			keyAttr: tableKeySchema.partitionKey,
			sortKeyAttr: tableKeySchema.sortKey,
			staticPkValue: `IDEMPOTENCY#${scope}`,
			expiryAttr: tableKeySchema.timeToLiveAttribute,
		}),
		config: new IdempotencyConfig({
			eventKeyJmesPath: "[caller, key]",
			payloadValidationJmesPath: "request",
			expiresAfterSeconds: 24 * 60 * 60,
		}),
	};
}
