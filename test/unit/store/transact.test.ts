import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { TransientError } from "../../../shared/core/errors.js";
import {
	conditionFailedAt,
	isCancelled,
	MAX_TRANSACTION_ITEMS,
	RETRY,
	RETRY_NOW,
	transactionsOf,
	withOptimisticRetry,
} from "../../../shared/store/transact.js";

const cancelled = (codes: string[]) =>
	new TransactionCanceledException({ message: "cancelled", $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });

describe("transactions", () => {
	it("names the item whose condition failed", () => {
		const err = cancelled(["None", "ConditionalCheckFailed"]);
		expect(isCancelled(err)).toBe(true);
		expect(conditionFailedAt(err, 1)).toBe(true);
		expect(conditionFailedAt(err, 0)).toBe(false);
		expect(conditionFailedAt(new Error("boom"), 0)).toBe(false);
	});

	it("retries an optimistic change until it goes through, and fails as transient when it never does", async () => {
		const answers: (string | typeof RETRY | typeof RETRY_NOW)[] = [RETRY_NOW, RETRY, "done"];
		let calls = 0;
		expect(await withOptimisticRetry("x", async () => answers[calls++] as string)).toBe("done");
		expect(calls).toBe(3);
		await expect(withOptimisticRetry("paying INV-1", async () => RETRY_NOW, 3)).rejects.toThrow(TransientError);
		await expect(withOptimisticRetry("paying INV-1", async () => RETRY_NOW, 3)).rejects.toThrow(
			/paying INV-1: it kept changing over 3 attempts/,
		);
	});

	it("packs changes with their events into transactions of at most 100 items, a change never split from its event", () => {
		// 60 invoice deliveries marked sent, each a mark and its invoice.delivered event; 10 statement deliveries, a mark each.
		const groups = [
			...Array.from({ length: 60 }, (_, i) => ({ id: `inv-${i}`, items: 2 })),
			...Array.from({ length: 10 }, (_, i) => ({ id: `st-${i}`, items: 1 })),
		];
		const transactions = transactionsOf(groups, (g) => g.items);
		expect(transactions.map((t) => t.reduce((n, g) => n + g.items, 0))).toEqual([100, 30]);
		expect(transactions.flat()).toEqual(groups);
		expect(transactionsOf([], (g: { items: number }) => g.items)).toEqual([]);
		expect(() => transactionsOf([{ items: MAX_TRANSACTION_ITEMS + 1 }], (g) => g.items)).toThrow(/more than one transaction takes/);
	});
});
