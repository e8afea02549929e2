import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Account, Charge } from "../../shared/core/model.js";
import { formatMoney } from "../../shared/core/money.js";
import { addDays } from "../../shared/core/period.js";
import { printBatchKeys } from "../../shared/delivery/print-batch.js";
import { facturxKey } from "../../shared/einvoicing/issue.js";
import type { EinvoiceProfile } from "../../shared/einvoicing/validate.js";
import { createCreditMemo } from "../../shared/invoicing/credit-memos.js";
import { issueStatements } from "../../shared/invoicing/statements.js";
import { documentRetention, sellerConfig } from "../../shared/platform/config.js";
import { readObjectBytes } from "../../shared/platform/s3-objects.js";
import { getEinvoiceRecord } from "../../shared/store/einvoices.js";
import { getInvoice, getInvoiceNumberForPeriod } from "../../shared/store/records.js";
import type { SeedResult } from "./seed.js";

/**
 * Accounts that show the pricing model on top of the random demo accounts: currencies with
 * 0 and 3 decimals, graduated usage, coupons, a tax-exempt customer, a mid-period upgrade
 * a postal-only account, one e-invoice customer per format (Peppol BIS 3, XRechnung,
 * Factur-X) and a tax-exempt one on Peppol; the demo then issues a credit memo against the
 * discounted one and the Peppol one.
 */
const SHOWCASE: readonly { readonly id: string; readonly shows: string }[] = [
	{ id: "SHOW-JPY", shows: "JPY, no minor digits, Japanese consumption tax" },
	{ id: "SHOW-KWD", shows: "KWD, three decimals, 5% tax rounded half-up per line" },
	{ id: "SHOW-TIERED", shows: "graduated usage tiers" },
	{ id: "SHOW-DISCOUNT", shows: "20% coupon for 3 periods and a one-off fixed coupon; credit memo" },
	{ id: "SHOW-EXEMPT", shows: "tax-exempt customer" },
	{ id: "SHOW-UPGRADE", shows: "mid-period upgrade prorated by day" },
	{ id: "SHOW-POSTAL", shows: "postal only, due on receipt" },
	{ id: "SHOW-PEPPOL", shows: "Belgian Peppol BIS 3 e-invoice, 21% VAT; credit memo" },
	{ id: "SHOW-XRECHNUNG", shows: "German XRechnung with a Leitweg-ID, intra-EU reverse charge" },
	{ id: "SHOW-FACTURX", shows: "French Factur-X PDF with the CII embedded" },
	{ id: "SHOW-NONPROFIT", shows: "Belgian tax-exempt non-profit on Peppol, VAT exempt (E)" },
];

/**
 * The e-invoice customers of DESIGN.md section 13, billed by the Belgian seller: one per
 * format, and a tax-exempt one whose e-invoice is VAT category E.
 */
const EINVOICE_ACCOUNTS = ["SHOW-PEPPOL", "SHOW-XRECHNUNG", "SHOW-FACTURX", "SHOW-NONPROFIT"];

