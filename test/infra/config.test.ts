import { App } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { BillingConfigError, configDefaults, readBillingConfig } from "../../infra/config.js";

const configFrom = (context: Record<string, unknown>) => readBillingConfig(new App({ context }));

describe("readBillingConfig (CDK context)", () => {
	it("uses the documented defaults when no context is given", () => {
		expect(configFrom({})).toEqual(configDefaults);
		// Issued documents are kept under Object Lock for 10 years unless configured (GoBD and most VAT laws ask 8 to 10).
		expect(configDefaults.documentRetentionYears).toBe(10);
	});

	it("takes values from context, including the strings `cdk -c key=value` passes", () => {
		const config = configFrom({
			senderEmail: "invoices@acme.test",
			sellerName: "Acme Ltd",
			paymentTermsDays: "14",
			webhookRateLimit: 5,
			alarmEmail: "ops@acme.test",
			dunningStages: "reminder:3,collections:45",
			webhookEventRetentionDays: "90",
			chartOfAccounts: { receivable: { code: "610", name: "Debtors" } },
			documentRetentionYears: "8",
		});
		expect(config).toMatchObject({
			documentRetentionYears: 8,
			chartOfAccounts: '{"receivable":{"code":"610","name":"Debtors"}}',
			webhookEventRetentionDays: 90,
			senderEmail: "invoices@acme.test",
			sellerName: "Acme Ltd",
			paymentTermsDays: 14,
			webhookRateLimit: 5,
			alarmEmail: "ops@acme.test",
			dunningStages: "reminder:3,collections:45",
		});
	});

	it.each([
		[{ senderEmail: "not-an-email" }, /senderEmail/],
		[{ alarmEmail: "ops" }, /alarmEmail/],
		[{ paymentTermsDays: "thirty" }, /paymentTermsDays/],
		[{ webhookBurstLimit: 0 }, /webhookBurstLimit/],
		[{ webhookEventRetentionDays: 0 }, /webhookEventRetentionDays/],
		[{ dunningStages: "reminder:1,final_notice:14" }, /dunningStages.*collections/],
		[{ sellerName: "  " }, /sellerName/],
		[{ documentRetentionYears: 0 }, /documentRetentionYears/],
		[{ documentRetentionYears: "ten" }, /documentRetentionYears/],
		[{ documentRetentionYears: 101 }, /documentRetentionYears.*DOCUMENT_RETENTION_YEARS.*1 to 100/],
		[{ chartOfAccounts: '{"cash":{"code":"1","name":"Cash"}}' }, /chartOfAccounts.*cash is not one of/],
	])("refuses %j at synth time", (context, message) => {
		expect(() => configFrom(context)).toThrow(BillingConfigError);
		expect(() => configFrom(context)).toThrow(message);
	});
});
