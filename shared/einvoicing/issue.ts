import type { S3Client } from "@aws-sdk/client-s3";
import { BillingError } from "../core/errors.js";
import type { Account, CreditMemo, Invoice } from "../core/model.js";
import type { DocumentRetention, SellerConfig } from "../platform/config.js";
import { readObjectBytes, readObjectIfPresent, storeNewPdf } from "../platform/s3-objects.js";
import { type EinvoiceRecord, getEinvoiceRecord, putEinvoiceRecord } from "../store/einvoices.js";
import type { TableDeps } from "../store/records.js";
import { einvoicePartiesOf } from "./account-parties.js";
import { einvoiceFromCreditMemo, einvoiceFromInvoice } from "./model.js";
import type { EinvoiceProfile, Finding } from "./validate.js";
import { writeEinvoice } from "./write.js";

/**
 * A document's e-invoice as it leaves (DESIGN.md section 13): built from the stored document
 * and the account as it is now, written in the account's profile and validated with the
 * official rules. Valid, it is stored beside the PDF (`<pdf key>.xml`, written once under the
 * PDF's protections) with its warnings on its record; refused, nothing is stored, the record
 * lists the fatal findings and the worklist shows it until a later attempt stores it. For
 * Factur-X the CII is also embedded into the PDF (`<pdf key>.facturx.pdf`, stored the same
 * way), which goes out instead of the plain PDF.
 */

export interface EinvoiceDeps extends TableDeps {
	readonly s3: S3Client;
	readonly bucketName: string;
	readonly seller: SellerConfig;
	readonly documentRetention?: DocumentRetention;
}

/** A finding as the record keeps it (without the rule set that reported it). */
export type EinvoiceFinding = Pick<Finding, "ruleId" | "severity" | "location" | "message">;

export type IssuedEinvoice =
	| {
			readonly status: "stored";
			readonly profile: EinvoiceProfile;
			readonly key: string;
			readonly xml: Uint8Array;
			readonly warnings: readonly EinvoiceFinding[];
			/** Factur-X: the PDF/A-3 with the CII embedded, sent instead of the plain PDF. */
			readonly facturx?: { readonly key: string; readonly pdf: Uint8Array };
	  }
	| { readonly status: "refused"; readonly profile: EinvoiceProfile; readonly findings: readonly EinvoiceFinding[] };

/** The issued document the e-invoice is made of: an invoice, or a credit memo with the invoice it credits. */
export type EinvoiceSource =
	| { readonly document: "invoice"; readonly invoice: Invoice }
	| { readonly document: "credit_memo"; readonly memo: CreditMemo; readonly invoice: Invoice };

/** The XML's key: the PDF's, with .xml. */
export function einvoiceKey(pdfKey: string): string {
	return `${pdfKey.replace(/\.pdf$/, "")}.xml`;
}

/** The Factur-X PDF's key: the PDF's, with .facturx.pdf (the plain PDF, written once, stays as rendered). */
export function facturxKey(pdfKey: string): string {
	return `${pdfKey.replace(/\.pdf$/, "")}.facturx.pdf`;
}

const numberOf = (source: EinvoiceSource) => (source.document === "invoice" ? source.invoice.number : source.memo.number);
const pdfKeyOf = (source: EinvoiceSource) => (source.document === "invoice" ? source.invoice.pdfKey : source.memo.pdfKey);

/** The validator and its compiled rules load on the first e-invoice only, so work that meets none does not pay for them. */
const validator = () => import("./validate.js");

/**
 * The document's e-invoice for an account that needs one (`account.einvoice`; undefined when
 * it needs none): the one stored before (a retry, a resend) as it was sent, else a new one,
 * validated, then stored or refused.
 */
export async function ensureEinvoice(deps: EinvoiceDeps, source: EinvoiceSource, account: Account): Promise<IssuedEinvoice | undefined> {
	const profile = account.einvoice;
	if (!profile) return undefined;
	const number = numberOf(source);
	const key = einvoiceKey(pdfKeyOf(source));
	const stored = await readObjectIfPresent(deps.s3, deps.bucketName, key);
	if (stored) {
		const record = await getEinvoiceRecord(deps, source.document, number);
		if (record?.status === "stored") {
			return {
				status: "stored",
				profile: record.profile,
				key,
				xml: stored,
				warnings: record.findings,
				...(await facturxOf(deps, source, record.profile, stored)),
			};
		}
		// Stored by an attempt that stopped before its record: the findings are read again from the XML.
		const { validateEinvoice } = await validator();
		const result = validateEinvoice(Buffer.from(stored).toString("utf8"), profile);
		const facturx = await facturxOf(deps, source, profile, stored);
		await recordOutcome(deps, source, account, profile, "stored", result.findings, key);
		return { status: "stored", profile, key, xml: stored, warnings: result.findings, ...facturx };
	}
	const issuedTo = source.document === "invoice" ? source.invoice.billTo : source.memo.billTo;
	const parties = einvoicePartiesOf(account, deps.seller, issuedTo);
	if ("problems" in parties) {
		const findings = parties.problems.map((p) => ({ ...p, severity: "fatal" as const, location: "" }));
		await recordOutcome(deps, source, account, profile, "refused", findings);
		return { status: "refused", profile, findings };
	}
	const model =
		source.document === "invoice"
			? einvoiceFromInvoice(source.invoice, parties)
			: einvoiceFromCreditMemo(source.memo, source.invoice, parties);
	const xml = writeEinvoice(model, profile);
	const { validateEinvoice } = await validator();
	const result = validateEinvoice(xml, profile);
	const fatalFirst = [...result.findings].sort((a, b) => Number(b.severity === "fatal") - Number(a.severity === "fatal"));
	if (!result.valid) {
		await recordOutcome(deps, source, account, profile, "refused", fatalFirst);
		return { status: "refused", profile, findings: fatalFirst };
	}
	const bytes = new Uint8Array(Buffer.from(xml, "utf8"));
	await storeNewPdf(deps.s3, deps.bucketName, key, bytes, { ...documentWrite(deps, source, account), contentType: "application/xml" });
	const facturx = await facturxOf(deps, source, profile, bytes);
	await recordOutcome(deps, source, account, profile, "stored", result.findings, key);
	return { status: "stored", profile, key, xml: bytes, warnings: result.findings, ...facturx };
}

