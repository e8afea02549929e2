import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PDFDocument } from "pdf-lib";
import { toCsvText } from "../core/csv.js";
import { TransientError } from "../core/errors.js";
import type { Invoice } from "../core/model.js";
import type { Statement } from "../core/statement.js";
import { statementFilename } from "../documents/invoice-email.js";
import { readObjectBytes } from "../platform/s3-objects.js";
import { RecordsRead } from "../store/batch-reads.js";
import { listQueuedForPrint } from "../store/deliveries.js";
import { keys } from "../store/keys.js";
import type { TableDeps } from "../store/records.js";

export interface PrintBatchDeps extends TableDeps {
	readonly s3: S3Client;
	readonly bucketName: string;
}

export interface PrintBatchResult {
	readonly period: string;
	readonly documents: number;
	readonly sheets: number;
	/** Absent when the period has no postal documents: no empty batch goes to the printer. */
	readonly pdfKey?: string;
	readonly manifestKey?: string;
}

export const printBatchKeys = (period: string) => ({
	pdf: `print/${period}/print-batch.pdf`,
	manifest: `print/${period}/manifest.csv`,
});

interface PrintDocument {
	readonly number: string;
	readonly accountId: string;
	readonly name: string;
	readonly addressLines: readonly string[];
	readonly pdfKey: string;
}

export interface PrintBatchOptions {
	/**
	 * The period's postal invoices delivery queued, now or before (Summarize Invoicing's
	 * `postalInvoices`). The print queue is an index, which lags the delivery records: when it
	 * lists fewer, the step fails with a TransientError and is retried rather than printing a
	 * batch short of a customer's invoice. Absent (a caller without the count), nothing is checked.
	 */
	readonly expectedPostalInvoices?: number;
}

/**
 * The period's postal invoices and statements (those delivery queued for print), each
 * invoice followed by its account's statement, merged into one print-ready PDF, each document starting on a new sheet for duplex printing, plus a
 * manifest CSV a print shop can check the run against. On every run the documents are listed
 * from the print queue, checked against the count delivery reported (`expectedPostalInvoices`),
 * and read in batches (BatchGetItem, consistent); the batch is written in invoice-number order
 * from deterministic PDFs, so a retried step writes the same two objects again and nothing is
 * printed twice.
 */
export async function assemblePrintBatch(deps: PrintBatchDeps, period: string, options: PrintBatchOptions = {}): Promise<PrintBatchResult> {
	// The print queue lists the period's postal documents only: the step's work grows with what is printed, not with the accounts.
	const queued = await listQueuedForPrint(deps, period);
	const invoiceNumbers = queued.filter((k) => k.pk.startsWith("INVOICE#")).map((k) => k.pk.slice("INVOICE#".length));
	const expected = options.expectedPostalInvoices;
	if (expected !== undefined && invoiceNumbers.length < expected) {
		throw new TransientError(
			`the print queue of ${period} lists ${invoiceNumbers.length} postal invoices, ${expected} expected: its index has not caught up with delivery, no print batch written`,
		);
	}
	const statementAccounts = queued
		.filter((k) => k.pk.startsWith(keys.statementPrefix) && k.pk.endsWith(`#${period}`))
		.map((k) => k.pk.slice(keys.statementPrefix.length, -`#${period}`.length));
	const read = await RecordsRead.of(deps, [
		...invoiceNumbers.map(keys.invoice),
		...statementAccounts.map((accountId) => keys.statement(accountId, period)),
	]);
	const postal = invoiceNumbers
		.map((number) => read.invoice(number))
		.filter((invoice): invoice is Invoice => invoice !== undefined)
		.sort((a, b) => a.number.localeCompare(b.number));
	const statements = new Map<string, Statement>();
	for (const accountId of statementAccounts) {
		const statement = read.statement(accountId, period);
		if (statement) statements.set(statement.accountId, statement);
	}
	const statementDocument = (st: Statement): PrintDocument => ({
		number: statementFilename(st.accountId, st.period).replace(/\.pdf$/, ""),
		accountId: st.accountId,
		name: st.billTo.name,
		addressLines: st.billTo.addressLines,
		pdfKey: st.pdfKey,
	});
	// Each invoice is followed by its account's statement, so both go into one envelope.
	const documents: PrintDocument[] = postal.flatMap((invoice) => {
		const statement = statements.get(invoice.accountId);
		const own = { ...invoice, name: invoice.billTo.name, addressLines: invoice.billTo.addressLines };
		return statement ? [own, statementDocument(statement)] : [own];
	});
	const withInvoice = new Set(postal.map((i) => i.accountId));
	for (const [accountId, statement] of [...statements].sort(([a], [b]) => a.localeCompare(b))) {
		if (!withInvoice.has(accountId)) documents.push(statementDocument(statement));
	}
	if (documents.length === 0) return { period, documents: 0, sheets: 0 };

	const merged = await PDFDocument.create({ updateMetadata: false });
	const lastIssue = [...postal.map((i) => i.issueDate), ...[...statements.values()].map((st) => st.statementDate)].reduce(
		(latest, date) => (date > latest ? date : latest),
		`${period}-01`,
	);
	merged.setTitle(`Print batch ${period}`);
	merged.setProducer("pdf-lib");
	merged.setCreationDate(new Date(`${lastIssue}T00:00:00Z`));
	merged.setModificationDate(new Date(`${lastIssue}T00:00:00Z`));
	const rows: (string | number)[][] = [["sequence", "document_number", "account_id", "recipient", "address", "page_count", "first_page"]];
	for (const [index, document] of documents.entries()) {
		const source = await PDFDocument.load(await readObjectBytes(deps.s3, deps.bucketName, document.pdfKey), { updateMetadata: false });
		const firstPage = merged.getPageCount() + 1;
		for (const page of await merged.copyPages(source, source.getPageIndices())) merged.addPage(page);
		// An odd page count gets a blank back, so the next document starts on its own sheet.
		const last = source.getPage(source.getPageCount() - 1);
		if (source.getPageCount() % 2 === 1) merged.addPage([last.getWidth(), last.getHeight()]);
		rows.push([
			index + 1,
			document.number,
			document.accountId,
			document.name,
			document.addressLines.join("; "),
			source.getPageCount(),
			firstPage,
		]);
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
		new PutObjectCommand({ Bucket: deps.bucketName, Key: target.manifest, Body: toCsvText(rows, "\r\n"), ContentType: "text/csv" }),
	);
	return { period, documents: documents.length, sheets: merged.getPageCount() / 2, pdfKey: target.pdf, manifestKey: target.manifest };
}
