import { type PDFDocument, type PDFFont, rgb } from "pdf-lib";
import type { Invoice } from "../core/model.js";
import type { SellerConfig } from "../platform/config.js";
import { formatBillingPeriod, formatTaxRate, invoiceMoney, quoteLine } from "./format.js";
import { COLUMNS, drawRow, drawTableHeader, measureRow, TABLE_HEADER_HEIGHT, type TableRow } from "./invoice-pdf-table.js";
import { CONTENT_WIDTH, createDocument, drawRule, FOOTER_Y, type Fonts, GREY, LEFT, PageWriter, RIGHT, TOP } from "./pdf-layout.js";

/**
 * Renders an invoice as an A4 PDF. Pure: same invoice and seller in, same bytes out — the
 * creation and modification dates come from the issue date, never from the clock.
 */

/** Content never goes below this line; the footer lives underneath it. */
const BOTTOM = 62;

const DUE_FILL = rgb(0.96, 0.96, 0.9);

const TOTAL_ROW_HEIGHT = 16;
const BODY_SIZE = 10;
const BODY_LINE_HEIGHT = 13.5;

export async function renderInvoicePdf(invoice: Invoice, seller: SellerConfig): Promise<Uint8Array> {
	const { doc, fonts } = await createDocument();

	// Metadata is stored as UTF-16 text, so it keeps characters the fonts cannot draw.
	const issued = dateAtUtcMidnight(invoice.issueDate);
	doc.setTitle(invoice.number, { showInWindowTitleBar: true });
	doc.setAuthor(seller.name);
	doc.setSubject(`Invoice ${invoice.number} to ${invoice.billTo.name} for ${invoice.period}`);
	doc.setKeywords(["invoice", invoice.number, invoice.period, invoice.accountId]);
	doc.setCreator(seller.name);
	doc.setProducer("pdf-lib");
	doc.setLanguage("en");
	doc.setCreationDate(issued);
	doc.setModificationDate(issued);

	const writer = new InvoiceWriter(doc, fonts, invoice, seller);
	writer.drawFirstPageHeader();
	writer.drawTable();
	writer.drawTotals();
	writer.drawHowToPay();
	writer.drawFooters();

	// A classic cross-reference table: the object and cross-reference streams would be compressed, costing more time than their bytes save on a page or two.
	return doc.save({ useObjectStreams: false });
}

class InvoiceWriter extends PageWriter {
	private readonly rows: readonly TableRow[];

	constructor(
		doc: PDFDocument,
		fonts: Fonts,
		private readonly invoice: Invoice,
		private readonly seller: SellerConfig,
	) {
		super(doc, fonts);
		this.rows = this.invoice.lines.map((line) => measureRow(this, line));
	}

	drawFirstPageHeader(): void {
		const { invoice, seller, fonts } = this;
		const leftWidth = 270;

		// Seller, top left.
		let leftY = TOP - 14;
		this.text(seller.name, LEFT, leftY, fonts.bold, 16, leftWidth);
		leftY -= 17;
		for (const line of [...seller.addressLines, seller.email]) {
			if (line.trim() === "") continue;
			this.text(line, LEFT, leftY, fonts.regular, 9.5, leftWidth);
			leftY -= 12.5;
		}

		// Title and invoice facts, top right.
		let rightY = TOP - 20;
		this.text("INVOICE", RIGHT, rightY, fonts.bold, 26, 200, { align: "right" });
		rightY -= 26;
		const facts: [string, string][] = [
			["Invoice number", invoice.number],
			["Issue date", invoice.issueDate],
			["Due date", invoice.dueDate],
			...(invoice.paymentTerms ? ([["Terms", invoice.paymentTerms]] as [string, string][]) : []),
			["Billing period", formatBillingPeriod(invoice.period)],
		];
		if (invoice.status !== "open") facts.push(["Status", statusLabel(invoice.status)]);
		const labelX = 330;
		for (const [label, value] of facts) {
			this.text(label, labelX, rightY, fonts.bold, 9.5, 75);
			this.text(value, RIGHT, rightY, fonts.regular, 9.5, RIGHT - labelX - 80, { align: "right" });
			rightY -= 14;
		}

		// Bill to, below both.
		let y = Math.min(leftY, rightY) - 16;
		this.text("BILL TO", LEFT, y, fonts.bold, 8.5, 200, { color: GREY });
		y -= 15;
		this.text(invoice.billTo.name, LEFT, y, fonts.bold, 11, CONTENT_WIDTH / 2);
		y -= 14;
		for (const line of [...invoice.billTo.addressLines, invoice.billTo.email]) {
			if (line.trim() === "") continue;
			this.text(line, LEFT, y, fonts.regular, BODY_SIZE, CONTENT_WIDTH / 2);
			y -= 13;
		}
		this.y = y - 14;
	}

