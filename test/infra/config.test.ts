import { App } from "aws-cdk-lib";
import { describe, expect, it } from "vitest";
import { BillingConfigError, configDefaults, readBillingConfig, sellerEInvoiceEnvironment } from "../../infra/config.js";

const configFrom = (context: Record<string, unknown>) => readBillingConfig(new App({ context }));

describe("readBillingConfig (CDK context)", () => {
	it("uses the documented defaults when no context is given", () => {
		expect(configFrom({})).toEqual(configDefaults);
		// Issued documents are kept under Object Lock for 10 years unless configured (GoBD and most VAT laws ask 8 to 10).
		expect(configDefaults.documentRetentionYears).toBe(10);
		// SES's rate binds, not our own concurrency: each of 1,000 batches sends at most 0.2 emails a second.
		expect(configDefaults).toMatchObject({ invoiceMaxConcurrency: 1000, sesMaxSendRate: 200, invoiceBatchSize: 25, reviewBatchSize: 50 });
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
			invoiceMaxConcurrency: "100",
			sesMaxSendRate: "14.5",
		});
		expect(config).toMatchObject({
			documentRetentionYears: 8,
			invoiceMaxConcurrency: 100,
			sesMaxSendRate: 14.5,
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

	it("takes the seller's e-invoice details from context, checked by the reader the functions use", () => {
		const config = configFrom({
			sellerVatId: "DE123456789",
			sellerStreet: "Friedrichstraße 100",
			sellerCity: "Berlin",
			sellerPostalCode: "10117",
			sellerCountryCode: "DE",
			sellerIban: "DE89 3704 0044 0532 0130 00",
		});
		expect(config).toMatchObject({
			sellerVatId: "DE123456789",
			sellerStreet: "Friedrichstraße 100",
			sellerIban: "DE89 3704 0044 0532 0130 00",
			sellerBic: undefined,
			sellerPhone: undefined,
			sellerPeppolId: undefined,
			sellerRegistrationId: undefined,
		});
		expect(sellerEInvoiceEnvironment(config)).toEqual({
			SELLER_VAT_ID: "DE123456789",
			SELLER_STREET: "Friedrichstraße 100",
			SELLER_CITY: "Berlin",
			SELLER_POSTAL_CODE: "10117",
			SELLER_COUNTRY_CODE: "DE",
			SELLER_IBAN: "DE89 3704 0044 0532 0130 00",
		});
		expect(sellerEInvoiceEnvironment(configDefaults)).toEqual({});
	});

	const seller = {
		sellerVatId: "DE123456789",
		sellerStreet: "Friedrichstraße 100",
		sellerCity: "Berlin",
		sellerPostalCode: "10117",
		sellerCountryCode: "DE",
		sellerIban: "DE89370400440532013000",
	};

	it.each([
		[{ senderEmail: "not-an-email" }, /senderEmail/],
		[
			{ ...seller, sellerIban: "DE89370400440532013001" },
			/seller's e-invoice context values are invalid: .*SELLER_IBAN: .*check digits do not match/,
		],
		[
			{ sellerIban: "DE89370400440532013000" },
			/SELLER_VAT_ID, SELLER_STREET, SELLER_CITY, SELLER_POSTAL_CODE, SELLER_COUNTRY_CODE are required/,
		],
		[{ ...seller, sellerVatId: "  " }, /sellerVatId/],
		[{ alarmEmail: "ops" }, /alarmEmail/],
		[{ paymentTermsDays: "thirty" }, /paymentTermsDays/],
		[{ webhookBurstLimit: 0 }, /webhookBurstLimit/],
		[{ invoiceMaxConcurrency: 10_001 }, /invoiceMaxConcurrency" must be at most 10000/],
		[{ reviewBatchSize: "0" }, /reviewBatchSize/],
		[{ sesMaxSendRate: "fast" }, /sesMaxSendRate/],
		// SES's sandbox rate with the default 1,000 batches at once: each batch's 25 emails would take 30 minutes.
		[{ sesMaxSendRate: 14 }, /takes 1786 s, over the 180 s a batch may spend sending: lower "invoiceMaxConcurrency"/],
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
