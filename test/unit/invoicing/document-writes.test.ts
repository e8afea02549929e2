import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
	GetObjectCommand,
	HeadObjectCommand,
	PutObjectCommand,
	type PutObjectCommandInput,
	S3Client,
	S3ServiceException,
} from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { emptyAging } from "../../../shared/core/aging.js";
import { type CreditMemo, creditMemoSchema, type Invoice, invoiceSchema } from "../../../shared/core/model.js";
import { type Statement, statementSchema } from "../../../shared/core/statement.js";
import { renderCreditMemoPdf } from "../../../shared/documents/credit-memo-pdf.js";
import { renderInvoicePdf } from "../../../shared/documents/invoice-pdf.js";
import { renderStatementPdf } from "../../../shared/documents/statement-pdf.js";
import { ensureCreditMemoPdf } from "../../../shared/invoicing/credit-memos.js";
import { ensureInvoicePdf, type InvoicingDeps, storeNewInvoicePdf } from "../../../shared/invoicing/invoices.js";
import { ensureStatementPdf, storeNewStatementPdf } from "../../../shared/invoicing/statements.js";
import { documentRetention, sellerConfig } from "../../../shared/platform/config.js";

/**
 * Every issued document (invoice, credit memo, statement) is put with `If-None-Match: *`, so
 * a second writer gets a conflict, never an overwrite (DESIGN.md section 15).
 */

const s3Mock = mockClient(S3Client);
const seller = sellerConfig({ SENDER_EMAIL: "billing@example.com" });
const deps: InvoicingDeps = {
	ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" })),
	s3: new S3Client({ region: "us-east-1" }),
	tableName: "t",
	bucketName: "documents",
	seller,
};
const billTo = { name: "Acme Widgets Ltd", email: "ap@acme.example", addressLines: ["42 Sprocket Street", "Gearford"] };

const invoice: Invoice = invoiceSchema.parse({
	number: "INV-2026-000123",
	accountId: "acme-001",
	period: "2026-10",
	currency: "EUR",
	status: "open",
	issueDate: "2026-11-01",
	dueDate: "2026-12-01",
	billTo,
	lines: [{ description: "Team plan", quantity: 1, unitAmount: 10_000, amount: 10_000, taxRatePpm: 190_000, tax: 1_900 }],
	subtotal: 10_000,
	tax: 1_900,
	total: 11_900,
	amountPaid: 0,
	amountDue: 11_900,
	pdfKey: "invoices/2026-10/INV-2026-000123.pdf",
	createdAt: "2026-11-01T00:00:00.000Z",
});

const memo: CreditMemo = creditMemoSchema.parse({
	number: "CM-2026-000007",
	invoiceNumber: invoice.number,
	accountId: invoice.accountId,
	currency: "EUR",
	amount: 1_000,
	appliedToInvoice: 1_000,
	addedToAccountCredit: 0,
	reason: "goodwill",
	issueDate: "2026-11-15",
	billTo,
	pdfKey: "credit-memos/2026-11/CM-2026-000007.pdf",
	createdBy: "alice",
	createdAt: "2026-11-15T09:00:00.000Z",
});

const statement: Statement = statementSchema.parse({
	accountId: invoice.accountId,
	period: "2026-10",
	statementDate: "2026-11-01",
	currency: "EUR",
	billTo,
	openingBalance: 0,
	activity: [
		{
			effectiveDate: "2026-11-01",
			recordedAt: "2026-11-01T00:00:01.000Z",
			type: "invoice_issued",
			reference: invoice.number,
			amount: 11_900,
		},
	],
	closingBalance: 11_900,
	aging: { ...emptyAging(), current: 11_900 },
	cutoff: "2026-11-01T00:00:02.000Z",
	pdfKey: "statements/2026-10/acme-001.pdf",
});

/** Each document kind: how the code stores it, and the bytes it renders. */
const kinds = [
	{
		kind: "a new invoice",
		key: invoice.pdfKey,
		store: (d: InvoicingDeps) => storeNewInvoicePdf(d, invoice),
		render: () => renderInvoicePdf(invoice, seller),
	},
	{
		kind: "an invoice unless present",
		key: invoice.pdfKey,
		store: (d: InvoicingDeps) => ensureInvoicePdf(d, invoice),
		render: () => renderInvoicePdf(invoice, seller),
	},
	{
		kind: "a credit memo",
		key: memo.pdfKey,
		store: (d: InvoicingDeps) => ensureCreditMemoPdf(d, memo),
		render: () => renderCreditMemoPdf(memo, seller),
	},
	{
		kind: "a new statement",
		key: statement.pdfKey,
		store: (d: InvoicingDeps) => storeNewStatementPdf(d, statement),
		render: () => renderStatementPdf(statement, seller),
	},
	{
		kind: "a statement unless present",
		key: statement.pdfKey,
		store: (d: InvoicingDeps) => ensureStatementPdf(d, statement),
		render: () => renderStatementPdf(statement, seller),
	},
];

