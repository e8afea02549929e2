/**
 * What the local states the adapter inserts for a Distributed Map share with the
 * per-execution handlers that run them (local-handlers.ts).
 */

import type { JsonValue } from "./json.js";

/** Reads a JSON document from S3 (the ItemReader's `arn:aws:states:::s3:getObject`). */
export type ReadJson = (bucket: string, key: string) => Promise<unknown>;

/** Writes a JSON document to S3 (a ResultWriter's `arn:aws:states:::s3:putObject`). */
export type WriteJson = (bucket: string, key: string, body: unknown) => Promise<void>;

/** A local handler for a Task state, as aws-local-stepfunctions' taskResourceLocalHandlers take it. */
export type LocalTaskHandler = (input: JsonValue) => Promise<JsonValue>;

/** One execution's share of the adapter's local machinery. */
export interface ExecutionScope {
	/** Handlers of the local Task states the adapter inserted, keyed by state name. */
	readonly taskHandlers: Record<string, LocalTaskHandler>;
	/** Must be merged into the execution's Context Object (the rewritten Maps read their items from it). */
	readonly context: Record<string, unknown>;
}

/** Key of the Context Object entry the rewritten Maps read their items from (`$$.EmbeddedEngine.<map>.items`). */
export const LOCAL_CONTEXT_KEY = "EmbeddedEngine";

/** What the adapter decided for one Distributed Map: its local states and the settings known before any execution. */
export interface DistributedMapPlan {
	readonly mapName: string;
	readonly key: string;
	readonly prepare: string;
	readonly check: string;
	readonly iteration: string;
	readonly record: string;
	readonly recordFailed: string;
	readonly hasReader: boolean;
	/** Results go to S3 and the Map's result is `{ MapRunArn, ResultWriterDetails }`, as on AWS. */
	readonly hasWriter: boolean;
	readonly readerMaxItems?: number;
	readonly selector?: JsonValue;
	readonly batcher?: { maxItemsPerBatch?: number; maxInputBytesPerBatch?: number };
	readonly toleratedFailurePercentage?: number;
	readonly toleratedFailureCount?: number;
}
