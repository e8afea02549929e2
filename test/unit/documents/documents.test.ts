import { type AddressObject, simpleParser } from "mailparser";
import { PDFParse } from "pdf-parse";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../shared/core/errors.js";
import { type Invoice, invoiceSchema } from "../../../shared/core/model.js";
import { extendLine, taxPerLineHalfUp } from "../../../shared/core/money.js";
import { isDeliverableEmailAddress } from "../../../shared/documents/email-address.js";
import { composeDunningEmail, composeInvoiceEmail } from "../../../shared/documents/invoice-email.js";
import { renderInvoicePdf } from "../../../shared/documents/invoice-pdf.js";
import type { SellerConfig } from "../../../shared/platform/config.js";

const seller: SellerConfig = {
	name: "Example Billing Co.",
	addressLines: ["1 Ledger Lane", "Springfield 01101", "United States"],
	email: "billing@example.com",
	paymentInstructions:
		"Pay by card at pay.example.com or by bank transfer to IBAN GB33 BUKB 2020 1555 5555 55, quoting the invoice number.",
	invoiceSeriesPrefix: "INV",
	defaultPaymentTermsDays: 30,
	sendEventWaitSeconds: 900,
};

interface LineSpec {
	description: string;
	quantity: number;
	unitAmount: number;
	taxRatePpm: number;
}

/** Builds an invoice the way billing does (amounts from lines, tax per line half-up) and checks it against the schema. */
function buildInvoice(options: {
	number: string;
	currency: string;
	lines: LineSpec[];
	amountPaid?: number;
	billTo?: Partial<Invoice["billTo"]>;
	status?: Invoice["status"];
}): Invoice {
	const lines = options.lines.map((spec) => {
		const amount = extendLine(spec.unitAmount, spec.quantity);
		return {
			...spec,
			amount,
			tax: taxPerLineHalfUp(amount, spec.taxRatePpm),
		};
	});
	const subtotal = lines.reduce((acc, line) => acc + line.amount, 0);
	const tax = lines.reduce((acc, line) => acc + line.tax, 0);
	const total = subtotal + tax;
	const amountPaid = options.amountPaid ?? 0;
	return invoiceSchema.parse({
		number: options.number,
		accountId: "acme-001",
		period: "2026-10",
		currency: options.currency,
		status: options.status ?? (amountPaid > 0 ? "partially_paid" : "open"),
		issueDate: "2026-11-01",
		dueDate: "2026-12-01",
		billTo: {
			name: "Acme Widgets Ltd",
			email: "accounts@acme-widgets.example",
			addressLines: ["42 Sprocket Street", "Gearford GF1 2AB", "United Kingdom"],
			...options.billTo,
		},
		lines,
		subtotal,
		tax,
		total,
		amountPaid,
		amountDue: total - amountPaid,
		pdfKey: `invoices/2026-10/${options.number}.pdf`,
		createdAt: "2026-11-01T00:00:00.000Z",
	});
}

const usdInvoice = buildInvoice({
	number: "INV-2026-000123",
	currency: "USD",
	lines: [
		{
			description: "Pro plan, monthly subscription",
			quantity: 1,
			unitAmount: 100_000,
			taxRatePpm: 100000,
		},
		{
			description: "Additional seats",
			quantity: 3,
			unitAmount: 3_500,
			taxRatePpm: 100000,
		},
		{
			description: "API overage (1,727 calls)",
			quantity: 1,
			unitAmount: 1_727,
			taxRatePpm: 100000,
		},
	],
});

const jpyInvoice = buildInvoice({
	number: "INV-2026-000124",
	currency: "JPY",
	lines: [
		{
			description: "Standard plan",
			quantity: 1,
			unitAmount: 10_000,
			taxRatePpm: 100000,
		},
		{
			description: "Storage add-on",
			quantity: 1,
			unitAmount: 909,
			taxRatePpm: 100000,
		},
	],
	amountPaid: 2_000,
});

const kwdInvoice = buildInvoice({
	number: "INV-2026-000125",
	currency: "KWD",
	lines: [
		{
			description: "Support hours",
			quantity: 5,
			unitAmount: 250,
			taxRatePpm: 0,
		},
	],
});

