import MailComposer, { type MailComposerOptions } from "nodemailer/lib/mail-composer";
import { ConfigError, ValidationError } from "../core/errors.js";
import type { Invoice } from "../core/model.js";
import { formatMoney } from "../core/money.js";
import type { Statement } from "../core/statement.js";
import type { SellerConfig } from "../platform/config.js";
import { isDeliverableEmailAddress } from "./email-address.js";
import { formatBillingPeriod, invoiceMoney, pluralDays, quoteLine } from "./format.js";

/**
 * MIME messages for SES SendRawEmail: the invoice itself and the dunning reminders. Pure:
 * data in, bytes out; nothing is sent here.
 */

export interface ComposedEmail {
	readonly subject: string;
	/** The complete RFC 5322 message, CRLF line ends, ready for SendRawEmail's RawMessage.Data. */
	readonly raw: Uint8Array;
	/** The bare recipient address, for SendRawEmail's Destinations. */
	readonly to: string;
}

export interface InvoiceEmailInput {
	readonly invoice: Invoice;
	readonly seller: SellerConfig;
	readonly pdf: Uint8Array;
	/** An expiring link to the same PDF, for mail clients that strip attachments. */
	readonly download?: DownloadLink;
	/** The account's statement for the invoice's period, sent along as a second attachment. */
	readonly statement?: StatementAttachment | undefined;
	/**
	 * The invoice's e-invoice (DESIGN.md section 13): UBL attached beside the PDF, or a
	 * Factur-X PDF (the CII embedded) sent as `pdf`, which the email then says.
	 */
	readonly einvoice?: { readonly attached: Uint8Array } | { readonly embedded: true } | undefined;
}

/** A link to a document and the last day it works: it expires at the end of that day, UTC. */
export interface DownloadLink {
	readonly url: string;
	/** YYYY-MM-DD (UTC): the email promises the link until 23:59 UTC that day. */
	readonly lastDay: string;
}

export interface StatementAttachment {
	readonly accountId: string;
	readonly period: string;
	readonly pdf: Uint8Array;
}

export interface StatementEmailInput {
	readonly statement: Pick<Statement, "accountId" | "period" | "currency" | "billTo" | "closingBalance" | "statementDate">;
	readonly seller: SellerConfig;
	readonly pdf: Uint8Array;
}

/** The stage names of DUNNING_STAGES' defaults (shared/config.ts); other names get neutral wording. */
export type DunningStage = "reminder" | "second_reminder" | "final_notice" | "collections";

export interface DunningEmailInput {
	readonly invoice: Invoice;
	readonly seller: SellerConfig;
	readonly stage: DunningStage | (string & {});
	readonly daysOverdue: number;
	readonly pdf?: Uint8Array | undefined;
}

export async function composeInvoiceEmail({
	invoice,
	seller,
	pdf,
	download,
	statement,
	einvoice,
}: InvoiceEmailInput): Promise<ComposedEmail> {
	const to = recipientOf(invoice);
	assertSender(seller);
	const due = invoiceMoney(invoice, invoice.amountDue);
	const owes = invoice.amountDue > 0;
	const subject = owes
		? `Invoice ${invoice.number} from ${seller.name} \u2014 ${due} due ${invoice.dueDate}`
		: `Invoice ${invoice.number} from ${seller.name} \u2014 nothing to pay`;

	const intro = `Please find attached invoice ${invoice.number} for the billing period ${formatBillingPeriod(invoice.period)}.`;
	const closing = owes
		? `Please pay ${due} by ${invoice.dueDate}.`
		: "There is nothing to pay on this invoice; it is sent for your records.";
	const body: MessageBody = {
		greeting: greeting(invoice),
		paragraphs: [intro, ...einvoiceNote(invoice, einvoice)],
		facts: invoiceFacts(invoice),
		afterFacts: [
			closing,
			...(statement ? [`Your statement of account for ${formatBillingPeriod(statement.period)} is attached too.`] : []),
		],
		howToPay: owes ? howToPay(invoice, seller) : undefined,
		download: download ? { ...download, label: `Download invoice ${invoice.number} (PDF)` } : undefined,
		signOff: signOff(seller),
	};
	return compose({
		toName: invoice.billTo.name,
		seller,
		to,
		subject,
		body,
		attachments: [
			{ filename: `${attachmentName(invoice.number)}.pdf`, pdf },
			...(einvoice && "attached" in einvoice
				? [{ filename: `${attachmentName(invoice.number)}.xml`, pdf: einvoice.attached, contentType: "application/xml" }]
				: []),
			...(statement ? [{ filename: statementFilename(statement.accountId, statement.period), pdf: statement.pdf }] : []),
		],
		headers: { "X-Invoice-Number": invoice.number },
	});
}

