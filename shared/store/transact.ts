import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { TransientError } from "../core/errors.js";
import type { TableDeps } from "./records.js";

/** One item of a TransactWriteItems call: what every store function returns, so callers compose one transaction. */
export type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]>[number];

/** Writes the items all or nothing. */
export async function transactWrite(deps: TableDeps, items: readonly TransactItem[]): Promise<void> {
	await deps.ddb.send(new TransactWriteCommand({ TransactItems: [...items] }));
}

/** True when DynamoDB cancelled the transaction (a condition failed, or a conflicting write was in flight). */
export function isCancelled(err: unknown): err is TransactionCanceledException {
	return err instanceof TransactionCanceledException || (err as { name?: string } | undefined)?.name === "TransactionCanceledException";
}

/** Whether the item at `index` of a cancelled transaction is the one whose condition failed. */
export function conditionFailedAt(err: unknown, index: number): boolean {
	if (!isCancelled(err)) return false;
	const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
	return reasons[index]?.Code === "ConditionalCheckFailed";
}

/** A single conditional Put, Update or Delete whose condition failed. */
export function isConditionFailure(err: unknown): boolean {
	return (err as { name?: string } | undefined)?.name === "ConditionalCheckFailedException";
}

/** What an attempt asks of the retry loop: try again after a jittered pause, or at once (it learnt something, nothing raced). */
export const RETRY = Symbol("retry after a jittered pause");
export const RETRY_NOW = Symbol("retry at once");
type Retry = typeof RETRY | typeof RETRY_NOW;

/** Exponential backoff with full jitter, so concurrent writers that collided spread out. */
export async function jitteredPause(attempt: number, baseMs = 10, capMs = 1000): Promise<void> {
	await new Promise((r) => setTimeout(r, Math.random() * Math.min(capMs, baseMs * 2 ** attempt)));
}

/**
 * The read-decide-write loop of every optimistic change: `attempt` reads, decides and
 * writes, and answers RETRY when what it read changed under it. After `maxAttempts` the
 * change fails as transient (the state machine or the caller retries later).
 */
export async function withOptimisticRetry<T>(what: string, attempt: (n: number) => Promise<T | Retry>, maxAttempts = 10): Promise<T> {
	for (let n = 1; n <= maxAttempts; n++) {
		const outcome = await attempt(n);
		if (outcome === RETRY) await jitteredPause(n);
		else if (outcome !== RETRY_NOW) return outcome;
	}
	throw new TransientError(`${what}: it kept changing over ${maxAttempts} attempts`);
}