async function pdfText(pdf: Uint8Array): Promise<{ text: string; pages: string[]; info: Record<string, unknown> }> {
	// pdf.js may transfer the buffer it is given, so it gets a copy.
	const parser = new PDFParse({ data: new Uint8Array(pdf) });
	try {
		const result = await parser.getText();
		const { info } = await parser.getInfo();
		return {
			text: result.text,
			pages: result.pages.map((page) => page.text),
			info: info ?? {},
		};
	} finally {
		await parser.destroy();
	}
}

function addresses(value: AddressObject | AddressObject[] | undefined): { name: string; address?: string }[] {
	if (!value) return [];
	return (Array.isArray(value) ? value : [value]).flatMap((object) => object.value);
}

describe("renderInvoicePdf", () => {
	it("shows a USD invoice's parties, lines, totals and payment instructions", async () => {
		expect(usdInvoice.total).toBe(123_450);
		const pdf = await renderInvoicePdf(usdInvoice, seller);
		expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe("%PDF-");
		const { text, pages, info } = await pdfText(pdf);

		expect(pages).toHaveLength(1);
		for (const expected of [
			"Example Billing Co.",
			"1 Ledger Lane",
			"billing@example.com",
			"INVOICE",
			"INV-2026-000123",
			"2026-11-01",
			"2026-12-01",
			"2026-10-01 to 2026-10-31",
			"Acme Widgets Ltd",
			"42 Sprocket Street",
			"accounts@acme-widgets.example",
			"Description",
			"Qty",
			"Unit price",
			"Amount",
			"Pro plan, monthly subscription",
			"Additional seats",
			"API overage (1,727 calls)",
			"USD 1,000.00",
			"USD 35.00",
			"USD 105.00",
			"10%",
			"Subtotal",
			"USD 1,122.27",
			"Tax (10%)",
			"USD 112.23",
			"Total",
			"USD 1,234.50",
			"Amount paid",
			"USD 0.00",
			"Amount due",
			"How to pay",
			"IBAN GB33 BUKB 2020 1555 5555 55",
			"Please quote INV-2026-000123 with your payment.",
			"Page 1 of 1",
		]) {
			expect(text).toContain(expected);
		}
		expect(info.Title).toBe("INV-2026-000123");
		expect(info.Author).toBe("Example Billing Co.");
	});

	it("is deterministic: the same invoice renders to the same bytes", async () => {
		const [first, second] = await Promise.all([renderInvoicePdf(usdInvoice, seller), renderInvoicePdf(usdInvoice, seller)]);
		expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
	});

	it("formats JPY without decimals and shows a partial payment", async () => {
		expect(jpyInvoice.total).toBe(12_000);
		const { text } = await pdfText(await renderInvoicePdf(jpyInvoice, seller));
		for (const expected of [
			"INV-2026-000124",
			"Standard plan",
			"Storage add-on",
			"JPY 12,000",
			"JPY 2,000",
			"JPY 10,000",
			"2026-12-01",
			"Status",
			"Partially paid",
		]) {
			expect(text).toContain(expected);
		}
		expect(text).not.toMatch(/JPY [\d,]+\.\d/);
	});

	it("formats KWD with three decimals", async () => {
		const { text } = await pdfText(await renderInvoicePdf(kwdInvoice, seller));
		for (const expected of ["INV-2026-000125", "Support hours", "KWD 0.250", "KWD 1.250", "0%", "2026-12-01"]) {
			expect(text).toContain(expected);
		}
	});

	it("breaks tax down per rate when lines carry different rates", async () => {
		const mixed = buildInvoice({
			number: "INV-2026-000126",
			currency: "EUR",
			lines: [
				{
					description: "Books",
					quantity: 2,
					unitAmount: 1_000,
					taxRatePpm: 70000,
				},
				{
					description: "Software",
					quantity: 1,
					unitAmount: 10_000,
					taxRatePpm: 190000,
				},
			],
		});
		const { text } = await pdfText(await renderInvoicePdf(mixed, seller));
		expect(text).toContain("Tax 7% on EUR 20.00");
		expect(text).toContain("EUR 1.40");
		expect(text).toContain("Tax 19% on EUR 100.00");
		expect(text).toContain("EUR 19.00");
		expect(text).toContain("EUR 140.40");
	});

	it("flows 60 lines onto further pages, each with the table header and page numbers", async () => {
		const many = buildInvoice({
			number: "INV-2026-000200",
			currency: "USD",
			lines: Array.from({ length: 60 }, (_, i) => ({
				description: `Usage item ${String(i + 1).padStart(2, "0")}`,
				quantity: i + 1,
				unitAmount: 1_250,
				taxRatePpm: 100000,
			})),
		});
		const { text, pages } = await pdfText(await renderInvoicePdf(many, seller));
		expect(pages.length).toBeGreaterThanOrEqual(2);
		pages.forEach((page, index) => {
			for (const header of ["Description", "Qty", "Unit price", "Tax rate", "Amount"]) {
				expect(page).toContain(header);
			}
			expect(page).toContain(`Page ${index + 1} of ${pages.length}`);
		});
		for (let i = 1; i <= 60; i += 1) {
			expect(text).toContain(`Usage item ${String(i).padStart(2, "0")}`);
		}
		const last = pages[pages.length - 1] ?? "";
		expect(last).toContain("Amount due");
		expect(last).toContain(formatUsd(many.amountDue));
		expect(last).toContain("Please quote INV-2026-000200 with your payment.");
	});

	it("truncates very long descriptions and survives characters Helvetica cannot draw", async () => {
		const longText = `Consulting ${"engagement ".repeat(60)}FINAL-WORD`;
		const odd = buildInvoice({
			number: "INV-2026-000201",
			currency: "USD",
			lines: [
				{
					description: longText,
					quantity: 1,
					unitAmount: 5_000,
					taxRatePpm: 0,
				},
				{
					description: "Zürich office \u2014 東京 support\tline",
					quantity: 1,
					unitAmount: 1_000,
					taxRatePpm: 0,
				},
			],
			billTo: { name: "株式会社 Example" },
		});
		const { text, pages } = await pdfText(await renderInvoicePdf(odd, seller));
		expect(pages).toHaveLength(1);
		expect(text).toContain("Consulting engagement");
		expect(text).toContain("\u2026");
		expect(text).not.toContain("FINAL-WORD");
		expect(text).toContain("Zürich office \u2014 ?? support line");
		expect(text).toContain("Example");
		expect(text).toContain("USD 60.00");
	});
});