function einvoiceNote(invoice: Invoice, einvoice: InvoiceEmailInput["einvoice"]): string[] {
	if (!einvoice) return [];
	return "attached" in einvoice
		? [`The structured e-invoice (${attachmentName(invoice.number)}.xml) is attached beside the PDF.`]
		: ["The PDF is a Factur-X invoice: its structured e-invoice (factur-x.xml) is embedded in it."];
}

/** The statement on its own, for an account with an open balance but no invoice this period. */
export async function composeStatementEmail({ statement, seller, pdf }: StatementEmailInput): Promise<ComposedEmail> {
	const to = statement.billTo.email;
	if (!isDeliverableEmailAddress(to)) {
		throw new ValidationError(`account ${statement.accountId} has no deliverable email address: ${JSON.stringify(to)}`);
	}
	assertSender(seller);
	const balance = formatMoney({ amount: statement.closingBalance, currency: statement.currency });
	const name = singleLine(statement.billTo.name);
	const body: MessageBody = {
		greeting: name ? `Dear ${name},` : "Dear customer,",
		paragraphs: [`Please find attached your statement of account for ${formatBillingPeriod(statement.period)}.`],
		facts: [
			["Account", statement.accountId],
			["Statement date", statement.statementDate],
			["Balance", balance],
		],
		afterFacts:
			statement.closingBalance > 0
				? ["The statement lists the invoices still open and how long they are overdue."]
				: ["There is nothing to pay; the statement is sent for your records."],
		howToPay: undefined,
		signOff: signOff(seller),
	};
	return compose({
		toName: statement.billTo.name,
		seller,
		to,
		subject: `Statement of account ${formatBillingPeriod(statement.period)} from ${seller.name} \u2014 balance ${balance}`,
		body,
		attachments: [{ filename: statementFilename(statement.accountId, statement.period), pdf }],
		headers: { "X-Statement": `${statement.accountId} ${statement.period}` },
	});
}

interface StageWording {
	readonly subject: string;
	readonly paragraphs: readonly string[];
	readonly afterFacts: readonly string[];
}

function dunningWording(stage: string, invoice: Invoice, seller: SellerConfig, due: string, daysOverdue: number): StageWording {
	const n = invoice.number;
	const overdue = pluralDays(daysOverdue);
	switch (stage) {
		case "reminder":
			return {
				subject: `Payment reminder: invoice ${n} \u2014 ${due} was due ${invoice.dueDate}`,
				paragraphs: [
					`This is a friendly reminder that invoice ${n} was due on ${invoice.dueDate} and is now ${overdue} overdue. The amount due is ${due}.`,
				],
				afterFacts: [
					"If you have already paid, thank you, and please ignore this message. If anything on the invoice is unclear, just reply to this email.",
				],
			};
		case "second_reminder":
			return {
				subject: `Second reminder: invoice ${n} is ${overdue} overdue \u2014 ${due} due`,
				paragraphs: [
					`We have not yet received payment for invoice ${n}, which was due on ${invoice.dueDate} and is now ${overdue} overdue. The amount due is ${due}.`,
				],
				afterFacts: [
					"Please arrange payment as soon as possible. If you have already paid, reply with the payment details so we can match your payment to the invoice.",
				],
			};
		case "final_notice":
			return {
				subject: `Final notice: invoice ${n} is ${overdue} overdue \u2014 ${due} due`,
				paragraphs: [
					`This is our final notice about invoice ${n}. It was due on ${invoice.dueDate} and is now ${overdue} overdue, with ${due} still unpaid.`,
				],
				afterFacts: [
					"Please pay the amount due immediately. If we do not receive payment, your account will be referred to collections.",
					`If you believe this notice is in error, contact us at ${seller.email} right away.`,
				],
			};
		case "collections":
			return {
				subject: `Account referred to collections: invoice ${n} \u2014 ${due} outstanding`,
				paragraphs: [
					`Invoice ${n} was due on ${invoice.dueDate} and is now ${overdue} overdue. Despite our earlier reminders we have not received payment, so your account has been referred to collections.`,
					`The outstanding amount of ${due} remains payable.`,
				],
				afterFacts: [`To settle the account, pay as described below or contact us at ${seller.email}.`],
			};
		default:
			return {
				subject: `Payment overdue: invoice ${n} \u2014 ${due} due`,
				paragraphs: [`Invoice ${n} was due on ${invoice.dueDate} and is now ${overdue} overdue. The amount due is ${due}.`],
				afterFacts: ["Please arrange payment as soon as possible. If you have already paid, thank you."],
			};
	}
}