	drawTable(): void {
		const pagesOfRows = this.paginateRows();
		pagesOfRows.forEach((rows, index) => {
			if (index > 0) this.newPage();
			drawTableHeader(this);
			for (const row of rows) drawRow(this, this.invoice, row);
		});
		if (this.rows.length === 0) {
			this.text("No charges for this period.", COLUMNS.description.x, this.y - 13, this.fonts.regular, 9, 300, { color: GREY });
			this.y -= 20;
		}
	}

	drawTotals(): void {
		const { invoice, fonts } = this;
		this.ensureSpace(this.totalsHeight());
		const labelX = 320;
		const valueRight = COLUMNS.amount.right;
		let y = this.y - 20;
		// The label gets what the value leaves over (at least 70pt), so the two never overlap.
		const row = (label: string, value: string, font: PDFFont, size: number) => {
			const valueWidth = Math.min(valueRight - labelX - 78, font.widthOfTextAtSize(this.clean(value), size));
			this.text(value, valueRight, y, font, size, valueWidth, { align: "right" });
			this.text(label, labelX, y, font, size, valueRight - labelX - valueWidth - 8);
			y -= TOTAL_ROW_HEIGHT;
		};
		row("Subtotal", invoiceMoney(invoice, invoice.subtotal), fonts.regular, BODY_SIZE);
		const rates = this.taxRates();
		if (rates.length === 1 && rates[0] !== undefined) {
			row(`Tax (${formatTaxRate(rates[0].rate)})`, invoiceMoney(invoice, invoice.tax), fonts.regular, BODY_SIZE);
		} else {
			for (const { rate, taxable, tax } of rates) {
				row(`Tax ${formatTaxRate(rate)} on ${invoiceMoney(invoice, taxable)}`, invoiceMoney(invoice, tax), fonts.regular, 9);
			}
			row("Tax", invoiceMoney(invoice, invoice.tax), fonts.regular, BODY_SIZE);
		}
		this.rule(labelX, RIGHT, y + 11);
		row("Total", invoiceMoney(invoice, invoice.total), fonts.bold, BODY_SIZE);
		row("Amount paid", invoiceMoney(invoice, invoice.amountPaid), fonts.regular, BODY_SIZE);
		for (const [label, amount] of this.creditRows()) row(label, invoiceMoney(invoice, -amount), fonts.regular, BODY_SIZE);
		y -= 3;
		this.page.drawRectangle({
			x: labelX - 6,
			y: y - 6,
			width: RIGHT - labelX + 6,
			height: 21,
			color: DUE_FILL,
		});
		row("Amount due", invoiceMoney(invoice, invoice.amountDue), fonts.bold, 11.5);
		if (invoice.taxNote) {
			this.text(invoice.taxNote, labelX, y - 2, fonts.regular, 8.5, RIGHT - labelX, { color: GREY });
			y -= 12;
		}
		this.y = y - 10;
	}

	drawHowToPay(): void {
		const { fonts, seller, invoice } = this;
		const instructions = this.wrap(seller.paymentInstructions, fonts.regular, BODY_SIZE, CONTENT_WIDTH);
		this.ensureSpace(24 + BODY_LINE_HEIGHT * Math.min(2, instructions.length + 1));
		this.y -= 18;
		this.text("How to pay", LEFT, this.y, fonts.bold, 11.5, CONTENT_WIDTH);
		this.y -= 6;
		for (const line of instructions) {
			this.ensureSpace(BODY_LINE_HEIGHT);
			this.y -= BODY_LINE_HEIGHT;
			this.text(line, LEFT, this.y, fonts.regular, BODY_SIZE, CONTENT_WIDTH);
		}
		this.y -= 5;
		for (const line of this.wrap(quoteLine(invoice), fonts.bold, BODY_SIZE, CONTENT_WIDTH)) {
			this.ensureSpace(BODY_LINE_HEIGHT);
			this.y -= BODY_LINE_HEIGHT;
			this.text(line, LEFT, this.y, fonts.bold, BODY_SIZE, CONTENT_WIDTH);
		}
	}

