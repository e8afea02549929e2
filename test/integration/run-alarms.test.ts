import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { invokeLocalFunction, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import { createClients } from "../../shared/platform/clients.js";
import { putAccount } from "../../shared/store/accounts.js";
import { claimDeliveries, markSent } from "../../shared/store/deliveries.js";
import { keys } from "../../shared/store/keys.js";
import { newPayment } from "../../shared/store/payments.js";
import { listRunFailures, recordRunFailure } from "../../shared/store/run-failures.js";
import { transactWrite } from "../../shared/store/transact.js";
import { testAccount } from "../support/accounts.js";
import { startTestStack } from "../support/embedded.js";
import { putMapResults } from "../support/map-results.js";

/**
 * A run that SUCCEEDED can still leave failed accounts, deliveries whose outcome is unknown
 * and broken ledger invariants: the steps that know each count publish it as a CloudWatch
 * metric (EMF on stdout), which the stack alarms on (test/infra). Embedded, the metrics are
 * switched off; here they are switched on to read the lines Lambda would send to CloudWatch.
 */

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
const PERIOD = "2026-10";
const billing = { period: PERIOD, periodStart: "2026-10-01", periodEnd: "2026-10-31", asOf: "2026-11-01" };

beforeAll(async () => {
	stack = await startTestStack("run-alarms");
	process.env.POWERTOOLS_METRICS_DISABLED = "false";
});

afterAll(async () => {
	process.env.POWERTOOLS_METRICS_DISABLED = "true";
	await stack?.stop();
});

afterEach(() => {
	vi.restoreAllMocks();
});

/** Runs the step and returns its output and the EMF lines it printed. */
async function step(
	functionId: string,
	input: Record<string, unknown> = {},
): Promise<{ output: Record<string, unknown>; metrics: Record<string, unknown>[] }> {
	const lines: string[] = [];
	vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
		lines.push(String(chunk));
		return true;
	});
	const output = (await invokeLocalFunction(localFunctionArn(functionId), { billing, ...input })) as Record<string, unknown>;
	vi.restoreAllMocks();
	const metrics = lines
		.flatMap((chunk) => chunk.split("\n"))
		.filter((line) => line.includes('"CloudWatchMetrics"'))
		.map((line) => JSON.parse(line) as Record<string, unknown>);
	return { output, metrics };
}

function emfOf(metrics: Record<string, unknown>[], name: string): Record<string, unknown> {
	const line = metrics.find((m) => name in m);
	if (!line) throw new Error(`no EMF line with ${name}: ${JSON.stringify(metrics)}`);
	return line;
}