export async function composeDunningEmail({ invoice, seller, stage, daysOverdue, pdf }: DunningEmailInput): Promise<ComposedEmail> {
	const to = recipientOf(invoice);
	assertSender(seller);
	if (!Number.isInteger(daysOverdue) || daysOverdue < 0) {
		throw new ValidationError(`daysOverdue must be a non-negative integer, got ${daysOverdue}`);
	}
	const due = invoiceMoney(invoice, invoice.amountDue);
	const wording = dunningWording(stage, invoice, seller, due, daysOverdue);
	const facts = invoiceFacts(invoice);
	facts.push(["Days overdue", String(daysOverdue)]);
	const body: MessageBody = {
		greeting: greeting(invoice),
		paragraphs: wording.paragraphs,
		facts,
		afterFacts: [...wording.afterFacts, ...(pdf ? [`A copy of invoice ${invoice.number} is attached.`] : [])],
		howToPay: howToPay(invoice, seller),
		signOff: signOff(seller),
	};
	return compose({
		toName: invoice.billTo.name,
		seller,
		to,
		subject: wording.subject,
		body,
		attachments: pdf ? [{ filename: `${attachmentName(invoice.number)}.pdf`, pdf }] : [],
		headers: { "X-Invoice-Number": invoice.number, "X-Dunning-Stage": stage },
	});
}

interface MessageBody {
	readonly greeting: string;
	readonly paragraphs: readonly string[];
	readonly facts: readonly (readonly [string, string])[];
	readonly afterFacts: readonly string[];
	readonly howToPay: { readonly instructions: string; readonly quote: string } | undefined;
	readonly download?: (DownloadLink & { readonly label: string }) | undefined;
	readonly signOff: readonly string[];
}

async function compose(args: {
	toName: string;
	seller: SellerConfig;
	to: string;
	subject: string;
	body: MessageBody;
	/** `pdf` holds the bytes, of contentType when given (an e-invoice's XML), else a PDF. */
	attachments: readonly { readonly filename: string; readonly pdf: Uint8Array; readonly contentType?: string }[];
	headers: Record<string, string>;
}): Promise<ComposedEmail> {
	const { toName, seller, to, subject, body, attachments, headers } = args;
	const options: MailComposerOptions = {
		from: { name: singleLine(seller.name), address: seller.email },
		to: toName.trim() ? { name: singleLine(toName), address: to } : to,
		subject: singleLine(subject),
		text: renderText(body),
		html: renderHtml(subject, body),
		headers,
		disableFileAccess: true,
		disableUrlAccess: true,
		attachments: attachments.map(({ filename, pdf, contentType }) => ({
			filename,
			content: Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength),
			contentType: contentType ?? "application/pdf",
		})),
	};
	const raw = await new MailComposer(options).compile().build();
	return { subject: singleLine(subject), raw, to };
}

function recipientOf(invoice: Invoice): string {
	const to = invoice.billTo.email;
	if (!isDeliverableEmailAddress(to)) {
		throw new ValidationError(`invoice ${invoice.number} has no deliverable email address: ${JSON.stringify(to)}`);
	}
	return to;
}

function assertSender(seller: SellerConfig): void {
	if (!isDeliverableEmailAddress(seller.email)) {
		throw new ConfigError(`seller email (SENDER_EMAIL) ${JSON.stringify(seller.email)} is not a valid address`);
	}
}

function invoiceFacts(invoice: Invoice): [string, string][] {
	return [
		["Invoice number", invoice.number],
		["Billing period", formatBillingPeriod(invoice.period)],
		["Issue date", invoice.issueDate],
		["Total", invoiceMoney(invoice, invoice.total)],
		["Amount paid", invoiceMoney(invoice, invoice.amountPaid)],
		...(invoice.creditApplied ? ([["Account credit applied", invoiceMoney(invoice, -invoice.creditApplied)]] as [string, string][]) : []),
		...(invoice.credited ? ([["Credit memos", invoiceMoney(invoice, -invoice.credited)]] as [string, string][]) : []),
		["Amount due", invoiceMoney(invoice, invoice.amountDue)],
		["Due date", invoice.dueDate],
	];
}