	drawFooters(): void {
		const total = this.pages.length;
		const left = `${this.seller.name} \u00b7 Invoice ${this.invoice.number}`;
		this.pages.forEach((page, index) => {
			drawRule(page, LEFT, RIGHT, FOOTER_Y + 14);
			this.text(left, LEFT, FOOTER_Y, this.fonts.regular, 8, CONTENT_WIDTH - 90, { color: GREY, page });
			this.text(`Page ${index + 1} of ${total}`, RIGHT, FOOTER_Y, this.fonts.regular, 8, 85, { align: "right", color: GREY, page });
		});
	}

	/**
	 * Splits the rows over pages. The totals and "How to pay" stay with at least the last
	 * row, so no page shows totals without the table they add up.
	 */
	private paginateRows(): TableRow[][] {
		const pages: TableRow[][] = [[]];
		let available = this.y - TABLE_HEADER_HEIGHT - BOTTOM;
		const freshPage = TOP - this.continuationHeaderHeight() - TABLE_HEADER_HEIGHT - BOTTOM;
		for (const row of this.rows) {
			const current = pages[pages.length - 1] as TableRow[];
			if (row.height > available && current.length > 0) {
				pages.push([row]);
				available = freshPage - row.height;
			} else {
				current.push(row);
				available -= row.height;
			}
		}
		const tail = this.totalsHeight() + this.howToPayHeight();
		const last = pages[pages.length - 1] as TableRow[];
		const lastRow = last[last.length - 1];
		if (tail > available && lastRow && last.length > 1 && lastRow.height + tail <= freshPage) {
			last.pop();
			pages.push([lastRow]);
		}
		return pages.filter((rows, index) => index === 0 || rows.length > 0);
	}

	private taxRates(): { rate: number; taxable: number; tax: number }[] {
		const byRate = new Map<number, { rate: number; taxable: number; tax: number }>();
		for (const line of this.invoice.lines) {
			const entry = byRate.get(line.taxRatePpm) ?? {
				rate: line.taxRatePpm,
				taxable: 0,
				tax: 0,
			};
			entry.taxable += line.amount;
			entry.tax += line.tax;
			byRate.set(line.taxRatePpm, entry);
		}
		return [...byRate.values()].sort((a, b) => a.rate - b.rate);
	}

	/** Account credit and credit memos that reduced what is due, as their own rows. */
	private creditRows(): [string, number][] {
		const rows: [string, number][] = [];
		if (this.invoice.creditApplied) rows.push(["Account credit applied", this.invoice.creditApplied]);
		if (this.invoice.credited) rows.push(["Credit memos", this.invoice.credited]);
		return rows;
	}

	private totalsHeight(): number {
		const rates = this.taxRates().length;
		const taxRows = rates <= 1 ? 1 : rates + 1;
		const noteHeight = this.invoice.taxNote ? 12 : 0;
		return 20 + (4 + taxRows + this.creditRows().length) * TOTAL_ROW_HEIGHT + 13 + noteHeight;
	}

	private howToPayHeight(): number {
		const instructions = this.wrap(this.seller.paymentInstructions, this.fonts.regular, BODY_SIZE, CONTENT_WIDTH);
		const quote = this.wrap(quoteLine(this.invoice), this.fonts.bold, BODY_SIZE, CONTENT_WIDTH);
		return 29 + (instructions.length + quote.length) * BODY_LINE_HEIGHT;
	}

	private continuationHeaderHeight(): number {
		return 30;
	}

	private newPage(): void {
		this.addPage();
		const baseline = TOP - 10;
		this.text(`Invoice ${this.invoice.number} (continued)`, LEFT, baseline, this.fonts.bold, 10, CONTENT_WIDTH / 2);
		this.text(this.seller.name, RIGHT, baseline, this.fonts.regular, 9, CONTENT_WIDTH / 2 - 10, { align: "right", color: GREY });
		this.y = TOP - this.continuationHeaderHeight();
	}

	private ensureSpace(height: number): void {
		if (this.y - height < BOTTOM) this.newPage();
	}
}

function statusLabel(status: Invoice["status"]): string {
	switch (status) {
		case "paid":
			return "Paid";
		case "partially_paid":
			return "Partially paid";
		case "void":
			return "Void";
		default:
			return "Open";
	}
}

function dateAtUtcMidnight(isoDate: string): Date {
	const date = new Date(`${isoDate}T00:00:00Z`);
	return Number.isNaN(date.getTime()) ? new Date(0) : date;
}
