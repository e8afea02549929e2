import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { summarizeInvoicing } from "../../shared/cycle/run-records.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { testAccount } from "../support/accounts.js";
import { startTestStack } from "../support/embedded.js";
import { putMapResults } from "../support/map-results.js";

/**
 * Summarize Invoicing adds up the Invoice Accounts batches from the map's results. A batch
 * can store its invoices and then fail (its delivery half, or retries run out): those
 * invoices were issued and belong in the run's totals, which the billing team checks.
 */
type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;

beforeAll(async () => {
	stack = await startTestStack("invoicing-summary");
});

afterAll(async () => {
	await stack?.stop();
});

describe("Summarize Invoicing", () => {
	it("counts the invoices a failed batch stored before it failed, in their currency, to the cent", async () => {
		const { ddb, s3 } = createClients();
		const deps = { ddb, s3, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
		const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date());
		const plan = (unitAmount: number) => ({ code: "team", description: "Team plan", unitAmount, quantity: 1 });
		await putAccount(deps, testAccount("SUM-1", { plan: plan(10_000) }));
		await putAccount(deps, testAccount("SUM-2", { currency: "EUR", plan: plan(5_050) }));
		// Nothing to bill: a failed batch's account without an invoice adds nothing.
		await putAccount(deps, testAccount("SUM-3"));
		await issueInvoiceForAccount(deps, "SUM-1", october);
		await issueInvoiceForAccount(deps, "SUM-2", october);

		const results = await putMapResults(s3, stack.bucketName, "runs/2026-10/invoice-accounts", {
			succeeded: [
				{
					generated: { totalsByCurrency: { USD: { invoices: 1, total: 10_000 } } },
					delivered: { invoiceEmailsSent: 1, postalInvoices: 0 },
				},
			],
			failed: [
				{
					input: { BatchInput: { billing: october }, Items: [{ accountId: "SUM-2" }, { accountId: "SUM-3" }] },
					error: "States.TaskFailed",
					cause: "Deliver Invoices: SES unavailable",
				},
			],
		});
		const summary = await summarizeInvoicing(deps, "2026-10", results);
		expect(summary).toMatchObject({
			invoicesIssued: 2,
			totalsByCurrency: { USD: { invoices: 1, total: 10_000 }, EUR: { invoices: 1, total: 5_050 } },
			emailsSent: 1,
			postalInvoices: 0,
		});
	});
});