export function buildShowcaseData(period: string, options: { emailTag?: string; now?: Date } = {}): SeedResult {
	const createdAt = (options.now ?? new Date()).toISOString();
	const tag = options.emailTag ? `${options.emailTag}-` : "";
	const base = (id: string, name: string, currency: string, city: string): Account => ({
		accountId: id,
		name,
		email: `ap+${tag}${id.toLowerCase()}@showcase.example.com`,
		currency,
		status: "active",
		taxRatePpm: 0,
		paymentTermsDays: 30,
		paymentTerms: "net_30",
		delivery: "email",
		addressLines: ["7 Showcase Road", city],
		balance: 0,
		creditBalance: 0,
		createdAt,
	});
	const seats = (description: string, unitAmount: number, quantity: number) => ({ code: "team", description, unitAmount, quantity });
	const [year, month] = period.split("-").map(Number) as [number, number];
	const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
	const day = (d: number) => `${period}-${String(Math.min(d, lastDay)).padStart(2, "0")}`;
	const accounts: Account[] = [
		{
			...base("SHOW-JPY", "Sakura Trading KK", "JPY", "Tokyo 100-0001, Japan"),
			jurisdiction: "JP",
			plan: seats("Team plan, per seat", 6500, 3),
		},
		{
			...base("SHOW-KWD", "Gulf Logistics WLL", "KWD", "Kuwait City, Kuwait"),
			taxRatePpm: 50000,
			plan: seats("Team plan, per seat", 12_345, 2),
		},
		{
			...base("SHOW-TIERED", "Metered Analytics Inc.", "USD", "Austin TX 78701, United States"),
			jurisdiction: "US-TX",
			paymentTerms: "net_15",
		},
		{
			...base("SHOW-DISCOUNT", "Rabatt GmbH", "EUR", "10115 Berlin, Germany"),
			jurisdiction: "DE",
			plan: seats("Team plan, per seat", 4500, 5),
			discounts: [
				{ kind: "percent", code: "LAUNCH20", description: "Launch offer", basisPoints: 2000, firstPeriod: period, periods: 3 },
				{ kind: "fixed", code: "SORRY10", description: "Service credit", amount: 1000, firstPeriod: period, periods: 1 },
			],
		},
		{
			...base("SHOW-EXEMPT", "City Library Foundation", "USD", "New York NY 10001, United States"),
			jurisdiction: "US-NY",
			taxExempt: true,
			plan: seats("Team plan, per seat", 4900, 4),
		},
		{
			...base("SHOW-UPGRADE", "Growing Pains Ltd", "GBP", "London EC1A 1BB, United Kingdom"),
			jurisdiction: "GB",
			paymentTerms: "net_60",
			subscriptions: [
				{ ...seats("Team plan, per seat", 3900, 3), endDate: day(14) },
				{ code: "business", description: "Business plan, per seat", unitAmount: 7900, quantity: 3, startDate: day(15) },
			],
		},
		{
			...base("SHOW-POSTAL", "Paper Trail & Sons", "USD", "Portland OR 97201, United States"),
			jurisdiction: "US-OR",
			delivery: "postal",
			paymentTerms: "due_on_receipt",
			plan: seats("Team plan, per seat", 4900, 1),
		},
		{
			...base("SHOW-PEPPOL", "Brasserie du Sablon SRL", "EUR", "1000 Bruxelles, Belgium"),
			addressLines: ["Rue de la Régence 58", "1000 Bruxelles", "Belgium"],
			taxRatePpm: 210_000,
			plan: seats("Team plan, per seat", 4500, 6),
			einvoice: "peppol",
			vatId: "BE0403170701",
			peppolId: "0208:0403170701",
			city: "Bruxelles",
			postalCode: "1000",
			country: "BE",
		},
		{
			...base("SHOW-XRECHNUNG", "Stadtwerke Musterstadt", "EUR", "12345 Musterstadt, Germany"),
			addressLines: ["Am Markt 5", "12345 Musterstadt", "Germany"],
			paymentTerms: "net_15",
			plan: seats("Team plan, per seat", 4500, 12),
			einvoice: "xrechnung",
			vatId: "DE123456789",
			buyerReference: "04011000-1234512345-06",
			city: "Musterstadt",
			postalCode: "12345",
			country: "DE",
		},
		{
			...base("SHOW-FACTURX", "Atelier Lumière SARL", "EUR", "75002 Paris, France"),
			addressLines: ["12 rue de la Paix", "75002 Paris", "France"],
			taxRatePpm: 200_000,
			plan: seats("Team plan, per seat", 4500, 3),
			einvoice: "facturx",
			vatId: "FR40303265045",
			city: "Paris",
			postalCode: "75002",
			country: "FR",
		},
		{
			// Tax exempt as SHOW-EXEMPT is: its invoice's tax note is the e-invoice's exemption reason (BT-120).
			...base("SHOW-NONPROFIT", "Les Amis du Livre ASBL", "EUR", "4000 Liège, Belgium"),
			addressLines: ["Rue Féronstrée 86", "4000 Liège", "Belgium"],
			taxExempt: true,
			plan: seats("Team plan, per seat", 4500, 2),
			einvoice: "peppol",
			peppolId: "0208:0410123423",
			city: "Liège",
			postalCode: "4000",
			country: "BE",
		},
	];
	const charges: Charge[] = [
		{
			accountId: "SHOW-TIERED",
			period,
			chargeId: "usage-events",
			description: "Events ingested (thousands)",
			quantity: 2750,
			unitAmount: 0,
			kind: "usage",
			tiers: [{ upTo: 1000, unitAmount: 10 }, { upTo: 2500, unitAmount: 7 }, { unitAmount: 4 }],
		},
		{
			accountId: "SHOW-DISCOUNT",
			period,
			chargeId: "onboarding",
			description: "Onboarding workshop",
			quantity: 1,
			unitAmount: 30_000,
			kind: "one_time",
		},
	];
	return { accounts, charges };
}