function greeting(invoice: Invoice): string {
	const name = singleLine(invoice.billTo.name);
	return name ? `Dear ${name},` : "Dear customer,";
}

function howToPay(invoice: Invoice, seller: SellerConfig): MessageBody["howToPay"] {
	return {
		instructions: seller.paymentInstructions,
		quote: quoteLine(invoice),
	};
}

function signOff(seller: SellerConfig): string[] {
	return [
		`If you have any questions, reply to this email or write to ${seller.email}.`,
		"",
		"Kind regards,",
		seller.name,
		...seller.addressLines.filter((line) => line.trim() !== ""),
	];
}

function renderText(body: MessageBody): string {
	const labelWidth = Math.max(...body.facts.map(([label]) => label.length)) + 2;
	const lines: string[] = [body.greeting, ""];
	for (const paragraph of body.paragraphs) lines.push(paragraph, "");
	for (const [label, value] of body.facts) lines.push(`  ${`${label}:`.padEnd(labelWidth)}${value}`);
	lines.push("");
	for (const paragraph of body.afterFacts) lines.push(paragraph, "");
	if (body.howToPay) {
		lines.push("How to pay", "", body.howToPay.instructions, body.howToPay.quote, "");
	}
	if (body.download) {
		lines.push(`${body.download.label}: ${body.download.url}`, `(${linkPromise(body.download)})`, "");
	}
	lines.push(...body.signOff);
	return `${lines.join("\n")}\n`;
}

function renderHtml(title: string, body: MessageBody): string {
	const p = (text: string) => `<p style="margin:0 0 14px">${escapeHtml(text)}</p>`;
	const rows = body.facts
		.map(([label, value]) => {
			const strong = label === "Amount due";
			const cell = strong ? `<strong>${escapeHtml(value)}</strong>` : escapeHtml(value);
			return `<tr><td style="padding:3px 16px 3px 0;color:#555">${escapeHtml(label)}</td><td style="padding:3px 0;text-align:right">${cell}</td></tr>`;
		})
		.join("\n");
	const parts = [
		"<!DOCTYPE html>",
		'<html lang="en"><head><meta charset="utf-8">',
		`<title>${escapeHtml(title)}</title></head>`,
		'<body style="font-family:Helvetica,Arial,sans-serif;font-size:14px;line-height:1.45;color:#222">',
		p(body.greeting),
		...body.paragraphs.map(p),
		`<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">\n${rows}\n</table>`,
		...body.afterFacts.map(p),
	];
	if (body.howToPay) {
		parts.push(
			'<h3 style="font-size:15px;margin:18px 0 8px">How to pay</h3>',
			p(body.howToPay.instructions),
			`<p style="margin:0 0 14px"><strong>${escapeHtml(body.howToPay.quote)}</strong></p>`,
		);
	}
	if (body.download) {
		parts.push(
			`<p style="margin:0 0 14px"><a href="${escapeHtml(body.download.url)}">${escapeHtml(body.download.label)}</a> (${escapeHtml(linkPromise(body.download))})</p>`,
		);
	}
	const [question, , ...closing] = body.signOff;
	if (question) parts.push(p(question));
	parts.push(`<p style="margin:0 0 14px">${closing.map(escapeHtml).join("<br>")}</p>`, "</body></html>");
	return `${parts.join("\n")}\n`;
}

/** What the email promises about the link, in both bodies: until the last minute of its last day, in UTC. */
function linkPromise(download: DownloadLink): string {
	return `the link works until ${download.lastDay} 23:59 UTC`;
}

function escapeHtml(value: string): string {
	return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** Header values must not carry line breaks (header injection). */
function singleLine(value: string): string {
	return value.replace(/[\r\n\t]+/g, " ").trim();
}

/** The attachment is named after the invoice; anything unsafe in a filename becomes "_". */
function attachmentName(number: string): string {
	return number.replace(/[^A-Za-z0-9._-]/g, "_") || "invoice";
}

export function statementFilename(accountId: string, period: string): string {
	return `statement-${attachmentName(accountId)}-${period}.pdf`;
}
