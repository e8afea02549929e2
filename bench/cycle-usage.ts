/**
 * What one billing-cycle execution's history bills on AWS besides the data calls: Lambda
 * requests and GB-seconds (each invocation's duration rounded up to 1 ms, times its function's
 * configured memory), and per EXPRESS Distributed Map its children (one Express request each;
 * duration rounded up to 100 ms, at 64 MB, the smallest memory chunk Express bills). Pure:
 * events, definition and the functions' memory in.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { statePlaces } from "./cycle-history.js";

/** Express bills memory in 64 MB chunks; a child's state is far smaller, so one chunk. */
export const EXPRESS_MEMORY_MB = 64;

export interface MapChildren {
	/** The Distributed Map state's name. */
	readonly map: string;
	readonly express: boolean;
	/** Child executions (iterations: one per batch). */
	readonly children: number;
	/** Their durations added up, in seconds. */
	readonly childSeconds: number;
	/** Their first start to their last end, in seconds. */
	readonly wallSeconds: number;
	/** Their start and end (epoch ms), to attribute metered requests to the map. */
	readonly from: number;
	readonly to: number;
}

export interface ExecutionUsage {
	readonly lambdaRequests: number;
	readonly lambdaGbSeconds: number;
	readonly expressRequests: number;
	readonly expressGbSeconds: number;
	readonly maps: readonly MapChildren[];
}

const LAMBDA_END = new Set(["LambdaFunctionSucceeded", "LambdaFunctionFailed", "LambdaFunctionTimedOut"]);
const ITERATION_END = new Set(["MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"]);

/** The function a Lambda ARN names (`arn:aws:lambda:…:function:GenerateInvoices[:qualifier]`). */
export function functionOfArn(arn: string): string {
	return arn.split(":function:")[1]?.split(":")[0] ?? arn;
}

/** GB-seconds of one Lambda invocation: its duration rounded up to 1 ms, times its memory. */
export function lambdaGbSeconds(ms: number, memoryMb: number): number {
	return (Math.ceil(ms) / 1000) * (memoryMb / 1024);
}

/** GB-seconds of one Express execution: its duration rounded up to 100 ms, at one 64 MB chunk. */
export function expressGbSeconds(ms: number): number {
	return ((Math.ceil(ms / 100) * 100) / 1000) * (EXPRESS_MEMORY_MB / 1024);
}

/**
 * `memoryMbOf` answers a function's configured memory (functions/catalog.ts) from the name its
 * ARN carries; an invocation chains Scheduled, Started and its end through previousEventId.
 */
export function executionUsage(events: readonly HistoryEvent[], definition: unknown, memoryMbOf: (fn: string) => number): ExecutionUsage {
	const places = statePlaces(definition);
	const lambdaStart = new Map<number, { fn: string; at: number }>();
	const openIterations = new Map<string, number>();
	const maps = new Map<string, { children: number; childSeconds: number; from: number; to: number }>();
	let lambdaRequests = 0;
	let lambdaGb = 0;
	let expressRequests = 0;
	let expressGb = 0;
	for (const event of events) {
		const id = event.id ?? 0;
		const type = event.type ?? "";
		const at = event.timestamp?.getTime() ?? 0;
		if (type === "LambdaFunctionScheduled") {
			lambdaStart.set(id, { fn: functionOfArn(event.lambdaFunctionScheduledEventDetails?.resource ?? ""), at });
			lambdaRequests += 1;
		} else if (type === "LambdaFunctionStarted") {
			const scheduled = lambdaStart.get(event.previousEventId ?? -1);
			if (scheduled) lambdaStart.set(id, scheduled);
		} else if (LAMBDA_END.has(type)) {
			const started = lambdaStart.get(event.previousEventId ?? -1);
			if (started) lambdaGb += lambdaGbSeconds(at - started.at, memoryMbOf(started.fn));
		} else if (type === "MapIterationStarted") {
			const d = event.mapIterationStartedEventDetails;
			openIterations.set(`${d?.name}#${d?.index}`, at);
		} else if (ITERATION_END.has(type)) {
			const d = event.mapIterationSucceededEventDetails ?? event.mapIterationFailedEventDetails ?? event.mapIterationAbortedEventDetails;
			const name = d?.name ?? "";
			const key = `${name}#${d?.index}`;
			const started = openIterations.get(key);
			const place = places.get(name);
			if (started === undefined || !place?.distributed) continue;
			openIterations.delete(key);
			const m = maps.get(name) ?? { children: 0, childSeconds: 0, from: started, to: at };
			m.children += 1;
			m.childSeconds += (at - started) / 1000;
			m.from = Math.min(m.from, started);
			m.to = Math.max(m.to, at);
			maps.set(name, m);
			if (isExpressMap(definition, name)) {
				expressRequests += 1;
				expressGb += expressGbSeconds(at - started);
			}
		}
	}
	return {
		lambdaRequests,
		lambdaGbSeconds: lambdaGb,
		expressRequests,
		expressGbSeconds: expressGb,
		maps: [...maps.entries()].map(([map, m]) => ({
			map,
			express: isExpressMap(definition, map),
			children: m.children,
			childSeconds: m.childSeconds,
			wallSeconds: (m.to - m.from) / 1000,
			from: m.from,
			to: m.to,
		})),
	};
}

/** A Distributed Map whose children are EXPRESS workflows (its processor's ProcessorConfig). */
function isExpressMap(definition: unknown, name: string): boolean {
	const state = findState(definition, name) as { ItemProcessor?: { ProcessorConfig?: { ExecutionType?: unknown } } } | undefined;
	return state?.ItemProcessor?.ProcessorConfig?.ExecutionType === "EXPRESS";
}

/** A state of the definition by name, at any depth. */
export function findState(machine: unknown, name: string): Record<string, unknown> | undefined {
	const states = (machine as { States?: Record<string, unknown> } | null)?.States;
	if (typeof states !== "object" || states === null) return undefined;
	for (const [stateName, state] of Object.entries(states)) {
		if (typeof state !== "object" || state === null) continue;
		const s = state as Record<string, unknown>;
		if (stateName === name) return s;
		const inner = findState(s.ItemProcessor ?? s.Iterator, name);
		if (inner) return inner;
		for (const branch of Array.isArray(s.Branches) ? s.Branches : []) {
			const found = findState(branch, name);
			if (found) return found;
		}
	}
	return undefined;
}