export interface ShowcaseSummary {
	readonly invoices: {
		readonly accountId: string;
		readonly shows: string;
		readonly invoice: string;
		readonly total: string;
		readonly due: string;
	}[];
	readonly statements?: { readonly issued: number; readonly example?: string };
	readonly printBatch?: { readonly pdf: string; readonly manifest: string; readonly documents: number };
	readonly creditMemo?: {
		readonly number: string;
		readonly invoice: string;
		readonly amount: string;
		readonly toInvoice: string;
		readonly toCredit: string;
		readonly pdf: string;
	};
	/** Each e-invoice account's documents as they left: the stored e-invoice copied out beside the PDFs, or refused. */
	readonly einvoices?: readonly DemoEinvoice[];
}

export interface DemoEinvoice {
	readonly accountId: string;
	readonly document: "invoice" | "credit_memo";
	readonly number: string;
	readonly profile: EinvoiceProfile;
	readonly status: "stored" | "refused";
	/** Its S3 key: the UBL, or the Factur-X PDF with the CII embedded. */
	readonly key?: string;
	/** The same, copied out for a person to open. */
	readonly file?: string;
	/** Stored: its warnings; refused: its fatal findings. */
	readonly findings: number;
}

/** After the run and the payments: a credit memo of 10% on the discounted account's invoice, and what each showcase account was billed. */
export async function runShowcase(
	deps: { ddb: DynamoDBDocumentClient; s3: S3Client; tableName: string; bucketName: string },
	period: string,
	artifactsDir: string,
): Promise<ShowcaseSummary> {
	const discounted = await getInvoiceNumberForPeriod(deps, "SHOW-DISCOUNT", period);
	let creditMemo: ShowcaseSummary["creditMemo"];
	if (discounted) {
		const invoice = await getInvoice(deps, discounted);
		const amount = Math.floor((invoice?.total ?? 0) / 10);
		if (invoice && amount > 0) {
			const memo = await createCreditMemo(
				{ ...deps, seller: sellerConfig(), documentRetention: documentRetention(), actor: "demo" },
				{ invoiceNumber: discounted, amount, reason: "Onboarding workshop ran half a day short" },
			);
			const pdf = join(artifactsDir, `${memo.number}.pdf`);
			writeFileSync(pdf, await readObjectBytes(deps.s3, deps.bucketName, memo.pdfKey));
			const money = (a: number) => formatMoney({ amount: a, currency: memo.currency });
			creditMemo = {
				number: memo.number,
				invoice: memo.invoiceNumber,
				amount: money(memo.amount),
				toInvoice: money(memo.appliedToInvoice),
				toCredit: money(memo.addedToAccountCredit),
				pdf,
			};
		}
	}
	const einvoices = await issuedEinvoices(deps, period, artifactsDir);
	const invoices: ShowcaseSummary["invoices"] = [];
	for (const { id, shows } of SHOWCASE) {
		const number = await getInvoiceNumberForPeriod(deps, id, period);
		const invoice = number ? await getInvoice(deps, number) : undefined;
		if (!invoice) continue;
		const money = (a: number) => formatMoney({ amount: a, currency: invoice.currency });
		invoices.push({ accountId: id, shows, invoice: invoice.number, total: money(invoice.total), due: money(invoice.amountDue) });
	}
	const statements = await issueStatements(
		{ ...deps, seller: sellerConfig(), documentRetention: documentRetention(), actor: "demo" },
		period,
		addDays(`${period}-01`, 45),
	);
	const example = statements.find((st) => st.accountId === "SHOW-KWD");
	let examplePdf: string | undefined;
	if (example) {
		examplePdf = join(artifactsDir, "..", `statement-${example.accountId}.pdf`);
		writeFileSync(examplePdf, await readObjectBytes(deps.s3, deps.bucketName, example.pdfKey));
	}
	// The run's print batch, copied out so a person can open it.
	const batch = printBatchKeys(period);
	let printBatch: ShowcaseSummary["printBatch"];
	try {
		const pdf = join(artifactsDir, "..", "print-batch.pdf");
		const manifest = join(artifactsDir, "..", "print-manifest.csv");
		writeFileSync(pdf, await readObjectBytes(deps.s3, deps.bucketName, batch.pdf));
		const csv = await readObjectBytes(deps.s3, deps.bucketName, batch.manifest);
		writeFileSync(manifest, csv);
		printBatch = { pdf, manifest, documents: new TextDecoder().decode(csv).trim().split("\r\n").length - 1 };
	} catch (err) {
		if ((err as { name?: string }).name !== "NoSuchKey") throw err;
	}
	return {
		invoices,
		statements: { issued: statements.length, ...(examplePdf ? { example: examplePdf } : {}) },
		...(creditMemo ? { creditMemo } : {}),
		einvoices,
		...(printBatch ? { printBatch } : {}),
	};
}

