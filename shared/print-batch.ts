import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { PDFDocument } from "pdf-lib";
import { listInvoicesOfPeriod, type TableDeps } from "./db.js";
import { readObjectBytes } from "./delivery.js";
import { keys } from "./table.js";

export interface PrintBatchDeps extends TableDeps {
	readonly s3: S3Client;
	readonly bucketName: string;
}

export interface PrintBatchResult {
	readonly period: string;
	readonly documents: number;
	readonly sheets: number;
	/** Absent when the period has no postal invoices: no empty batch goes to the printer. */
	readonly pdfKey?: string;
	readonly manifestKey?: string;
}

export const printBatchKeys = (period: string) => ({
	pdf: `print/${period}/print-batch.pdf`,
	manifest: `print/${period}/manifest.csv`,
});

/** RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes. */
function csvField(value: string | number): string {
	const text = String(value);
	return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The period's postal invoices (those delivery queued for print) merged into one
 * print-ready PDF, each document starting on a new sheet for duplex printing, plus a
 * manifest CSV a print shop can check the run against. Rebuilt from the records on every
 * run, in invoice-number order and from deterministic PDFs, so a retried step writes the
 * same two objects again and nothing is printed twice.
 */
export async function assemblePrintBatch(deps: PrintBatchDeps, period: string): Promise<PrintBatchResult> {
	const invoices = (await listInvoicesOfPeriod(deps, period)).sort((a, b) => a.number.localeCompare(b.number));
	const postal = [];
	for (const invoice of invoices) {
		const delivery = await deps.ddb.send(
			new GetCommand({ TableName: deps.tableName, Key: keys.delivery(invoice.number, "postal"), ConsistentRead: true }),
		);
		if (delivery.Item?.status === "queued_for_print") postal.push(invoice);
	}
	if (postal.length === 0) return { period, documents: 0, sheets: 0 };

	const merged = await PDFDocument.create({ updateMetadata: false });
	const lastIssue = postal.reduce((latest, i) => (i.issueDate > latest ? i.issueDate : latest), postal[0]?.issueDate ?? `${period}-01`);
	merged.setTitle(`Print batch ${period}`);
	merged.setProducer("pdf-lib");
	merged.setCreationDate(new Date(`${lastIssue}T00:00:00Z`));
	merged.setModificationDate(new Date(`${lastIssue}T00:00:00Z`));
	const rows = [["sequence", "document_number", "account_id", "recipient", "address", "page_count", "first_page"].join(",")];
	for (const [index, invoice] of postal.entries()) {
		const source = await PDFDocument.load(await readObjectBytes(deps.s3, deps.bucketName, invoice.pdfKey), { updateMetadata: false });
		const firstPage = merged.getPageCount() + 1;
		for (const page of await merged.copyPages(source, source.getPageIndices())) merged.addPage(page);
		// An odd page count gets a blank back, so the next document starts on its own sheet.
		const last = source.getPage(source.getPageCount() - 1);
		if (source.getPageCount() % 2 === 1) merged.addPage([last.getWidth(), last.getHeight()]);
		rows.push(
			[
				index + 1,
				invoice.number,
				invoice.accountId,
				invoice.billTo.name,
				invoice.billTo.addressLines.join("; "),
				source.getPageCount(),
				firstPage,
			]
				.map(csvField)
				.join(","),
		);
	}
	const target = printBatchKeys(period);
	await deps.s3.send(
		new PutObjectCommand({
			Bucket: deps.bucketName,
			Key: target.pdf,
			Body: await merged.save({ useObjectStreams: true }),
			ContentType: "application/pdf",
		}),
	);
	await deps.s3.send(
		new PutObjectCommand({ Bucket: deps.bucketName, Key: target.manifest, Body: `${rows.join("\r\n")}\r\n`, ContentType: "text/csv" }),
	);
	return { period, documents: postal.length, sheets: merged.getPageCount() / 2, pdfKey: target.pdf, manifestKey: target.manifest };
}
