import { DynamoDBClient, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
	BatchGetCommand,
	DynamoDBDocumentClient,
	GetCommand,
	QueryCommand,
	TransactWriteCommand,
	type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { Account } from "../../../shared/core/model.js";
import { resolveBillingPeriod } from "../../../shared/core/period.js";
import { issueInvoicesForBatch } from "../../../shared/invoicing/invoice-batch.js";
import { sellerConfig } from "../../../shared/platform/config.js";

const ddbMock = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);
const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
const seller = sellerConfig({ SENDER_EMAIL: "billing@example.com" });
const deps = {
	ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
	s3: new S3Client({ region: "us-east-1" }),
	tableName: "t",
	bucketName: "b",
	seller,
};

function account(accountId: string): Account & { pk: string; sk: string } {
	return {
		pk: `ACCOUNT#${accountId}`,
		sk: "ACCOUNT",
		accountId,
		name: accountId,
		email: `ap@${accountId.toLowerCase()}.example.com`,
		currency: "EUR",
		status: "active",
		taxRatePpm: 0,
		paymentTermsDays: 30,
		delivery: "email",
		addressLines: [],
		plan: { code: "p", description: "Plan", unitAmount: 1000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
	};
}

const cancelled = (failedAt: number[], length: number) =>
	new TransactionCanceledException({
		message: "cancelled",
		$metadata: {},
		CancellationReasons: Array.from({ length }, (_, i) => ({ Code: failedAt.includes(i) ? "ConditionalCheckFailed" : "None" })),
	});

/** The invoices a finalization transaction stores, by number, and its series advance. */
function written(input: TransactWriteCommandInput) {
	const items = input.TransactItems ?? [];
	return {
		numbers: items.flatMap((i) => (i.Put?.Item?.sk === "INVOICE" ? [String(i.Put.Item.number)] : [])),
		advance: items[0]?.Update?.ExpressionAttributeValues,
	};
}

beforeEach(() => {
	ddbMock.reset();
	s3Mock.reset();
	const accounts = ["ACC-1", "ACC-2", "ACC-3"].map(account);
	ddbMock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string; sk: string }[] }> }) => ({
		Responses: { t: (input.RequestItems.t?.Keys ?? []).flatMap((k) => accounts.filter((a) => a.pk === k.pk && a.sk === k.sk)) },
	}));
	ddbMock.on(QueryCommand).resolves({ Items: [] });
	s3Mock.on(PutObjectCommand).resolves({});
	s3Mock.on(HeadObjectCommand).resolves({});
});

describe("numbering a batch's invoices", () => {
	it("takes a block of numbers in one transaction with the invoices", async () => {
		ddbMock.on(GetCommand, { Key: { pk: "SERIES#INV-2026", sk: "SERIES" } }).resolves({ Item: { last: 41 } });
		ddbMock.on(TransactWriteCommand).resolves({});
		const result = await issueInvoicesForBatch(deps, ["ACC-1", "ACC-2", "ACC-3"], period, async () => undefined);
		const calls = ddbMock.commandCalls(TransactWriteCommand).map((c) => written(c.args[0].input));
		expect(calls).toEqual([{ numbers: ["INV-2026-000042", "INV-2026-000043", "INV-2026-000044"], advance: { ":next": 44, ":last": 41 } }]);
		expect(result).toMatchObject({ issued: 3, invoiceNumbers: ["INV-2026-000042", "INV-2026-000043", "INV-2026-000044"] });
		expect(result.totalsByCurrency).toEqual({ EUR: { invoices: 3, total: 3000 } });
		expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
		expect(s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
			"invoices/2026-10/INV-2026-000042.pdf",
			"invoices/2026-10/INV-2026-000043.pdf",
			"invoices/2026-10/INV-2026-000044.pdf",
		]);
	});

	it("takes an account whose period guard failed out of the block and numbers the rest again, without a gap", async () => {
		ddbMock.on(GetCommand, { Key: { pk: "SERIES#INV-2026", sk: "SERIES" } }).resolves({ Item: { last: 41 } });
		// ACC-2 was issued its invoice meanwhile: its guard (the second invoice's first item, after the advance and seven items) fails.
		ddbMock
			.on(TransactWriteCommand)
			.rejectsOnce(cancelled([8], 23))
			.resolves({});
		ddbMock
			.on(GetCommand, { Key: { pk: "ACCOUNT#ACC-2", sk: "INVOICE_FOR#2026-10" } })
			.resolves({ Item: { invoiceNumber: "INV-2026-000040" } });
		ddbMock.on(GetCommand, { Key: { pk: "INVOICE#INV-2026-000040", sk: "INVOICE" } }).resolves({
			Item: {
				pk: "INVOICE#INV-2026-000040",
				sk: "INVOICE",
				number: "INV-2026-000040",
				accountId: "ACC-2",
				period: "2026-10",
				currency: "EUR",
				status: "open",
				issueDate: "2026-11-01",
				dueDate: "2026-12-01",
				billTo: { name: "ACC-2", email: "ap@acc-2.example.com", addressLines: [] },
				lines: [{ description: "Plan", quantity: 1, unitAmount: 1000, amount: 1000, taxRatePpm: 0, tax: 0 }],
				subtotal: 1000,
				tax: 0,
				total: 1000,
				amountPaid: 0,
				amountDue: 1000,
				pdfKey: "invoices/2026-10/INV-2026-000040.pdf",
				createdAt: "2026-11-01T00:00:00.000Z",
			},
		});
		const result = await issueInvoicesForBatch(deps, ["ACC-1", "ACC-2", "ACC-3"], period, async () => undefined);
		const calls = ddbMock.commandCalls(TransactWriteCommand).map((c) => written(c.args[0].input));
		expect(calls).toEqual([
			{ numbers: ["INV-2026-000042", "INV-2026-000043", "INV-2026-000044"], advance: { ":next": 44, ":last": 41 } },
			{ numbers: ["INV-2026-000042", "INV-2026-000043"], advance: { ":next": 43, ":last": 41 } },
		]);
		expect(result).toMatchObject({
			issued: 2,
			alreadyIssued: 1,
			invoiceNumbers: ["INV-2026-000042", "INV-2026-000040", "INV-2026-000043"],
			totalsByCurrency: { EUR: { invoices: 3, total: 3000 } },
		});
		// The invoice issued before may have lost its PDF in a crash: only its PDF is looked for first.
		expect(s3Mock.commandCalls(HeadObjectCommand).map((c) => c.args[0].input.Key)).toEqual(["invoices/2026-10/INV-2026-000040.pdf"]);
	});

	it("reads the series again when another finalization moved it on", async () => {
		ddbMock
			.on(GetCommand, { Key: { pk: "SERIES#INV-2026", sk: "SERIES" } })
			.resolvesOnce({ Item: { last: 41 } })
			.resolves({ Item: { last: 45 } });
		ddbMock
			.on(TransactWriteCommand)
			.rejectsOnce(cancelled([0], 20))
			.resolves({});
		const result = await issueInvoicesForBatch(deps, ["ACC-1", "ACC-2", "ACC-3"], period, async () => undefined);
		const calls = ddbMock.commandCalls(TransactWriteCommand).map((c) => written(c.args[0].input));
		expect(calls[1]).toEqual({ numbers: ["INV-2026-000046", "INV-2026-000047", "INV-2026-000048"], advance: { ":next": 48, ":last": 45 } });
		expect(result).toMatchObject({ issued: 3, invoiceNumbers: ["INV-2026-000046", "INV-2026-000047", "INV-2026-000048"] });
	});
});
