/** Batching and item selection (used by the local "read items" state). */

import "./polyfill.js";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import type { JsonObject, JsonValue } from "./json.js";
import { LOCAL_CONTEXT_KEY } from "./local-states.js";

/** AWS's limit for a batch (MaxInputBytesPerBatch can only lower it). */
const MAX_BATCH_BYTES = 262_144;

export interface BatchSettings {
	readonly maxItemsPerBatch?: number;
	readonly maxInputBytesPerBatch?: number;
	readonly batchInput?: JsonValue;
}

/** Groups items the way ItemBatcher does: `{ "Items": [...], "BatchInput": {...} }` per child execution. */
export function batchItems(items: readonly JsonValue[], settings: BatchSettings): JsonObject[] {
	const maxItems = settings.maxItemsPerBatch ?? Number.POSITIVE_INFINITY;
	const maxBytes = Math.min(settings.maxInputBytesPerBatch ?? MAX_BATCH_BYTES, MAX_BATCH_BYTES);
	const shape = (batch: JsonValue[]): JsonObject =>
		settings.batchInput === undefined ? { Items: batch } : { Items: batch, BatchInput: settings.batchInput };
	const emptyBytes = Buffer.byteLength(JSON.stringify(shape([])));
	const batches: JsonObject[] = [];
	let current: JsonValue[] = [];
	let bytes = emptyBytes;
	for (const item of items) {
		const itemBytes = Buffer.byteLength(JSON.stringify(item));
		if (current.length > 0 && (current.length >= maxItems || bytes + 1 + itemBytes > maxBytes)) {
			batches.push(shape(current));
			current = [];
			bytes = emptyBytes;
		}
		// A single item larger than the limit still travels alone, as one batch.
		bytes += itemBytes + (current.length > 0 ? 1 : 0);
		current.push(item);
	}
	if (current.length > 0) batches.push(shape(current));
	return batches;
}

/** Applies an ItemSelector to every item with the engine itself, so `$$.Map.Item.Value`/`Index` behave as in a Map. */
export async function selectItems(selector: JsonValue, effectiveInput: JsonValue, items: JsonValue[]): Promise<JsonValue[]> {
	const definition = {
		StartAt: "select",
		States: {
			select: {
				Type: "Map",
				ItemsPath: `$$.${LOCAL_CONTEXT_KEY}.items`,
				ItemSelector: selector,
				ItemProcessor: { StartAt: "item", States: { item: { Type: "Pass", End: true } } },
				End: true,
			},
		},
	} as unknown as StateMachineDefinition;
	const machine = new StateMachine(definition, { validationOptions: { noValidate: true } });
	try {
		const result = await machine.run(effectiveInput as never, { context: { [LOCAL_CONTEXT_KEY]: { items } } }).result;
		return result as JsonValue[];
	} catch (err) {
		const cause = (err as { cause?: unknown }).cause;
		throw cause instanceof Error ? cause : err;
	}
}
