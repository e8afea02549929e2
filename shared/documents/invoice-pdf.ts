import { PDFDocument, type PDFFont, type PDFPage, type RGB, rgb, StandardFonts } from "pdf-lib";
import type { Invoice, InvoiceLine } from "../core/model.js";
import type { SellerConfig } from "../platform/config.js";
import { formatBillingPeriod, formatQuantity, formatTaxRate, invoiceMoney, quoteLine } from "./format.js";

/**
 * Renders an invoice as an A4 PDF with pdf-lib's built-in Helvetica (no font files, so it
 * bundles into a Lambda). Pure: same invoice and seller in, same bytes out — the creation
 * and modification dates come from the issue date, never from the clock.
 */

const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const MARGIN = 50;
const LEFT = MARGIN;
const RIGHT = PAGE_WIDTH - MARGIN;
const CONTENT_WIDTH = RIGHT - LEFT;
const TOP = PAGE_HEIGHT - MARGIN;
/** Content never goes below this line; the footer lives underneath it. */
const BOTTOM = 62;
const FOOTER_Y = 30;

const BLACK = rgb(0, 0, 0);
const GREY = rgb(0.38, 0.38, 0.38);
const RULE = rgb(0.8, 0.8, 0.8);
const HEADER_FILL = rgb(0.92, 0.93, 0.95);
const DUE_FILL = rgb(0.96, 0.96, 0.9);

const TABLE_FONT_SIZE = 9;
const TABLE_LINE_HEIGHT = 11.5;
const TABLE_HEADER_HEIGHT = 18;
const ROW_PADDING = 7;
const MAX_DESCRIPTION_LINES = 3;
const TOTAL_ROW_HEIGHT = 16;
const BODY_SIZE = 10;
const BODY_LINE_HEIGHT = 13.5;
const MIN_FIT_SIZE = 6;
const ELLIPSIS = "\u2026";

/** Right edges (and widths) of the numeric columns; the description takes what is left. */
const COLUMNS = {
	description: { x: LEFT + 4, width: 218 },
	quantity: { right: 315, width: 40 },
	unitPrice: { right: 410, width: 88 },
	taxRate: { right: 453, width: 38 },
	amount: { right: RIGHT - 4, width: 86 },
} as const;

interface Fonts {
	readonly regular: PDFFont;
	readonly bold: PDFFont;
	readonly charset: ReadonlySet<number>;
}

interface TableRow {
	readonly line: InvoiceLine;
	readonly descriptionLines: readonly string[];
	readonly height: number;
}

export async function renderInvoicePdf(invoice: Invoice, seller: SellerConfig): Promise<Uint8Array> {
	const doc = await PDFDocument.create({ updateMetadata: false });
	const regular = await doc.embedFont(StandardFonts.Helvetica);
	const bold = await doc.embedFont(StandardFonts.HelveticaBold);
	const fonts: Fonts = {
		regular,
		bold,
		charset: new Set(regular.getCharacterSet()),
	};

	// Metadata is stored as UTF-16 text, so it keeps characters Helvetica cannot draw.
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

	const writer = new PageWriter(doc, fonts, invoice, seller);
	writer.drawFirstPageHeader();
	writer.drawTable();
	writer.drawTotals();
	writer.drawHowToPay();
	writer.drawFooters();

	return doc.save({ useObjectStreams: true });
}

class PageWriter {
	private page: PDFPage;
	private y: number;
	private readonly pages: PDFPage[] = [];
	private readonly rows: readonly TableRow[];

	constructor(
		private readonly doc: PDFDocument,
		private readonly fonts: Fonts,
		private readonly invoice: Invoice,
		private readonly seller: SellerConfig,
	) {
		this.page = this.doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
		this.pages.push(this.page);
		this.y = TOP;
		this.rows = this.invoice.lines.map((line) => this.tableRow(line));
	}

	drawFirstPageHeader(): void {
		const { invoice, seller, fonts } = this;
		const leftWidth = 270;

		// Seller, top left.
		let leftY = TOP - 14;
		this.textFit(seller.name, LEFT, leftY, fonts.bold, 16, leftWidth);
		leftY -= 17;
		for (const line of [...seller.addressLines, seller.email]) {
			if (line.trim() === "") continue;
			this.textFit(line, LEFT, leftY, fonts.regular, 9.5, leftWidth);
			leftY -= 12.5;
		}

		// Title and invoice facts, top right.
		let rightY = TOP - 20;
		this.textRight("INVOICE", RIGHT, rightY, fonts.bold, 26, 200);
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
			this.textFit(label, labelX, rightY, fonts.bold, 9.5, 75);
			this.textRight(value, RIGHT, rightY, fonts.regular, 9.5, RIGHT - labelX - 80);
			rightY -= 14;
		}

