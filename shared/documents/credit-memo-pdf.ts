import type { PDFFont, PDFPage } from "pdf-lib";
import type { CreditMemo } from "../core/model.js";
import { formatMoney } from "../core/money.js";
import type { SellerConfig } from "../platform/config.js";
import {
	BLACK,
	createDocument,
	drawText,
	drawTextRight,
	FOOTER_Y,
	GREY,
	LEFT,
	PAGE_HEIGHT,
	PAGE_SIZE,
	RIGHT,
	replaceUndrawable,
} from "./pdf-layout.js";

/**
 * A credit memo as a one-page A4 PDF in the invoice's fonts: seller, bill-to, memo number
 * and date, the invoice it credits, the reason and where the credit went. Deterministic:
 * its dates come from the memo, never from the clock.
 */

export async function renderCreditMemoPdf(memo: CreditMemo, seller: SellerConfig): Promise<Uint8Array> {
	const { doc, fonts } = await createDocument();
	const { regular, bold } = fonts;
	const clean = (text: string) => replaceUndrawable(text, fonts.charset);
	const issued = new Date(`${memo.issueDate}T00:00:00Z`);
	doc.setTitle(memo.number, { showInWindowTitleBar: true });
	doc.setAuthor(seller.name);
	doc.setSubject(`Credit memo ${memo.number} against invoice ${memo.invoiceNumber}`);
	doc.setProducer("pdf-lib");
	doc.setCreationDate(issued);
	doc.setModificationDate(issued);

	const page: PDFPage = doc.addPage(PAGE_SIZE);
	const text = (value: string, x: number, y: number, font: PDFFont = regular, size = 10) =>
		drawText(page, clean(value), { x, y, size, font, color: BLACK });
	const textRight = (value: string, y: number, font: PDFFont = regular, size = 10) =>
		drawTextRight(page, clean(value), RIGHT, y, font, size);
	const money = (amount: number) => formatMoney({ amount, currency: memo.currency });

	let y = PAGE_HEIGHT - 64;
	text(seller.name, LEFT, y, bold, 16);
	textRight("CREDIT MEMO", y, bold, 22);
	for (const line of [...seller.addressLines, seller.email]) {
		y -= 13;
		text(line, LEFT, y, regular, 9.5);
	}
	let factsY = PAGE_HEIGHT - 96;
	for (const [label, value] of [
		["Credit memo number", memo.number],
		["Date", memo.issueDate],
		["Credits invoice", memo.invoiceNumber],
		["Account", memo.accountId],
	] as const) {
		text(label, 330, factsY, bold, 9.5);
		textRight(value, factsY, regular, 9.5);
		factsY -= 14;
	}

	y = Math.min(y, factsY) - 30;
	text("CREDIT TO", LEFT, y, bold, 9);
	for (const line of [memo.billTo.name, ...memo.billTo.addressLines, memo.billTo.email]) {
		y -= 13;
		text(line, LEFT, y);
	}

	y -= 36;
	text("Reason", LEFT, y, bold, 11);
	y -= 15;
	text(memo.reason, LEFT, y);

	y -= 40;
	const rows: [string, string][] = [
		["Credit amount", money(memo.amount)],
		[`Applied to invoice ${memo.invoiceNumber}`, money(memo.appliedToInvoice)],
		["Added to your account credit", money(memo.addedToAccountCredit)],
	];
	for (const [label, value] of rows) {
		text(label, 300, y, label === "Credit amount" ? bold : regular);
		textRight(value, y, label === "Credit amount" ? bold : regular);
		y -= 16;
	}
	y -= 20;
	const note =
		memo.addedToAccountCredit > 0
			? "Account credit is deducted from your next invoice."
			: `This credit reduces the amount due on invoice ${memo.invoiceNumber}.`;
	text(note, LEFT, y, regular, 9.5);
	drawText(page, clean(`${seller.name} \u00b7 Credit memo ${memo.number}`), { x: LEFT, y: FOOTER_Y, size: 8, font: regular, color: GREY });

	return doc.save({ useObjectStreams: true });
}
