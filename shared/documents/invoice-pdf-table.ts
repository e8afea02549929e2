import { type PDFFont, rgb } from "pdf-lib";
import type { Invoice, InvoiceLine } from "../core/model.js";
import { formatQuantity, formatTaxRate, invoiceMoney } from "./format.js";
import { BLACK, CONTENT_WIDTH, drawText, LEFT, type PageWriter, RIGHT, truncateLine } from "./pdf-layout.js";

/**
 * The invoice PDF's table of lines: its columns, each row measured (the description wrapped
 * to at most three lines) and drawn, and the header that starts it on every page.
 */

export const TABLE_HEADER_HEIGHT = 18;
const TABLE_FONT_SIZE = 9;
const TABLE_LINE_HEIGHT = 11.5;
const ROW_PADDING = 7;
const MAX_DESCRIPTION_LINES = 3;
const HEADER_FILL = rgb(0.92, 0.93, 0.95);

/** Right edges (and widths) of the numeric columns; the description takes what is left. */
export const COLUMNS = {
	description: { x: LEFT + 4, width: 218 },
	quantity: { right: 315, width: 40 },
	unitPrice: { right: 410, width: 88 },
	taxRate: { right: 453, width: 38 },
	amount: { right: RIGHT - 4, width: 86 },
} as const;

export interface TableRow {
	readonly line: InvoiceLine;
	readonly descriptionLines: readonly string[];
	readonly height: number;
}

export function measureRow(writer: PageWriter, line: InvoiceLine): TableRow {
	const wrapped = writer.wrap(line.description, writer.fonts.regular, TABLE_FONT_SIZE, COLUMNS.description.width);
	let descriptionLines = wrapped.length === 0 ? [""] : wrapped;
	if (descriptionLines.length > MAX_DESCRIPTION_LINES) {
		const kept = descriptionLines.slice(0, MAX_DESCRIPTION_LINES);
		const lastIndex = MAX_DESCRIPTION_LINES - 1;
		kept[lastIndex] = truncateLine(kept[lastIndex] ?? "", writer.fonts.regular, TABLE_FONT_SIZE, COLUMNS.description.width);
		descriptionLines = kept;
	}
	const height = 12.5 + (descriptionLines.length - 1) * TABLE_LINE_HEIGHT + ROW_PADDING;
	return { line, descriptionLines, height };
}

export function drawTableHeader(writer: PageWriter): void {
	const { fonts } = writer;
	const top = writer.y;
	writer.page.drawRectangle({
		x: LEFT,
		y: top - TABLE_HEADER_HEIGHT,
		width: CONTENT_WIDTH,
		height: TABLE_HEADER_HEIGHT,
		color: HEADER_FILL,
	});
	const baseline = top - 12.5;
	writer.text("Description", COLUMNS.description.x, baseline, fonts.bold, TABLE_FONT_SIZE, COLUMNS.description.width);
	numberCell(writer, "Qty", COLUMNS.quantity, baseline, fonts.bold);
	numberCell(writer, "Unit price", COLUMNS.unitPrice, baseline, fonts.bold);
	numberCell(writer, "Tax rate", COLUMNS.taxRate, baseline, fonts.bold);
	numberCell(writer, "Amount", COLUMNS.amount, baseline, fonts.bold);
	writer.y = top - TABLE_HEADER_HEIGHT;
}

export function drawRow(writer: PageWriter, invoice: Invoice, row: TableRow): void {
	const { fonts } = writer;
	const baseline = writer.y - 12.5;
	row.descriptionLines.forEach((line, index) => {
		drawText(writer.page, line, {
			x: COLUMNS.description.x,
			y: baseline - index * TABLE_LINE_HEIGHT,
			size: TABLE_FONT_SIZE,
			font: fonts.regular,
			color: BLACK,
		});
	});
	const { line } = row;
	numberCell(writer, formatQuantity(line.quantity), COLUMNS.quantity, baseline, fonts.regular);
	numberCell(writer, invoiceMoney(invoice, line.unitAmount), COLUMNS.unitPrice, baseline, fonts.regular);
	numberCell(writer, formatTaxRate(line.taxRatePpm), COLUMNS.taxRate, baseline, fonts.regular);
	numberCell(writer, invoiceMoney(invoice, line.amount), COLUMNS.amount, baseline, fonts.regular);
	writer.y -= row.height;
	writer.rule(LEFT, RIGHT, writer.y);
}

/** A right-aligned figure or heading in one of the numeric columns. */
function numberCell(writer: PageWriter, value: string, column: { right: number; width: number }, baseline: number, font: PDFFont): void {
	writer.text(value, column.right, baseline, font, TABLE_FONT_SIZE, column.width, { align: "right" });
}
