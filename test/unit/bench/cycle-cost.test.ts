import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { awsLimits } from "../../../bench/aws-limits.js";
import { addConsumedCapacity, addRequest, type MeteredRequests } from "../../../bench/aws-meter.js";
import { costPer1000Invoices, projectMonth, usdForInvoices } from "../../../bench/cycle-cost.js";
import { executionUsage, expressGbSeconds, lambdaGbSeconds } from "../../../bench/cycle-usage.js";

const usage = {
	dynamodbWriteRequestUnit: 20,
	dynamodbReadRequestUnit: 10,
	s3PutRequest: 4,
	s3GetRequest: 6,
	sesEmail: 2,
	lambdaRequest: 4,
	lambdaGbSecond: 3,
	standardTransition: 10,
	expressRequest: 1,
	expressGbSecond: 0.2,
};

describe("the cost of a run per 1,000 invoices", () => {
	it("prices each part at the list price and adds them up to the micro-dollar", () => {
		const cost = costPer1000Invoices(usage, 2);
		expect(cost.parts.dynamodbWriteRequestUnit).toEqual({ units: 10_000, usd: "0.006250" });
		expect(cost.parts.dynamodbReadRequestUnit).toEqual({ units: 5000, usd: "0.000625" });
		expect(cost.parts.s3PutRequest).toEqual({ units: 2000, usd: "0.010000" });
		expect(cost.parts.s3GetRequest).toEqual({ units: 3000, usd: "0.001200" });
		expect(cost.parts.sesEmail).toEqual({ units: 1000, usd: "0.100000" });
		expect(cost.parts.lambdaRequest).toEqual({ units: 2000, usd: "0.000400" });
		expect(cost.parts.lambdaGbSecond).toEqual({ units: 1500, usd: "0.025000" });
		expect(cost.parts.standardTransition).toEqual({ units: 5000, usd: "0.125000" });
		expect(cost.parts.expressRequest).toEqual({ units: 500, usd: "0.000500" });
		expect(cost.parts.expressGbSecond).toEqual({ units: 100, usd: "0.001667" });
		expect(cost.picoUsd).toBe(270_642_050_000);
		expect(cost.usd).toBe("0.270642");
		expect(usdForInvoices(cost, 1_000_000)).toBe("270.642050");
	});

	it("bills a Lambda to the millisecond at its memory and an Express child to 100 ms at 64 MB", () => {
		expect(lambdaGbSeconds(1234.2, 1024)).toBe(1.235);
		expect(lambdaGbSeconds(1000, 512)).toBe(0.5);
		expect(expressGbSeconds(1234)).toBe(0.08125);
	});
});

describe("a month projected on AWS", () => {
	const limits = {
		maps: { "Invoice Accounts": { maxConcurrency: 100, batchSize: 50 } },
		sesSendingRate: 200,
		lambdaConcurrency: 1000,
		dynamodbTableWriteUnitsPerSecond: 40_000,
		dynamodbTableReadUnitsPerSecond: 40_000,
	};
	const invoiceMap = {
		map: "Invoice Accounts",
		items: 1000,
		children: 40,
		childSeconds: 400,
		sesEmails: 1000,
		dynamodbReadUnits: 20_000,
		dynamodbWriteUnits: 30_000,
	};
	const identify = { step: "Identify Outstanding Accounts", seconds: 2, secondsAtTenth: 1.1 };

	it("names the SES rate when the emails take longer than the children at MaxConcurrency", () => {
		const p = projectMonth({ accounts: 1000, tenthAccounts: 100 }, [invoiceMap], [identify], limits, 1_000_000);
		// 20,000 batches of 50 at 0.4 s an account, 100 at once: 4,000 s; 1,000,000 emails at 200/s: 5,000 s.
		expect(p.limitHours.MaxConcurrency * 3600).toBeCloseTo(4000, 6);
		expect(p.limitHours["Lambda concurrency"] * 3600).toBeCloseTo(400, 6);
		expect(p.limitHours["SES sending rate"] * 3600).toBeCloseTo(5000, 6);
		expect(p.limitHours["DynamoDB table write throughput"] * 3600).toBeCloseTo(750, 6);
		expect(p.limitHours["DynamoDB table read throughput"] * 3600).toBeCloseTo(500, 6);
		expect(p.bindingLimit).toBe("SES sending rate");
		expect(p.bindingLimitHours * 3600).toBeCloseTo(5000, 6);
		// Identify grew 0.9 s over 900 accounts: 2 s + 0.001 s × 999,000 more accounts.
		expect(p.serialHours * 3600).toBeCloseTo(1001, 6);
		expect(p.hours * 3600).toBeCloseTo(6001, 6);
	});

	it("names MaxConcurrency when it holds the children back", () => {
		const p = projectMonth(
			{ accounts: 1000, tenthAccounts: 100 },
			[invoiceMap],
			[identify],
			{ ...limits, maps: { "Invoice Accounts": { maxConcurrency: 8, batchSize: 25 } } },
			100_000,
		);
		// 4,000 batches of 25 at 10 s, 8 at once: 5,000 s.
		expect(p.bindingLimit).toBe("MaxConcurrency");
		expect(p.maps[0]?.hours ?? 0).toBeCloseTo(5000 / 3600, 9);
	});

	it("takes MaxConcurrency, batch size and the SES rate from the context, else the stack's defaults", () => {
		expect(awsLimits({})).toMatchObject({
			maps: { "Invoice Accounts": { maxConcurrency: 1000, batchSize: 25 }, "Review Accounts": { maxConcurrency: 1000, batchSize: 50 } },
			sesSendingRate: 200,
		});
		expect(awsLimits({ invoiceMaxConcurrency: 400, invoiceBatchSize: 20, sesMaxSendRate: 14 })).toMatchObject({
			maps: { "Invoice Accounts": { maxConcurrency: 400, batchSize: 20 }, "Review Accounts": { maxConcurrency: 1000, batchSize: 50 } },
			sesSendingRate: 14,
		});
		expect(() => awsLimits({ sesMaxSendRate: "fast" })).toThrow("sesMaxSendRate");
	});
});

