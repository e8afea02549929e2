import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escalateOverdueAccounts } from "../../shared/collections/dunning.js";
import { addDays, resolveBillingPeriod } from "../../shared/core/period.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { createClients } from "../../shared/platform/clients.js";
import { dunningConfig, sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { sentMail, startTestStack } from "../support/embedded.js";

/** The ladder follows DUNNING_STAGES: here a reminder after 3 days and collections after 10. */
type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;

beforeAll(async () => {
	stack = await startTestStack("dunning-config");
});

afterAll(async () => {
	await stack?.stop();
});

describe("a configured dunning ladder", () => {
	it("sends exactly the configured stages on their days, in the account's currency", async () => {
		const stages = dunningConfig({ DUNNING_STAGES: "collections:10,reminder:3" });
		expect(stages).toEqual([
			{ stage: "reminder", daysOverdue: 3 },
			{ stage: "collections", daysOverdue: 10 },
		]);
		const { ddb, s3, ses } = createClients();
		const seller = sellerConfig();
		const deps = {
			ddb,
			s3,
			ses,
			tableName: stack.tableName,
			bucketName: stack.bucketName,
			seller,
			stages,
			collectionsEmail: `team+${stack.tag}@example.com`,
		};
		await putAccount(deps, {
			accountId: "KWD-1",
			name: "Gulf Traders",
			email: `ap+${stack.tag}@gulf.example.com`,
			currency: "KWD",
			status: "active",
			taxRatePpm: 0,
			paymentTermsDays: 10,
			delivery: "email",
			addressLines: ["Kuwait City"],
			plan: { code: "team", description: "Team plan", unitAmount: 12_345, quantity: 1 },
			balance: 0,
			creditBalance: 0,
			createdAt: "2026-10-01T00:00:00.000Z",
		});
		await issueInvoiceForAccount(deps, "KWD-1", resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date()));
		const due = "2026-11-11";
		const sentOn: Record<string, string> = {};
		for (let day = 1; day <= 12; day++) {
			const result = await escalateOverdueAccounts(deps, addDays(due, day));
			for (const stage of Object.keys(result.noticesSent)) sentOn[stage] = addDays(due, day);
		}
		expect(sentOn).toEqual({ reminder: "2026-11-14", collections: "2026-11-21" });
		const mail = await sentMail((m) => m.destination.to.some((to) => to.includes(`ap+${stack.tag}`)));
		expect(mail.map((m) => m.subject)).toEqual([
			expect.stringMatching(/^Payment reminder: invoice INV-2026-000001 \u2014 KWD 12\.345 was due 2026-11-11$/),
			expect.stringMatching(/^Account referred to collections: invoice INV-2026-000001 \u2014 KWD 12\.345 outstanding$/),
		]);
		expect(mail.every((m) => m.attachments.some((a) => a.filename === "INV-2026-000001.pdf"))).toBe(true);
		const notices = await sentMail((m) => m.destination.to.some((to) => to.includes(`team+${stack.tag}`)));
		expect(notices.map((m) => m.subject)).toEqual(["Collections: 1 new case(s) as of 2026-11-21"]);
	});
});
