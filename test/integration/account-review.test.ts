import { GetObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escalateAccounts } from "../../shared/collections/dunning.js";
import type { Account } from "../../shared/core/model.js";
import { addDays, resolveBillingPeriod } from "../../shared/core/period.js";
import { summarizeAccountReview, verifyLedgersOf } from "../../shared/cycle/account-review.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { createClients } from "../../shared/platform/clients.js";
import { dunningConfig, sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { getAccount } from "../../shared/store/records.js";
import { sentMail, startTestStack } from "../support/embedded.js";
import { putMapResults } from "../support/map-results.js";

/**
 * The cycle's Review Accounts map, batch by batch as its children run it, then its summary:
 * the ladder per batch, each account's collections status and case, and once for the run
 * the month's cases file and one notice to the collections team.
 */
type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;

beforeAll(async () => {
	stack = await startTestStack("account-review");
});

afterAll(async () => {
	await stack?.stop();
});

function account(accountId: string, overrides: Partial<Account> = {}): Account {
	return {
		accountId,
		name: `Customer ${accountId}`,
		email: `ap+${accountId.toLowerCase()}@example.com`,
		currency: "USD",
		status: "active",
		taxRatePpm: 0,
		paymentTermsDays: 10,
		delivery: "email",
		addressLines: ["1 Main St"],
		plan: { code: "team", description: "Team plan", unitAmount: 10_000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-10-01T00:00:00.000Z",
		...overrides,
	};
}

describe("Review Accounts, batch by batch, and its summary", () => {
	it("escalates each batch's overdue invoices once and files the run's new cases once", async () => {
		const { ddb, s3, ses } = createClients();
		const collectionsEmail = `team+${stack.tag}@example.com`;
		const deps = {
			ddb,
			s3,
			ses,
			tableName: stack.tableName,
			bucketName: stack.bucketName,
			seller: sellerConfig(),
			stages: dunningConfig({ DUNNING_STAGES: "reminder:3,collections:10" }),
			collectionsEmail,
		};
		const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date());
		// REV-3 has 60 days to pay: not overdue yet.
		for (const [id, days] of [
			["REV-1", 10],
			["REV-2", 10],
			["REV-3", 60],
		] as const) {
			await putAccount(deps, account(id, { paymentTermsDays: days }));
			await issueInvoiceForAccount(deps, id, october);
		}
		const billing = { ...october, asOf: addDays("2026-11-11", 12) };

		const batches = [["REV-1", "REV-2"], ["REV-3"]];
		const outputs = [];
		for (const batch of batches) {
			const ledgers = await verifyLedgersOf(deps, billing, batch);
			const collections = await escalateAccounts(deps, batch, billing.asOf);
			outputs.push({ ledgers, collections });
		}
		expect(outputs[1]?.ledgers.creditApplied).toEqual({ accounts: 0, amount: {} });
		expect(outputs[0]?.collections).toMatchObject({ overdueInvoices: 2, noticesSent: { collections: 2 } });
		expect(outputs[1]?.collections).toMatchObject({ overdueInvoices: 0, noticesSent: {} });

		const results = await putMapResults(s3, stack.bucketName, "runs/2026-10/review-accounts", { succeeded: outputs });
		const review = await summarizeAccountReview(deps, billing, results);
		expect(review).toMatchObject({
			accountsReviewed: 3,
			accountsNotReviewed: 0,
			creditApplied: { accounts: 0, amount: {} },
			invariants: { accountsChecked: 3, invariantsHold: true, violationCount: 0 },
			collections: {
				overdueInvoices: 2,
				noticesSent: { collections: 2 },
				accountsInCollections: { count: 2, first: ["REV-1", "REV-2"] },
				casesOpened: { count: 2, first: [`CASE-REV-1-${billing.asOf}`, `CASE-REV-2-${billing.asOf}`] },
				casesCsvKeys: ["collections/2026-11/cases.csv"],
				noticeSentTo: collectionsEmail,
			},
		});
		expect((await getAccount(deps, "REV-1"))?.status).toBe("in_collections");
		expect((await getAccount(deps, "REV-3"))?.status).toBe("active");
		const csv = await (
			await s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: "collections/2026-11/cases.csv" }))
		).Body?.transformToString();
		expect(csv?.split("\n").filter((line) => line.startsWith("CASE-"))).toHaveLength(2);
		const notices = await sentMail((m) => m.destination.to.includes(collectionsEmail));
		expect(notices).toHaveLength(1);
		expect(notices[0]?.subject).toBe(`Collections: 2 new case(s) as of ${billing.asOf}`);

		// A re-drive reviews the same accounts again: nothing is sent twice, no case opened again.
		const again = [];
		for (const batch of batches) {
			again.push({ ledgers: await verifyLedgersOf(deps, billing, batch), collections: await escalateAccounts(deps, batch, billing.asOf) });
		}
		const rerun = await summarizeAccountReview(
			deps,
			billing,
			await putMapResults(s3, stack.bucketName, "runs/2026-10/review-accounts", { succeeded: again }),
		);
		expect(rerun.collections).toMatchObject({ noticesSent: {}, casesOpened: { count: 0, first: [] } });
		expect(rerun.collections.noticeSentTo).toBeUndefined();
		expect(await sentMail((m) => m.destination.to.includes(collectionsEmail))).toHaveLength(1);
	});
});