describe("what the meter counts", () => {
	const zero = (): MeteredRequests => ({ dynamodbReadUnits: 0, dynamodbWriteUnits: 0, s3PutRequests: 0, s3GetRequests: 0, sesEmails: 0 });

	it("adds DynamoDB's consumed capacity by the call's kind, or by its read and write split", () => {
		const count = zero();
		addConsumedCapacity(count, "read", { TableName: "billing", CapacityUnits: 0.5 });
		addConsumedCapacity(count, "write", [{ TableName: "billing", CapacityUnits: 4 }]);
		addConsumedCapacity(count, "write", { TableName: "billing", CapacityUnits: 3, ReadCapacityUnits: 1, WriteCapacityUnits: 2 });
		expect(count).toMatchObject({ dynamodbReadUnits: 1.5, dynamodbWriteUnits: 6 });
	});

	it("counts S3 requests by price tier and each SES recipient", () => {
		const count = zero();
		for (const command of ["PutObject", "ListObjectsV2", "GetObject", "HeadObject", "DeleteObject"]) addRequest(count, "s3", command, {});
		addRequest(count, "ses", "SendRawEmail", { Destinations: ["a@example.com"] });
		addRequest(count, "ses", "SendEmail", { Destination: { ToAddresses: ["a@example.com"], CcAddresses: ["b@example.com"] } });
		addRequest(count, "ses", "GetSendQuota", {});
		expect(count).toEqual({ dynamodbReadUnits: 0, dynamodbWriteUnits: 0, s3PutRequests: 2, s3GetRequests: 2, sesEmails: 3 });
	});
});

describe("what an execution's history bills", () => {
	it("bills each Lambda at its memory and each child of an EXPRESS map as one Express request", () => {
		const definition = {
			States: {
				"Invoice Accounts": {
					Type: "Map",
					ItemProcessor: { ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "EXPRESS" }, States: {} },
				},
			},
		};
		const at = (ms: number) => new Date(1_700_000_000_000 + ms);
		const arn = "arn:aws:lambda:us-east-1:000000000000:function:GenerateInvoices";
		const events: HistoryEvent[] = [
			{ id: 1, type: "MapIterationStarted", timestamp: at(0), mapIterationStartedEventDetails: { name: "Invoice Accounts", index: 0 } },
			{
				id: 2,
				previousEventId: 1,
				type: "LambdaFunctionScheduled",
				timestamp: at(10),
				lambdaFunctionScheduledEventDetails: { resource: arn },
			},
			{ id: 3, previousEventId: 2, type: "LambdaFunctionStarted", timestamp: at(10) },
			{ id: 4, previousEventId: 3, type: "LambdaFunctionSucceeded", timestamp: at(2010) },
			{
				id: 5,
				previousEventId: 4,
				type: "MapIterationSucceeded",
				timestamp: at(2050),
				mapIterationSucceededEventDetails: { name: "Invoice Accounts", index: 0 },
			},
		];
		// The Lambda: 2,000 ms at 1 GB; the child: 2,050 ms billed as 2,100 ms at 1/16 GB.
		const usage = executionUsage(events, definition, (fn) => (fn === "GenerateInvoices" ? 1024 : 0));
		expect(usage).toMatchObject({ lambdaRequests: 1, lambdaGbSeconds: 2, expressRequests: 1, expressGbSeconds: 0.13125 });
		expect(usage.maps).toEqual([
			{
				map: "Invoice Accounts",
				express: true,
				children: 1,
				childSeconds: 2.05,
				wallSeconds: 2.05,
				from: 1_700_000_000_000,
				to: 1_700_000_002_050,
			},
		]);
	});
});