		// Bill to, below both.
		let y = Math.min(leftY, rightY) - 16;
		this.textFit("BILL TO", LEFT, y, fonts.bold, 8.5, 200, GREY);
		y -= 15;
		this.textFit(invoice.billTo.name, LEFT, y, fonts.bold, 11, CONTENT_WIDTH / 2);
		y -= 14;
		for (const line of [...invoice.billTo.addressLines, invoice.billTo.email]) {
			if (line.trim() === "") continue;
			this.textFit(line, LEFT, y, fonts.regular, BODY_SIZE, CONTENT_WIDTH / 2);
			y -= 13;
		}
		this.y = y - 14;
	}

	drawTable(): void {
		const pagesOfRows = this.paginateRows();
		pagesOfRows.forEach((rows, index) => {
			if (index > 0) this.newPage();
			this.drawTableHeader();
			for (const row of rows) this.drawRow(row);
		});
		if (this.rows.length === 0) {
			this.textFit("No charges for this period.", COLUMNS.description.x, this.y - 13, this.fonts.regular, 9, 300, GREY);
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
			this.textRight(value, valueRight, y, font, size, valueWidth);
			this.textFit(label, labelX, y, font, size, valueRight - labelX - valueWidth - 8);
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
			this.textFit(invoice.taxNote, labelX, y - 2, fonts.regular, 8.5, RIGHT - labelX, GREY);
			y -= 12;
		}
		this.y = y - 10;
	}

	drawHowToPay(): void {
		const { fonts, seller, invoice } = this;
		const instructions = this.wrap(seller.paymentInstructions, fonts.regular, BODY_SIZE, CONTENT_WIDTH);
		this.ensureSpace(24 + BODY_LINE_HEIGHT * Math.min(2, instructions.length + 1));
		this.y -= 18;
		this.textFit("How to pay", LEFT, this.y, fonts.bold, 11.5, CONTENT_WIDTH);
		this.y -= 6;
		for (const line of instructions) {
			this.ensureSpace(BODY_LINE_HEIGHT);
			this.y -= BODY_LINE_HEIGHT;
			this.textFit(line, LEFT, this.y, fonts.regular, BODY_SIZE, CONTENT_WIDTH);
		}
		this.y -= 5;
		for (const line of this.wrap(quoteLine(invoice), fonts.bold, BODY_SIZE, CONTENT_WIDTH)) {
			this.ensureSpace(BODY_LINE_HEIGHT);
			this.y -= BODY_LINE_HEIGHT;
			this.textFit(line, LEFT, this.y, fonts.bold, BODY_SIZE, CONTENT_WIDTH);
		}
	}

	drawFooters(): void {
		const total = this.pages.length;
		const left = `${this.seller.name} \u00b7 Invoice ${this.invoice.number}`;
		this.pages.forEach((page, index) => {
			page.drawLine({
				start: { x: LEFT, y: FOOTER_Y + 14 },
				end: { x: RIGHT, y: FOOTER_Y + 14 },
				thickness: 0.5,
				color: RULE,
			});
			this.textFit(left, LEFT, FOOTER_Y, this.fonts.regular, 8, CONTENT_WIDTH - 90, GREY, page);
			this.textRight(`Page ${index + 1} of ${total}`, RIGHT, FOOTER_Y, this.fonts.regular, 8, 85, GREY, page);
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

	private drawTableHeader(): void {
		const { fonts } = this;
		const top = this.y;
		this.page.drawRectangle({
			x: LEFT,
			y: top - TABLE_HEADER_HEIGHT,
			width: CONTENT_WIDTH,
			height: TABLE_HEADER_HEIGHT,
			color: HEADER_FILL,
		});
		const baseline = top - 12.5;
		const size = TABLE_FONT_SIZE;
		this.textFit("Description", COLUMNS.description.x, baseline, fonts.bold, size, COLUMNS.description.width);
		this.textRight("Qty", COLUMNS.quantity.right, baseline, fonts.bold, size, COLUMNS.quantity.width);
		this.textRight("Unit price", COLUMNS.unitPrice.right, baseline, fonts.bold, size, COLUMNS.unitPrice.width);
		this.textRight("Tax rate", COLUMNS.taxRate.right, baseline, fonts.bold, size, COLUMNS.taxRate.width);
		this.textRight("Amount", COLUMNS.amount.right, baseline, fonts.bold, size, COLUMNS.amount.width);
		this.y = top - TABLE_HEADER_HEIGHT;
	}

	private drawRow(row: TableRow): void {
		const { fonts, invoice } = this;
		const size = TABLE_FONT_SIZE;
		const baseline = this.y - 12.5;
		row.descriptionLines.forEach((line, index) => {
			this.page.drawText(line, {
				x: COLUMNS.description.x,
				y: baseline - index * TABLE_LINE_HEIGHT,
				size,
				font: fonts.regular,
				color: BLACK,
			});
		});
		const { line } = row;
		this.textRight(formatQuantity(line.quantity), COLUMNS.quantity.right, baseline, fonts.regular, size, COLUMNS.quantity.width);
		this.textRight(invoiceMoney(invoice, line.unitAmount), COLUMNS.unitPrice.right, baseline, fonts.regular, size, COLUMNS.unitPrice.width);
		this.textRight(formatTaxRate(line.taxRateBasisPoints), COLUMNS.taxRate.right, baseline, fonts.regular, size, COLUMNS.taxRate.width);
		this.textRight(invoiceMoney(invoice, line.amount), COLUMNS.amount.right, baseline, fonts.regular, size, COLUMNS.amount.width);
		this.y -= row.height;
		this.rule(LEFT, RIGHT, this.y);
	}

	private tableRow(line: InvoiceLine): TableRow {
		const wrapped = this.wrap(line.description, this.fonts.regular, TABLE_FONT_SIZE, COLUMNS.description.width);
		let descriptionLines = wrapped.length === 0 ? [""] : wrapped;
		if (descriptionLines.length > MAX_DESCRIPTION_LINES) {
			const kept = descriptionLines.slice(0, MAX_DESCRIPTION_LINES);
			const lastIndex = MAX_DESCRIPTION_LINES - 1;
			kept[lastIndex] = this.truncate(
				`${kept[lastIndex] ?? ""}${ELLIPSIS}`,
				this.fonts.regular,
				TABLE_FONT_SIZE,
				COLUMNS.description.width,
				true,
			);
			descriptionLines = kept;
		}
		const height = 12.5 + (descriptionLines.length - 1) * TABLE_LINE_HEIGHT + ROW_PADDING;
		return { line, descriptionLines, height };
	}

	private taxRates(): { rate: number; taxable: number; tax: number }[] {
		const byRate = new Map<number, { rate: number; taxable: number; tax: number }>();
		for (const line of this.invoice.lines) {
			const entry = byRate.get(line.taxRateBasisPoints) ?? {
				rate: line.taxRateBasisPoints,
				taxable: 0,
				tax: 0,
			};
			entry.taxable += line.amount;
			entry.tax += line.tax;
			byRate.set(line.taxRateBasisPoints, entry);
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
		this.page = this.doc.addPage([PAGE_WIDTH, PAGE_HEIGHT]);
		this.pages.push(this.page);
		const baseline = TOP - 10;
		this.textFit(`Invoice ${this.invoice.number} (continued)`, LEFT, baseline, this.fonts.bold, 10, CONTENT_WIDTH / 2);
		this.textRight(this.seller.name, RIGHT, baseline, this.fonts.regular, 9, CONTENT_WIDTH / 2 - 10, GREY);
		this.y = TOP - this.continuationHeaderHeight();
	}

	private ensureSpace(height: number): void {
		if (this.y - height < BOTTOM) this.newPage();
	}

	private rule(from: number, to: number, y: number): void {
		this.page.drawLine({
			start: { x: from, y },
			end: { x: to, y },
			thickness: 0.5,
			color: RULE,
		});
	}

	/** Draws one line at x, shrinking and then truncating it to fit maxWidth. */
	private textFit(
		value: string,
		x: number,
		y: number,
		font: PDFFont,
		size: number,
		maxWidth: number,
		color: RGB = BLACK,
		page: PDFPage = this.page,
	): void {
		const fitted = this.fit(value, font, size, maxWidth);
		page.drawText(fitted.text, { x, y, size: fitted.size, font, color });
	}

	/** Draws one line ending at the right edge, shrinking and then truncating it to fit maxWidth. */
	private textRight(
		value: string,
		right: number,
		y: number,
		font: PDFFont,
		size: number,
		maxWidth: number,
		color: RGB = BLACK,
		page: PDFPage = this.page,
	): void {
		const fitted = this.fit(value, font, size, maxWidth);
		const width = font.widthOfTextAtSize(fitted.text, fitted.size);
		page.drawText(fitted.text, {
			x: right - width,
			y,
			size: fitted.size,
			font,
			color,
		});
	}

	private clean(value: string): string {
		return toWinAnsi(value, this.fonts.charset);
	}

	private fit(value: string, font: PDFFont, size: number, maxWidth: number): { text: string; size: number } {
		const clean = toWinAnsi(value, this.fonts.charset);
		const width = font.widthOfTextAtSize(clean, size);
		if (width <= maxWidth) return { text: clean, size };
		const shrunk = Math.max(MIN_FIT_SIZE, Math.floor(((size * maxWidth) / width) * 10) / 10);
		if (font.widthOfTextAtSize(clean, shrunk) <= maxWidth) return { text: clean, size: shrunk };
		return { text: this.truncate(clean, font, shrunk, maxWidth), size: shrunk };
	}

	private truncate(value: string, font: PDFFont, size: number, maxWidth: number, endsWithEllipsis = false): string {
		let base = endsWithEllipsis ? value.slice(0, -1) : value;
		const clean = toWinAnsi(base, this.fonts.charset);
		if (!endsWithEllipsis && font.widthOfTextAtSize(clean, size) <= maxWidth) return clean;
		base = clean;
		while (base.length > 0 && font.widthOfTextAtSize(`${base}${ELLIPSIS}`, size) > maxWidth) {
			base = base.slice(0, -1);
		}
		return `${base.trimEnd()}${ELLIPSIS}`;
	}

	/** Greedy word wrap; a word wider than the line is broken between characters. */
	private wrap(value: string, font: PDFFont, size: number, maxWidth: number): string[] {
		const words = toWinAnsi(value, this.fonts.charset).split(" ").filter(Boolean);
		const lines: string[] = [];
		let current = "";
		const fits = (candidate: string) => font.widthOfTextAtSize(candidate, size) <= maxWidth;
		for (const word of words) {
			const candidate = current === "" ? word : `${current} ${word}`;
			if (fits(candidate)) {
				current = candidate;
				continue;
			}
			if (current !== "") lines.push(current);
			current = "";
			let rest = word;
			while (rest.length > 1 && !fits(rest)) {
				let cut = rest.length - 1;
				while (cut > 1 && !fits(rest.slice(0, cut))) cut -= 1;
				lines.push(rest.slice(0, cut));
				rest = rest.slice(cut);
			}
			current = rest;
		}
		if (current !== "") lines.push(current);
		return lines;
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

const REPLACEMENTS: Readonly<Record<string, string>> = {
	"\u2212": "-",
	"\u2010": "-",
	"\u2011": "-",
	"\u2012": "-",
	"\u2009": " ",
	"\u202f": " ",
	"\u2007": " ",
	"\u2192": "->",
	"\u2264": "<=",
	"\u2265": ">=",
};

/**
 * Helvetica as a standard font only encodes WinAnsi; anything else would make pdf-lib
 * throw. Control characters become spaces, accents are dropped where the base letter
 * exists, and what is left unencodable becomes "?".
 */
function toWinAnsi(value: string, charset: ReadonlySet<number>): string {
	let out = "";
	for (const char of value) {
		const code = char.codePointAt(0) ?? 0;
		if (code < 0x20 || code === 0x7f) {
			if (!out.endsWith(" ")) out += " ";
			continue;
		}
		if (charset.has(code)) {
			out += char;
			continue;
		}
		const replacement = REPLACEMENTS[char];
		if (replacement !== undefined) {
			out += replacement;
			continue;
		}
		const stripped = char.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
		const encodable = stripped.length > 0 && [...stripped].every((c) => charset.has(c.codePointAt(0) ?? 0)) ? stripped : "?";
		out += encodable;
	}
	return out;
}