/** How the document's e-invoice files are stored: named by number and account, under the PDF's retention. */
function documentWrite(deps: EinvoiceDeps, source: EinvoiceSource, account: Pick<Account, "accountId" | "einvoice">) {
	return {
		metadata: {
			[`${source.document === "invoice" ? "invoice" : "credit-memo"}-number`]: numberOf(source),
			"account-id": account.accountId,
			profile: account.einvoice ?? "none",
		},
		...(deps.documentRetention ? { retention: deps.documentRetention } : {}),
	};
}

/**
 * For Factur-X, the PDF with the CII embedded: the one stored before, else made from the
 * stored plain PDF (the same PDF and CII always give the same bytes) and stored beside it.
 */
async function facturxOf(
	deps: EinvoiceDeps,
	source: EinvoiceSource,
	profile: EinvoiceProfile,
	xml: Uint8Array,
): Promise<{ facturx?: { key: string; pdf: Uint8Array } }> {
	if (profile !== "facturx") return {};
	const pdfKey = pdfKeyOf(source);
	const key = facturxKey(pdfKey);
	const stored = await readObjectIfPresent(deps.s3, deps.bucketName, key);
	if (stored) return { facturx: { key, pdf: stored } };
	const { facturxPdf } = await import("./facturx.js");
	const issueDate = source.document === "invoice" ? source.invoice.issueDate : source.memo.issueDate;
	const pdf = await facturxPdf(await readObjectBytes(deps.s3, deps.bucketName, pdfKey), Buffer.from(xml).toString("utf8"), {
		number: numberOf(source),
		issueDate,
		sellerName: deps.seller.name,
	});
	await storeNewPdf(
		deps.s3,
		deps.bucketName,
		key,
		pdf,
		documentWrite(deps, source, { accountId: source.invoice.accountId, einvoice: profile }),
	);
	return { facturx: { key, pdf } };
}

function recordOutcome(
	deps: EinvoiceDeps,
	source: EinvoiceSource,
	account: Account,
	profile: EinvoiceProfile,
	status: EinvoiceRecord["status"],
	findings: readonly EinvoiceFinding[],
	xmlKey?: string,
): Promise<void> {
	return putEinvoiceRecord(deps, {
		document: source.document,
		number: numberOf(source),
		accountId: account.accountId,
		profile,
		status,
		...(xmlKey ? { xmlKey } : {}),
		findings: findings.map(({ ruleId, severity, location, message }) => ({ ruleId, severity, location, message })),
		findingCount: findings.length,
		at: new Date().toISOString(),
	});
}

/** "BR-DE-6: [BR-DE-6] Das Element … (at /Invoice[1]/…); PEPPOL-…": how a refusal reads in a failure and on the worklist. */
export function describeFindings(findings: readonly EinvoiceFinding[], max = 5): string {
	const fatal = findings.filter((f) => f.severity === "fatal");
	const listed = fatal.slice(0, max).map((f) => `${f.ruleId}: ${f.message}`);
	return `${listed.join("; ")}${fatal.length > max ? `; and ${fatal.length - max} more` : ""}`;
}

/** An e-invoice as stored beside its document, for a person to download. */
export interface StoredEinvoice {
	readonly number: string;
	readonly profile: EinvoiceProfile;
	readonly key: string;
	readonly xml: Uint8Array;
	/** The file name it is attached to the email under: `<number>.xml`. */
	readonly filename: string;
}

/**
 * The stored e-invoice of an invoice or credit memo; a clear 404 when it has none: its
 * account needs none, it was refused (with the rules' reasons), or it is made as the
 * document is delivered and that has not happened yet.
 */
export async function readStoredEinvoice(
	deps: Pick<EinvoiceDeps, "ddb" | "tableName" | "s3" | "bucketName">,
	document: EinvoiceRecord["document"],
	number: string,
): Promise<StoredEinvoice> {
	const what = document === "invoice" ? `invoice ${number}` : `credit memo ${number}`;
	const record = await getEinvoiceRecord(deps, document, number);
	if (!record) {
		throw new BillingError(
			`${what} has no e-invoice: its account needs none (einvoice none), or it is made when the document is delivered, which has not happened yet`,
			404,
		);
	}
	if (record.status === "refused" || !record.xmlKey) {
		throw new BillingError(
			`${what} has no e-invoice: the rules refused its ${record.profile} e-invoice (${describeFindings(record.findings)}); correct the account and send it again`,
			404,
		);
	}
	const xml = await readObjectBytes(deps.s3, deps.bucketName, record.xmlKey);
	return { number, profile: record.profile, key: record.xmlKey, xml, filename: `${number.replace(/[^A-Za-z0-9._-]/g, "_")}.xml` };
}