function formatUsd(amount: number): string {
	const whole = Math.trunc(amount / 100)
		.toString()
		.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
	return `USD ${whole}.${String(amount % 100).padStart(2, "0")}`;
}

describe("composeInvoiceEmail", () => {
	it("builds a message with both bodies and the PDF attached", async () => {
		const pdf = await renderInvoicePdf(usdInvoice, seller);
		const email = await composeInvoiceEmail({
			invoice: usdInvoice,
			seller,
			pdf,
		});
		const expectedSubject = "Invoice INV-2026-000123 from Example Billing Co. \u2014 USD 1,234.50 due 2026-12-01";
		expect(email.subject).toBe(expectedSubject);
		expect(email.to).toBe("accounts@acme-widgets.example");

		const parsed = await simpleParser(Buffer.from(email.raw));
		expect(parsed.subject).toBe(expectedSubject);
		expect(addresses(parsed.from)).toEqual([{ name: "Example Billing Co.", address: "billing@example.com" }]);
		expect(addresses(parsed.to)).toEqual([{ name: "Acme Widgets Ltd", address: "accounts@acme-widgets.example" }]);
		expect(parsed.headers.get("x-invoice-number")).toBe("INV-2026-000123");

		const text = parsed.text ?? "";
		const html = typeof parsed.html === "string" ? parsed.html : "";
		for (const body of [text, html]) {
			for (const expected of [
				"Dear Acme Widgets Ltd,",
				"INV-2026-000123",
				"2026-10-01 to 2026-10-31",
				"USD 1,234.50",
				"2026-12-01",
				"How to pay",
				"IBAN GB33 BUKB 2020 1555 5555 55",
				"Please quote INV-2026-000123 with your payment.",
			]) {
				expect(body).toContain(expected);
			}
		}
		expect(text).toMatch(/Amount due:\s+USD 1,234\.50/);

		expect(parsed.attachments).toHaveLength(1);
		const [attachment] = parsed.attachments;
		expect(attachment?.filename).toBe("INV-2026-000123.pdf");
		expect(attachment?.contentType).toBe("application/pdf");
		expect(attachment && Buffer.from(attachment.content).equals(Buffer.from(pdf))).toBe(true);
	});

	it("links the PDF in both bodies and promises the link until the last minute of its last day, UTC", async () => {
		const url =
			"https://d111111abcdef8.cloudfront.net/invoices/2026-10/INV-2026-000123.pdf?Expires=1797292800&Signature=abc~_-&Key-Pair-Id=K1";
		const email = await composeInvoiceEmail({
			invoice: usdInvoice,
			seller,
			pdf: new Uint8Array([37, 80, 68, 70]),
			download: { url, lastDay: "2026-12-14" },
		});
		const parsed = await simpleParser(Buffer.from(email.raw));
		expect(parsed.text).toContain(`Download invoice INV-2026-000123 (PDF): ${url}\n(the link works until 2026-12-14 23:59 UTC)`);
		expect(parsed.html).toContain(
			`<a href="${url.replace(/&/g, "&amp;")}">Download invoice INV-2026-000123 (PDF)</a> (the link works until 2026-12-14 23:59 UTC)`,
		);
	});

	it("escapes the customer's name in the HTML body", async () => {
		const invoice = {
			...usdInvoice,
			billTo: { ...usdInvoice.billTo, name: "Smith & <Sons>" },
		};
		const email = await composeInvoiceEmail({
			invoice,
			seller,
			pdf: new Uint8Array([37, 80, 68, 70]),
		});
		const parsed = await simpleParser(Buffer.from(email.raw));
		expect(parsed.html).toContain("Dear Smith &amp; &lt;Sons&gt;,");
		expect(parsed.html).not.toContain("<Sons>");
		expect(parsed.text).toContain("Dear Smith & <Sons>,");
	});

	it("refuses an undeliverable recipient before anything is sent", async () => {
		const invoice = {
			...usdInvoice,
			billTo: { ...usdInvoice.billTo, email: "accounts@acme" },
		};
		await expect(composeInvoiceEmail({ invoice, seller, pdf: new Uint8Array() })).rejects.toBeInstanceOf(ValidationError);
	});
});

