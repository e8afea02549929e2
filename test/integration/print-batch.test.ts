import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { PDFDocument } from "pdf-lib";
import { PDFParse } from "pdf-parse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransientError } from "../../shared/core/errors.js";
import type { Account } from "../../shared/core/model.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { deliverInvoicesForBatch } from "../../shared/delivery/email-delivery.js";
import { assemblePrintBatch } from "../../shared/delivery/print-batch.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { createClients } from "../../shared/platform/clients.js";
import { documentLinkConfig, sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { putCharge } from "../../shared/store/charges.js";
import { startTestStack } from "../support/embedded.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: Parameters<typeof issueInvoiceForAccount>[0] & Parameters<typeof deliverInvoicesForBatch>[0];
const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
const numbers: string[] = [];
/** The postal invoices delivery reported queuing (what Summarize Invoicing adds up and hands Assemble Print Batch). */
let postalInvoices = 0;

function account(accountId: string, delivery: Account["delivery"], name: string): Account {
	return {
		accountId,
		name,
		email: `ap+${stack.tag}-${accountId.toLowerCase()}@example.com`,
		currency: "USD",
		status: "active",
		taxRatePpm: 0,
		paymentTermsDays: 30,
		delivery,
		addressLines: ["12 Paper Lane", "Springfield, IL 62701"],
		plan: { code: "p", description: "Plan", unitAmount: 1000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
	};
}

async function printObjects(): Promise<string[]> {
	const out = await deps.s3.send(new ListObjectsV2Command({ Bucket: stack.bucketName, Prefix: "print/" }));
	return (out.Contents ?? []).map((o) => o.Key ?? "");
}

async function object(key: string): Promise<Uint8Array> {
	const out = await deps.s3.send(new GetObjectCommand({ Bucket: stack.bucketName, Key: key }));
	return (await out.Body?.transformToByteArray()) as Uint8Array;
}

beforeAll(async () => {
	stack = await startTestStack("print-batch");
	const { ddb, s3, ses } = createClients();
	deps = {
		ddb,
		s3,
		ses,
		tableName: stack.tableName,
		bucketName: stack.bucketName,
		seller: sellerConfig(),
		documentLinks: documentLinkConfig(),
	};
	await putAccount(deps, account("ACC-P1", "postal", 'Quote "Printing", Inc.'));
	// A name a spreadsheet would run as a formula: the manifest must write it as text.
	await putAccount(deps, account("ACC-P2", "postal", '=HYPERLINK("http://evil","Long Invoice Ltd")'));
	await putAccount(deps, account("ACC-E1", "email", "Email Only Ltd"));
	// Enough lines that ACC-P2's invoice runs over two pages.
	for (let i = 0; i < 60; i++) {
		await putCharge(deps, {
			accountId: "ACC-P2",
			period: "2026-10",
			chargeId: `c${String(i).padStart(2, "0")}`,
			description: `Item ${i}`,
			quantity: 1,
			unitAmount: 100,
		});
	}
	for (const id of ["ACC-P1", "ACC-P2", "ACC-E1"]) {
		const outcome = await issueInvoiceForAccount(deps, id, period);
		if ("invoiceNumber" in outcome) numbers.push(outcome.invoiceNumber);
	}
	({ postalInvoices } = await deliverInvoicesForBatch(deps, numbers, async () => undefined));
});

afterAll(async () => {
	await stack?.stop();
});

describe("postal print batch", () => {
	// Runs first, while the bucket holds no print batch: the queue lags the delivery records on AWS (an index).
	it("assembles nothing and throws a TransientError, so the state retries, when the queue lists fewer postal invoices than delivery queued", async () => {
		expect(postalInvoices).toBe(2);
		const short = assemblePrintBatch(deps, "2026-10", { expectedPostalInvoices: postalInvoices + 1 });
		await expect(short).rejects.toBeInstanceOf(TransientError);
		await expect(short).rejects.toThrow(/lists 2 postal invoices.*3 expected/);
		expect(await printObjects()).toEqual([]);
		// A period whose postal invoice is not listed at all gets no silent empty run either.
		await expect(assemblePrintBatch(deps, "2026-09", { expectedPostalInvoices: 1 })).rejects.toBeInstanceOf(TransientError);
		expect(await printObjects()).toEqual([]);
	});

	it("merges the postal invoices, each on its own sheets, with a manifest of address, number and page count", async () => {
		const result = await assemblePrintBatch(deps, "2026-10", { expectedPostalInvoices: postalInvoices });
		expect(result).toMatchObject({ documents: 2, pdfKey: "print/2026-10/print-batch.pdf", manifestKey: "print/2026-10/manifest.csv" });
		const [p1, p2] = numbers;
		const p1Pages = (await PDFDocument.load(await object(`invoices/2026-10/${p1}.pdf`))).getPageCount();
		const p2Pages = (await PDFDocument.load(await object(`invoices/2026-10/${p2}.pdf`))).getPageCount();
		expect(p1Pages).toBe(1);
		expect(p2Pages).toBeGreaterThan(1);
		const manifest = new TextDecoder().decode(await object("print/2026-10/manifest.csv"));
		expect(manifest.trim().split("\r\n")).toEqual([
			"sequence,document_number,account_id,recipient,address,page_count,first_page",
			`1,${p1},ACC-P1,"Quote ""Printing"", Inc.","12 Paper Lane; Springfield, IL 62701",1,1`,
			`2,${p2},ACC-P2,"'=HYPERLINK(""http://evil"",""Long Invoice Ltd"")","12 Paper Lane; Springfield, IL 62701",${p2Pages},3`,
		]);
		const merged = await object("print/2026-10/print-batch.pdf");
		const sheetsPages = 2 + p2Pages + (p2Pages % 2);
		expect((await PDFDocument.load(merged)).getPageCount()).toBe(sheetsPages);
		expect(result.sheets).toBe(sheetsPages / 2);
		const parser = new PDFParse({ data: merged });
		const { pages } = await parser.getText();
		await parser.destroy();
		expect(pages[0]?.text).toContain(p1);
		expect(pages[1]?.text.trim()).toBe("");
		expect(pages[2]?.text).toContain(p2);
		expect(pages.map((p) => p.text).join()).not.toContain(numbers[2]);
	});

	it("writes the same batch again on a retry", async () => {
		const before = await object("print/2026-10/print-batch.pdf");
		const again = await assemblePrintBatch(deps, "2026-10");
		expect(again.documents).toBe(2);
		expect(Buffer.from(await object("print/2026-10/print-batch.pdf")).equals(Buffer.from(before))).toBe(true);
	});

	it("writes nothing for a period without postal invoices", async () => {
		expect(await assemblePrintBatch(deps, "2026-09")).toEqual({ period: "2026-09", documents: 0, sheets: 0 });
	});
});