const s3Error = (name: string, httpStatusCode: number) =>
	new S3ServiceException({ name, $fault: "client", $metadata: { httpStatusCode }, message: name });
const bodyOf = (bytes: Uint8Array) => ({ Body: { transformToByteArray: async () => bytes } }) as never;
const puts = () => s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input as PutObjectCommandInput);

beforeEach(() => {
	s3Mock.reset();
	s3Mock.on(HeadObjectCommand).rejects(s3Error("NotFound", 404));
	s3Mock.on(PutObjectCommand).resolves({});
});

describe.each(kinds)("storing $kind", ({ key, store, render }) => {
	it("puts the PDF with If-None-Match: * and a CRC32 checksum, and no retention when none is configured", async () => {
		await store(deps);
		expect(puts()).toHaveLength(1);
		expect(puts()[0]).toMatchObject({
			Bucket: "documents",
			Key: key,
			ContentType: "application/pdf",
			IfNoneMatch: "*",
			ChecksumAlgorithm: "CRC32",
		});
		expect(puts()[0]).not.toHaveProperty("ObjectLockMode");
		expect(puts()[0]).not.toHaveProperty("ObjectLockRetainUntilDate");
		expect(Buffer.from(puts()[0]?.Body as Uint8Array).equals(Buffer.from(await render()))).toBe(true);
	});

	it("throws DocumentConflictError, and writes nothing else, when the key already holds different bytes (412)", async () => {
		s3Mock.on(PutObjectCommand).rejects(s3Error("PreconditionFailed", 412));
		s3Mock.on(GetObjectCommand, { Bucket: "documents", Key: key }).resolves(bodyOf(new TextEncoder().encode("%PDF-1.7 another document")));
		await expect(store(deps)).rejects.toMatchObject({
			name: "DocumentConflictError",
			statusCode: 409,
			message: expect.stringContaining(key),
		});
		expect(puts()).toHaveLength(1);
	});

	it("accepts a 412 when the key already holds these very bytes: the same document written again", async () => {
		s3Mock.on(PutObjectCommand).rejects(s3Error("PreconditionFailed", 412));
		s3Mock.on(GetObjectCommand, { Bucket: "documents", Key: key }).resolves(bodyOf(await render()));
		await expect(store(deps)).resolves.toBeUndefined();
	});

	it("answers a TransientError (retried) while another conditional write of the key is in flight (409)", async () => {
		s3Mock.on(PutObjectCommand).rejects(s3Error("ConditionalRequestConflict", 409));
		await expect(store(deps)).rejects.toMatchObject({ name: "TransientError" });
	});
});

describe.each(kinds)("storing $kind with DOCUMENT_RETENTION_YEARS set", ({ key, store }) => {
	afterEach(() => {
		vi.useRealTimers();
	});

	it("puts it under Object Lock in COMPLIANCE mode until the end of its year plus the configured years", async () => {
		vi.useFakeTimers({ toFake: ["Date"] });
		vi.setSystemTime(new Date("2026-03-10T12:00:00.000Z"));
		await store({ ...deps, documentRetention: documentRetention({ DOCUMENT_RETENTION_YEARS: "8" }) });
		expect(puts()[0]).toMatchObject({
			Key: key,
			IfNoneMatch: "*",
			ChecksumAlgorithm: "CRC32",
			ObjectLockMode: "COMPLIANCE",
			// Kept through the end of 2034: eight years from the end of 2026, the year it was stored.
			ObjectLockRetainUntilDate: new Date("2035-01-01T00:00:00.000Z"),
		});
	});
});

describe("DOCUMENT_RETENTION_YEARS", () => {
	it("is none when unset, and COMPLIANCE for the years given when set", () => {
		expect(documentRetention({})).toBeUndefined();
		expect(documentRetention({ DOCUMENT_RETENTION_YEARS: "" })).toBeUndefined();
		expect(documentRetention({ DOCUMENT_RETENTION_YEARS: "10" })).toEqual({ mode: "COMPLIANCE", years: 10 });
	});

	it.each(["0", "-1", "ten", "8.5", "101"])("refuses %j, naming the variable", (value) => {
		expect(() => documentRetention({ DOCUMENT_RETENTION_YEARS: value })).toThrow(
			expect.objectContaining({ name: "ConfigError", message: expect.stringContaining("DOCUMENT_RETENTION_YEARS") }),
		);
	});
});
