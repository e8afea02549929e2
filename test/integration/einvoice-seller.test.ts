import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account } from "../../shared/core/model.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { type DeliveryDeps, deliverInvoice } from "../../shared/delivery/email-delivery.js";
import { einvoiceKey } from "../../shared/einvoicing/issue.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { createClients } from "../../shared/platform/clients.js";
import { documentLinkConfig, type SellerConfig, type SellerEInvoiceDetails, sellerConfig } from "../../shared/platform/config.js";
import { readObjectIfPresent } from "../../shared/platform/s3-objects.js";
import { buildWorklist } from "../../shared/reporting/worklist.js";
import { putAccount } from "../../shared/store/accounts.js";
import { getDelivery } from "../../shared/store/deliveries.js";
import { getEinvoiceRecord } from "../../shared/store/einvoices.js";
import { keys } from "../../shared/store/keys.js";
import { getInvoice } from "../../shared/store/records.js";
import { sentMail, startTestStack } from "../support/embedded.js";

/**
 * What the rules require of the seller's configuration (DESIGN.md section 13): XRechnung the
 * seller's contact telephone (BR-DE-6), Peppol the seller's Peppol participant id (without
 * it the email address stands in, with a scheme Peppol refuses: PEPPOL-EN16931-CL008).
 * Configured without it, the delivery refuses the document like any fatal finding: not
 * emailed, nothing stored, the account on the worklist with the rule id; configured with it,
 * the same invoice goes out. The seller is injected here as the delivery function is given
 * it (its handler reads the configuration once per process).
 */

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: DeliveryDeps;
const november = resolveBillingPeriod({ period: "2026-11", asOf: "2026-12-01" }, new Date("2026-12-01"));

function account(accountId: string, einvoice: Pick<Account, "einvoice" | "vatId" | "peppolId" | "buyerReference" | "country">): Account {
	return {
		accountId,
		name: `Customer ${accountId}`,
		email: `ap+${stack.tag}-${accountId.toLowerCase()}@example.com`,
		currency: "EUR",
		status: "active",
		taxRatePpm: einvoice.country === "BE" ? 210_000 : 0,
		paymentTermsDays: 30,
		paymentTerms: "net_30",
		delivery: "email",
		addressLines: ["1 Marktplatz"],
		city: "Musterstadt",
		postalCode: "12345",
		plan: { code: "team", description: "Team plan", unitAmount: 10_000, quantity: 1 },
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-01-01T00:00:00.000Z",
		...einvoice,
	};
}

/** The configured seller with one e-invoice detail left out. */
function sellerWithout(field: "phone" | "peppolId"): SellerConfig {
	const seller = sellerConfig();
	const details = seller.einvoice as SellerEInvoiceDetails;
	expect(details[field], `the embedded seller configures ${field}`).toBeDefined();
	const rest = Object.fromEntries(Object.entries(details).filter(([name]) => name !== field)) as unknown as SellerEInvoiceDetails;
	return { ...seller, einvoice: rest };
}

async function invoiceMail(number: string) {
	return sentMail((m) => m.destination.to.some((to) => to.includes(stack.tag)) && m.subject.includes(number));
}

beforeAll(async () => {
	stack = await startTestStack("einvoice-seller");
	const { ddb, s3, ses } = createClients();
	deps = {
		ddb,
		s3,
		ses,
		tableName: stack.tableName,
		bucketName: stack.bucketName,
		seller: sellerConfig(),
		documentLinks: documentLinkConfig(),
	};
	// A German public buyer with its Leitweg-ID (reverse charge from the Belgian seller) and a Belgian company on Peppol.
	await putAccount(
		deps,
		account("SELLER-DE", { einvoice: "xrechnung", vatId: "DE123456789", buyerReference: "04011000-1234512345-06", country: "DE" }),
	);
	await putAccount(deps, account("SELLER-BE", { einvoice: "peppol", vatId: "BE0403170701", peppolId: "0208:0403170701", country: "BE" }));
});

afterAll(async () => {
	await stack?.stop();
});

describe("a seller configured without what the profile's rules require", () => {
	it.each([
		{ accountId: "SELLER-DE", profile: "xrechnung", missing: "phone", ruleId: "BR-DE-6" },
		// Without a Peppol id the seller's email is written (scheme EM), which Peppol's scheme list refuses.
		{ accountId: "SELLER-BE", profile: "peppol", missing: "peppolId", ruleId: "PEPPOL-EN16931-CL008" },
	] as const)(
		"$profile without the seller's $missing: refused with $ruleId, on the worklist; configured, the invoice goes out",
		async ({ accountId, profile, missing, ruleId }) => {
			const issued = await issueInvoiceForAccount({ ...deps, actor: "test" }, accountId, november);
			const number = "invoiceNumber" in issued ? (issued.invoiceNumber as string) : "";
			const invoice = await getInvoice(deps, number);
			if (!invoice) throw new Error(`no invoice for ${accountId}`);

			const failures: { accountId: string; reason: string; stage?: string }[] = [];
			const recordFailure = async (failed: string, reason: string, stage?: "deliver" | "einvoice") => {
				failures.push({ accountId: failed, reason, ...(stage ? { stage } : {}) });
			};
			const outcome = await deliverInvoice({ ...deps, seller: sellerWithout(missing) }, number, recordFailure);
			expect(outcome).toBe("einvoice_refused");
			expect(failures).toHaveLength(1);
			expect(failures[0]).toMatchObject({ accountId, stage: "einvoice" });
			expect(failures[0]?.reason).toMatch(
				new RegExp(`invoice ${number} not delivered: its ${profile} e-invoice is refused by the rules: .*${ruleId}: `),
			);
			// Not delivered: no email, no delivery record, no XML beside the PDF.
			expect(await invoiceMail(number)).toEqual([]);
			expect(await getDelivery(deps, keys.delivery(number, "email"))).toBeUndefined();
			expect(await readObjectIfPresent(deps.s3, deps.bucketName, einvoiceKey(invoice.pdfKey))).toBeUndefined();
			const record = await getEinvoiceRecord(deps, "invoice", number);
			expect(record).toMatchObject({ status: "refused", profile, accountId });
			expect(record?.findings.filter((f) => f.severity === "fatal").map((f) => f.ruleId)).toContain(ruleId);

			const onWorklist = (await buildWorklist(deps, "2026-12-01")).filter((i) => i.accountId === accountId);
			expect(onWorklist.map((i) => [i.kind, i.id])).toEqual([["einvoice_refused", `einvoice:${number}`]]);
			expect(onWorklist[0]?.detail).toMatch(new RegExp(`${ruleId}: `));
			expect(onWorklist[0]?.resolve).toMatch(/the seller's SELLER_\* configuration/);

			// The configuration corrected, the same invoice is delivered with its e-invoice and leaves the worklist.
			expect(await deliverInvoice(deps, number, recordFailure)).toBe("emailed");
			expect(failures).toHaveLength(1);
			expect(await readObjectIfPresent(deps.s3, deps.bucketName, einvoiceKey(invoice.pdfKey))).toBeDefined();
			const mail = await invoiceMail(number);
			expect(mail.map((m) => m.attachments.map((a) => a.filename))).toEqual([[`${number}.pdf`, `${number}.xml`]]);
			expect((await buildWorklist(deps, "2026-12-01")).filter((i) => i.accountId === accountId)).toEqual([]);
		},
	);
});