describe("composeDunningEmail", () => {
	const cases = [
		{
			stage: "reminder",
			daysOverdue: 1,
			subject: "Payment reminder: invoice INV-2026-000123 \u2014 USD 1,234.50 was due 2026-12-01",
			wording: "friendly reminder",
		},
		{
			stage: "second_reminder",
			daysOverdue: 7,
			subject: "Second reminder: invoice INV-2026-000123 is 7 days overdue \u2014 USD 1,234.50 due",
			wording: "not yet received payment",
		},
		{
			stage: "final_notice",
			daysOverdue: 14,
			subject: "Final notice: invoice INV-2026-000123 is 14 days overdue \u2014 USD 1,234.50 due",
			wording: "will be referred to collections",
		},
		{
			stage: "collections",
			daysOverdue: 30,
			subject: "Account referred to collections: invoice INV-2026-000123 \u2014 USD 1,234.50 outstanding",
			wording: "has been referred to collections",
		},
	] as const;

	it.each(cases)("writes the $stage message", async ({ stage, daysOverdue, subject, wording }) => {
		const pdf = await renderInvoicePdf(usdInvoice, seller);
		const email = await composeDunningEmail({
			invoice: usdInvoice,
			seller,
			stage,
			daysOverdue,
			pdf,
		});
		expect(email.subject).toBe(subject);
		expect(email.to).toBe("accounts@acme-widgets.example");

		const parsed = await simpleParser(Buffer.from(email.raw));
		expect(parsed.subject).toBe(subject);
		expect(addresses(parsed.from)[0]?.address).toBe("billing@example.com");
		expect(addresses(parsed.to)[0]?.address).toBe("accounts@acme-widgets.example");
		expect(parsed.headers.get("x-dunning-stage")).toBe(stage);
		const text = parsed.text ?? "";
		const html = typeof parsed.html === "string" ? parsed.html : "";
		for (const body of [text, html]) {
			expect(body).toContain(wording);
			expect(body).toContain("USD 1,234.50");
			expect(body).toContain(`${daysOverdue} ${daysOverdue === 1 ? "day" : "days"} overdue`);
			expect(body).toContain("IBAN GB33 BUKB 2020 1555 5555 55");
			expect(body).toContain("Please quote INV-2026-000123 with your payment.");
		}
		expect(text).toMatch(new RegExp(`Days overdue:\\s+${daysOverdue}\\b`));
		expect(parsed.attachments).toHaveLength(1);
		expect(parsed.attachments[0]?.filename).toBe("INV-2026-000123.pdf");
		expect(Buffer.from(parsed.attachments[0]?.content ?? []).equals(Buffer.from(pdf))).toBe(true);
	});

	it("escalates: only the reminder is friendly, only collections says the account was referred", async () => {
		const subjects = await Promise.all(
			cases.map(async ({ stage, daysOverdue }) => {
				const email = await composeDunningEmail({
					invoice: usdInvoice,
					seller,
					stage,
					daysOverdue,
				});
				return (await simpleParser(Buffer.from(email.raw))).text ?? "";
			}),
		);
		expect(subjects.filter((text) => text.includes("friendly"))).toHaveLength(1);
		expect(subjects.filter((text) => text.includes("has been referred to collections"))).toHaveLength(1);
	});

	it("sends no attachment when no PDF is given", async () => {
		const email = await composeDunningEmail({
			invoice: jpyInvoice,
			seller,
			stage: "reminder",
			daysOverdue: 1,
		});
		const parsed = await simpleParser(Buffer.from(email.raw));
		expect(parsed.attachments).toHaveLength(0);
		expect(parsed.subject).toBe("Payment reminder: invoice INV-2026-000124 \u2014 JPY 10,000 was due 2026-12-01");
		expect(parsed.text).toContain("1 day overdue");
	});
});