/**
 * The e-invoice accounts' invoices and a credit memo of 10% on the Peppol one (a UBL
 * CreditNote), each e-invoice copied out beside the PDFs.
 */
async function issuedEinvoices(
	deps: { ddb: DynamoDBDocumentClient; s3: S3Client; tableName: string; bucketName: string },
	period: string,
	artifactsDir: string,
): Promise<DemoEinvoice[]> {
	const documents: { accountId: string; document: "invoice" | "credit_memo"; number: string; pdfKey: string }[] = [];
	for (const accountId of EINVOICE_ACCOUNTS) {
		const number = await getInvoiceNumberForPeriod(deps, accountId, period);
		const invoice = number ? await getInvoice(deps, number) : undefined;
		if (!invoice?.pdfKey) continue;
		documents.push({ accountId, document: "invoice", number: invoice.number, pdfKey: invoice.pdfKey });
		const amount = Math.floor(invoice.total / 10);
		if (accountId === "SHOW-PEPPOL" && amount > 0) {
			const memo = await createCreditMemo(
				{ ...deps, seller: sellerConfig(), documentRetention: documentRetention(), actor: "demo" },
				{ invoiceNumber: invoice.number, amount, reason: "Two seats cancelled in the first week" },
			);
			documents.push({ accountId, document: "credit_memo", number: memo.number, pdfKey: memo.pdfKey });
		}
	}
	const issued: DemoEinvoice[] = [];
	for (const d of documents) {
		const record = await getEinvoiceRecord(deps, d.document, d.number);
		if (!record) continue;
		const base = { accountId: d.accountId, document: d.document, number: d.number, profile: record.profile, status: record.status };
		if (record.status === "refused" || !record.xmlKey) {
			issued.push({ ...base, findings: record.findings.filter((f) => f.severity === "fatal").length });
			continue;
		}
		const key = record.profile === "facturx" ? facturxKey(d.pdfKey) : record.xmlKey;
		const file = join(artifactsDir, key.slice(key.lastIndexOf("/") + 1));
		writeFileSync(file, await readObjectBytes(deps.s3, deps.bucketName, key));
		issued.push({ ...base, key, file, findings: record.findingCount });
	}
	return issued;
}

export function formatShowcase(s: ShowcaseSummary): string[] {
	const lines = ["  pricing showcase:"];
	for (const i of s.invoices) lines.push(`    ${i.accountId.padEnd(14)} ${i.invoice}  total ${i.total}, due ${i.due}  (${i.shows})`);
	if (s.creditMemo) {
		const m = s.creditMemo;
		lines.push(
			`  credit memo:              ${m.number} on ${m.invoice}: ${m.amount} (${m.toInvoice} off the amount due, ${m.toCredit} to account credit)`,
		);
		lines.push(`    PDF:                    ${m.pdf}`);
	}
	if (s.einvoices?.length) {
		lines.push("  e-invoices:");
		for (const e of s.einvoices) {
			const what = `${e.accountId.padEnd(14)} ${e.number}  ${e.profile.padEnd(9)}`;
			lines.push(
				e.status === "stored"
					? `    ${what} s3://.../${e.key}, ${e.findings} warnings (${e.file})`
					: `    ${what} REFUSED by the rules: ${e.findings} fatal findings (npx billing worklist)`,
			);
		}
	}
	if (s.statements) {
		lines.push(`  statements issued:        ${s.statements.issued}${s.statements.example ? ` (e.g. ${s.statements.example})` : ""}`);
	}
	if (s.printBatch) {
		lines.push(`  print batch:              ${s.printBatch.documents} postal documents (invoices and statements) in ${s.printBatch.pdf}`);
		lines.push(`    manifest:               ${s.printBatch.manifest}`);
	}
	return lines;
}