describe("the run's alarm metrics", () => {
	it("Summarize Invoicing counts failed accounts and deliveries claimed but never confirmed, and publishes both", async () => {
		const deps = { ddb: createClients().ddb, tableName: stack.tableName };
		await recordRunFailure(deps, {
			period: PERIOD,
			accountId: "ACC-BAD",
			stage: "deliver",
			reason: 'invoice INV-2026-000009 not delivered: invalid email address "ap@acme"',
		});
		// A crash between the claim and the send (the embedded stack killed during delivery) leaves these "sending".
		await claimDeliveries(
			deps,
			[keys.delivery("INV-2026-000001", "email"), keys.statementDelivery("ACC-1", PERIOD, "email")],
			"ap@one.example.com",
			PERIOD,
		);
		await claimDeliveries(deps, [keys.delivery("INV-2026-000002", "email")], "ap@two.example.com", PERIOD);
		await claimDeliveries(deps, [keys.delivery("INV-2026-000003", "email")], "ap@three.example.com", PERIOD);
		await markSent(deps, keys.delivery("INV-2026-000003", "email"), "msg-3");
		// Another period's stays out of this one's count.
		await claimDeliveries(deps, [keys.delivery("INV-2026-000100", "email")], "ap@later.example.com", "2026-11");

		// Two batches of the Invoice Accounts map, as its ResultWriter left them.
		const batch = (totals: Record<string, { invoices: number; total: number }>, emailsSent: number, postal: number) => ({
			generated: { invoiceNumbers: [], issued: 0, alreadyIssued: 0, nothingToBill: 0, failed: 0, totalsByCurrency: totals },
			delivered: { invoiceEmailsSent: emailsSent, postalInvoices: postal },
		});
		const results = await putMapResults(createClients().s3, stack.bucketName, `runs/${PERIOD}/invoice-accounts`, {
			succeeded: [
				batch({ USD: { invoices: 2, total: 10_001 } }, 1, 1),
				batch({ USD: { invoices: 1, total: 99 }, JPY: { invoices: 1, total: 500 } }, 2, 0),
			],
		});
		const { output, metrics } = await step("SummarizeInvoicing", { results });
		expect(output).toMatchObject({
			invoicesIssued: 4,
			totalsByCurrency: { USD: { invoices: 3, total: 10_100 }, JPY: { invoices: 1, total: 500 } },
			emailsSent: 3,
			postalInvoices: 1,
			failedAccountCount: 1,
			failedAccounts: [
				{ accountId: "ACC-BAD", stage: "deliver", reason: 'invoice INV-2026-000009 not delivered: invalid email address "a***@acme"' },
			],
			deliveriesOutcomeUnknownCount: 3,
		});
		expect((output.deliveriesOutcomeUnknown as { document: string }[]).map((d) => d.document).sort()).toEqual([
			"invoice INV-2026-000001",
			"invoice INV-2026-000002",
			"statement ACC-1 2026-10",
		]);
		expect(JSON.stringify(output)).not.toMatch(/ap@/);

		const emf = emfOf(metrics, "FailedAccounts");
		expect(emf).toMatchObject({ service: "billing", FailedAccounts: 1, DeliveriesOutcomeUnknown: 3 });
		expect((emf._aws as { CloudWatchMetrics: unknown[] }).CloudWatchMetrics).toEqual([
			{
				Namespace: "Billing",
				Dimensions: [["service"]],
				Metrics: expect.arrayContaining([
					{ Name: "FailedAccounts", Unit: "Count" },
					{ Name: "DeliveriesOutcomeUnknown", Unit: "Count" },
				]),
			},
		]);

		// Confirmed (or resent and confirmed), a delivery leaves the count.
		await markSent(deps, keys.delivery("INV-2026-000002", "email"), "msg-2");
		expect((await step("SummarizeInvoicing", { results })).output).toMatchObject({ deliveriesOutcomeUnknownCount: 2 });
	});

	it("Reconcile Payments publishes the number of payments that do not add up", async () => {
		const clean = await step("ReconcilePayments");
		expect(clean.output.invariants).toMatchObject({ paymentsChecked: 0, invariantsHold: true, violationCount: 0 });
		expect(emfOf(clean.metrics, "LedgerInvariantViolations")).toMatchObject({ service: "billing", LedgerInvariantViolations: 0 });

		// A payment recorded as applied in full whose applications add up to less than its appliedAmount.
		const deps = { ddb: createClients().ddb, tableName: stack.tableName };
		await transactWrite(deps, [
			newPayment(stack.tableName, {
				provider: "stripe",
				paymentId: "pi_uneven",
				eventId: "evt_uneven",
				accountId: "ACC-UNEVEN",
				invoiceNumber: "INV-2026-000050",
				amount: 10_000,
				currency: "USD",
				receivedAt: "2026-10-15T12:00:00.000Z",
				status: "applied",
				appliedAmount: 10_000,
				unappliedAmount: 0,
				returnedUnapplied: 0,
				applications: [{ invoiceNumber: "INV-2026-000050", amount: 9_000 }],
				creditedAmount: 0,
				refundedAmount: 0,
				chargebackAmount: 0,
			}),
		]);
		const broken = await step("ReconcilePayments");
		expect(broken.output.invariants).toMatchObject({ paymentsChecked: 1, invariantsHold: false, violationCount: 1 });
		expect((broken.output.invariants as { violations: { subject: string }[] }).violations.map((v) => v.subject)).toEqual([
			"stripe:pi_uneven",
		]);
		expect(emfOf(broken.metrics, "LedgerInvariantViolations")).toMatchObject({ service: "billing", LedgerInvariantViolations: 1 });
	});

	it("Review Accounts verifies each batch's ledgers; Summarize Account Review publishes the broken invariants and the accounts not reviewed", async () => {
		const deps = { ddb: createClients().ddb, tableName: stack.tableName };
		// A balance no ledger entry explains.
		await putAccount(deps, testAccount("ACC-DRIFT", { balance: 1234 }));
		await putAccount(deps, testAccount("ACC-FINE"));
		const verified = await step("VerifyLedgers", { items: [{ accountId: "ACC-DRIFT" }, { accountId: "ACC-FINE" }] });
		// Its balance is neither the sum of its ledger nor what its invoices leave due.
		expect(verified.output).toMatchObject({ accountsChecked: 2, invariantsHold: false, violationCount: 2 });
		const escalated = await step("EscalateOverdueAccounts", {
			asOf: billing.asOf,
			items: [{ accountId: "ACC-DRIFT" }, { accountId: "ACC-FINE" }],
		});
		expect(escalated.output).toMatchObject({ overdueInvoices: 0, collections: { accountsPastDue: 0, caseMonths: [] } });

		const results = await putMapResults(createClients().s3, stack.bucketName, `runs/${PERIOD}/review-accounts`, {
			succeeded: [{ ledgers: verified.output, collections: escalated.output }],
			failed: [
				{
					input: { Items: [{ accountId: "ACC-LOST-1" }, { accountId: "ACC-LOST-2" }], BatchInput: { billing } },
					error: "States.Timeout",
					cause: "the batch timed out",
				},
			],
		});
		const { output, metrics } = await step("SummarizeAccountReview", { results });
		expect(output).toMatchObject({
			accountsReviewed: 2,
			accountsNotReviewed: 2,
			invariants: { accountsChecked: 2, invariantsHold: false, violationCount: 2 },
			collections: { overdueInvoices: 0, accountsInCollections: { count: 0, first: [] }, casesCsvKeys: [] },
		});
		expect((output.invariants as { violations: { subject: string }[] }).violations.map((v) => v.subject)).toEqual([
			"ACC-DRIFT",
			"ACC-DRIFT",
		]);
		expect(emfOf(metrics, "LedgerInvariantViolations")).toMatchObject({ LedgerInvariantViolations: 2, FailedAccounts: 2 });
		// The accounts of the failed batch are on the run's failure list, for the console and the desk.
		const failures = await listRunFailures(deps, PERIOD);
		expect(failures.filter((f) => f.stage === "review").map((f) => [f.accountId, f.reason])).toEqual([
			["ACC-LOST-1", "account review failed: States.Timeout: the batch timed out"],
			["ACC-LOST-2", "account review failed: States.Timeout: the batch timed out"],
		]);
	});
});