describe("isDeliverableEmailAddress", () => {
	it.each([
		"billing@example.com",
		"first.last@example.co.uk",
		"first.last+invoices@sub.example.com",
		"o'brien@example.ie",
		"user_name-1@example-domain.io",
		"UPPER@EXAMPLE.COM",
		"a@b.co",
		"user@xn--80ak6aa92e.com",
		`${"a".repeat(64)}@example.com`,
	])("accepts %s", (address) => {
		expect(isDeliverableEmailAddress(address)).toBe(true);
	});

	it.each([
		["empty", ""],
		["missing @", "billing.example.com"],
		["two @", "billing@@example.com"],
		["@ in local part", "a@b@example.com"],
		["empty local part", "@example.com"],
		["empty domain", "billing@"],
		["no dot in domain", "billing@localhost"],
		["space inside", "bill ing@example.com"],
		["leading space", " billing@example.com"],
		["trailing newline", "billing@example.com\n"],
		["consecutive dots in local part", "first..last@example.com"],
		["consecutive dots in domain", "billing@example..com"],
		["leading dot", ".billing@example.com"],
		["trailing dot in local part", "billing.@example.com"],
		["trailing dot in domain", "billing@example.com."],
		["domain label starts with hyphen", "billing@-example.com"],
		["domain label ends with hyphen", "billing@example-.com"],
		["one-letter TLD", "billing@example.c"],
		["numeric TLD", "billing@example.123"],
		["display name", "Billing <billing@example.com>"],
		["quoted local part", '"billing"@example.com'],
		["IP literal", "billing@[192.0.2.1]"],
		["non-ASCII", "rené@example.com"],
		["comma", "a@example.com,b@example.com"],
		["local part over 64", `${"a".repeat(65)}@example.com`],
		["domain label over 63", `billing@${"a".repeat(64)}.com`],
		["address over 254", `billing@${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.com`],
	])("rejects %s", (_kind, address) => {
		expect(isDeliverableEmailAddress(address)).toBe(false);
	});
});
