import type { PDFFont, PDFPage } from "pdf-lib";
import { AGING_BUCKETS } from "../core/aging.js";
import type { LedgerEntry } from "../core/model.js";
import { formatMoney } from "../core/money.js";
import type { Statement } from "../core/statement.js";
import type { SellerConfig } from "../platform/config.js";
import { formatBillingPeriod } from "./format.js";
import {
	CONTENT_WIDTH,
	createDocument,
	drawRule,
	drawText,
	drawTextRight,
	LEFT,
	PAGE_HEIGHT,
	PAGE_SIZE,
	RIGHT,
	replaceUndrawable,
} from "./pdf-layout.js";

/** A statement of account as A4 PDF: opening balance, the period's activity, closing balance and aging. */

const BOTTOM = 70;

/** What the customer reads for each kind of ledger entry: every kind has its words. */
const ENTRY_LABELS: Record<LedgerEntry["type"], string> = {
	invoice_issued: "Invoice",
	payment_applied: "Payment",
	payment_unapplied: "Payment taken back",
	account_credit: "Payment kept as credit",
	credit_applied: "Account credit applied",
	credit_memo: "Credit memo",
	refund: "Refund",
	chargeback: "Chargeback",
	write_off: "Write-off",
	write_off_reversed: "Write-off reversed",
	invoice_voided: "Invoice voided",
};

export async function renderStatementPdf(statement: Statement, seller: SellerConfig): Promise<Uint8Array> {
	const { doc, fonts } = await createDocument();
	const { regular, bold } = fonts;
	const clean = (text: string) => replaceUndrawable(text, fonts.charset);
	const dated = new Date(`${statement.statementDate}T00:00:00Z`);
	doc.setTitle(`Statement ${statement.accountId} ${statement.period}`);
	doc.setAuthor(seller.name);
	doc.setProducer("pdf-lib");
	doc.setCreationDate(dated);
	doc.setModificationDate(dated);
	const money = (amount: number) => formatMoney({ amount, currency: statement.currency });

	let page: PDFPage = doc.addPage(PAGE_SIZE);
	let y = PAGE_HEIGHT - 64;
	const text = (value: string, x: number, font: PDFFont = regular, size = 10) => drawText(page, clean(value), { x, y, size, font });
	const right = (value: string, x: number, font: PDFFont = regular, size = 10) => drawTextRight(page, clean(value), x, y, font, size);
	const nextLine = (height: number) => {
		y -= height;
		if (y < BOTTOM) {
			page = doc.addPage(PAGE_SIZE);
			y = PAGE_HEIGHT - 64;
			text(`Statement ${statement.accountId} ${statement.period} (continued)`, LEFT, bold);
			y -= 24;
		}
	};

	text(seller.name, LEFT, bold, 16);
	right("STATEMENT", RIGHT, bold, 22);
	nextLine(26);
	text(statement.billTo.name, LEFT, bold);
	right(`Account ${statement.accountId}`, RIGHT);
	for (const line of statement.billTo.addressLines) {
		nextLine(13);
		text(line, LEFT);
	}
	nextLine(13);
	right(`Period ${formatBillingPeriod(statement.period)}, statement date ${statement.statementDate}`, RIGHT);

	nextLine(32);
	text("Opening balance", LEFT, bold);
	right(money(statement.openingBalance), RIGHT, bold);
	nextLine(20);
	for (const header of [
		["Date", LEFT],
		["Activity", LEFT + 80],
		["Reference", LEFT + 230],
	] as const)
		text(header[0], header[1], bold, 9);
	right("Amount", RIGHT, bold, 9);
	for (const entry of statement.activity) {
		nextLine(14);
		text(entry.effectiveDate, LEFT, regular, 9);
		text(ENTRY_LABELS[entry.type], LEFT + 80, regular, 9);
		text(entry.reference, LEFT + 230, regular, 9);
		right(money(entry.amount), RIGHT, regular, 9);
	}
	nextLine(22);
	text("Closing balance", LEFT, bold);
	right(money(statement.closingBalance), RIGHT, bold);
	drawRule(page, LEFT, RIGHT, y + 14);

	nextLine(34);
	text("Aging of open invoices (days past due)", LEFT, bold);
	nextLine(16);
	const width = CONTENT_WIDTH / AGING_BUCKETS.length;
	for (const [i, bucket] of AGING_BUCKETS.entries()) right(bucket, LEFT + width * (i + 1), bold, 9);
	nextLine(14);
	for (const [i, bucket] of AGING_BUCKETS.entries()) right(money(statement.aging[bucket]), LEFT + width * (i + 1), regular, 9);
	// A classic cross-reference table: the object and cross-reference streams would be compressed, costing more time than their bytes save on a page or two.
	return doc.save({ useObjectStreams: false });
}
