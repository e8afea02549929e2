import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { periodBooks } from "../../shared/reporting/books.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { DEFAULT_CHART } from "../../shared/reporting/journal.js";
import { parseReportPeriod } from "../../shared/reporting/report-period.js";
import { computeReport, loadReportInputs } from "../../shared/reporting/reports.js";
import { startTestStack } from "../support/embedded.js";
import { moneyCommands } from "./commands.js";
import { amountDue, MoneyModel } from "./reference-model.js";
import { type MoneySystem, startSequence } from "./system.js";

/**
 * The money core against its reference model: fast-check generates sequences of what a
 * month brings (invoices, payments of every shape, redeliveries, refunds before and after
 * their payment, disputes, credit memos, voids, write-offs, the reconcile step, statements)
 * and runs each on a fresh table through the functions the handlers call, comparing the
 * stored state with the model after every step. Seeded, so a failure replays:
 * `npm run test:model -- --runs 5000 [--seed N] [--size medium]` for a long run.
 */
const RUNS = Number(process.env.MODEL_RUNS ?? 200);
const SEED = Number(process.env.MODEL_SEED ?? 20261201);
/** fast-check's size of the generated sequences: "small" (up to about 10 operations) keeps `npm test` short. */
const SIZE = (process.env.MODEL_SIZE ?? "small") as fc.Size;

let stack: Awaited<ReturnType<typeof startTestStack>>;
let sequences = 0;

beforeAll(async () => {
	stack = await startTestStack("model");
});

afterAll(async () => {
	await stack?.stop();
});

/** The report's identity over every month touched: the net change in receivables is the balances less overpayments kept as credit. */
async function expectReportFromLedger(model: MoneyModel, system: MoneySystem): Promise<void> {
	const months = ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
		.concat(Array.from({ length: 8 }, (_, i) => `2026-0${i + 1}`))
		.flatMap((m) => parseReportPeriod(m).months);
	const inputs = await loadReportInputs(system.deps, { kind: "quarterly", label: "model", months }, "2099-12-31");
	const report = computeReport("model", "quarterly", inputs);
	const accounts = [...model.accounts.values()];
	const netChange = report.months.reduce((acc, m) => acc + (m.byCurrency.USD?.netChangeInReceivables ?? 0), 0);
	expect(netChange).toBe(accounts.reduce((acc, a) => acc + a.balance + a.overpaid, 0));
	const aging = Object.values(report.agingByCurrency.USD ?? {}).reduce((acc, v) => acc + v, 0);
	expect(aging).toBe([...model.invoices.values()].reduce((acc, i) => acc + Math.max(amountDue(i), 0), 0));
}

/**
 * The books from the same ledger: every journal entry balances (periodBooks refuses one that
 * does not), receivables are what the model's invoices owe, customer credit what its accounts
 * hold, and the trial balance ties out to the stored accounts and invoices.
 */
async function expectBooksFromModel(model: MoneyModel, system: MoneySystem): Promise<void> {
	const { trialBalance } = await periodBooks(system.deps, "2099-12", DEFAULT_CHART);
	expect(trialBalance.tieOut.flatMap((t) => t.differences)).toEqual([]);
	const usd = trialBalance.tieOut.find((t) => t.currency === "USD");
	expect(usd?.receivable ?? 0).toBe([...model.invoices.values()].reduce((acc, i) => acc + amountDue(i), 0));
	expect(usd?.customerCredit ?? 0).toBe([...model.accounts.values()].reduce((acc, a) => acc + a.credit, 0));
	for (const currency of new Set(trialBalance.rows.map((r) => r.currency))) {
		const rows = trialBalance.rows.filter((r) => r.currency === currency);
		expect(rows.reduce((acc, r) => acc + r.closing, 0)).toBe(0);
	}
}

describe("the money core under generated sequences", () => {
	it(
		`matches the reference model after every step (${RUNS} sequences, seed ${SEED}, size ${SIZE})`,
		async () => {
			await fc.assert(
				fc.asyncProperty(
					fc.tuple(fc.integer({ min: 500, max: 30_000 }), fc.integer({ min: 500, max: 30_000 })),
					fc.commands(moneyCommands, { maxCommands: 30, size: SIZE }),
					async ([planA, planB], commands) => {
						sequences += 1;
						const accounts = [
							{ id: "MA", planAmount: planA },
							{ id: "MB", planAmount: planB },
						];
						const system = await startSequence(
							inject("servers").dynamodb,
							`${stack.bucketName}-${sequences}`,
							`model-${stack.tag}-${sequences}`,
							accounts,
						);
						try {
							const model = new MoneyModel();
							for (const a of accounts) model.addAccount(a.id, a.planAmount);
							await fc.asyncModelRun(() => ({ model, real: system }), commands);
							expect((await verifyLedgerInvariants(system.deps)).violations).toEqual([]);
							await expectReportFromLedger(model, system);
							await expectBooksFromModel(model, system);
						} finally {
							await system.drop();
						}
					},
				),
				{
					numRuns: RUNS,
					seed: SEED,
					...(process.env.MODEL_PATH ? { path: process.env.MODEL_PATH } : {}),
					endOnFailure: process.env.MODEL_SHRINK !== "1",
				},
			);
		},
		RUNS * 10_000,
	);
});
