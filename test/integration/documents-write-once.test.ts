import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Account, Invoice } from "../../shared/core/model.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { renderInvoicePdf } from "../../shared/documents/invoice-pdf.js";
import { issueInvoiceForAccount, storeNewInvoicePdf } from "../../shared/invoicing/invoices.js";
import { createClients } from "../../shared/platform/clients.js";
import { documentRetention, sellerConfig } from "../../shared/platform/config.js";
import { readObjectBytes } from "../../shared/platform/s3-objects.js";
import { putAccount } from "../../shared/store/accounts.js";
import { getInvoice } from "../../shared/store/records.js";
import { startTestStack } from "../support/embedded.js";

/**
 * Issued documents are never rewritten (DESIGN.md section 15), embedded as deployed: every
 * document is put with `If-None-Match: *`, which the embedded S3 server honours as S3 does,
 * and with its Object Lock retention and a checksum, which the embedded server ignores but
 * must not let corrupt the bytes.
 */

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: Parameters<typeof issueInvoiceForAccount>[0];
let invoice: Invoice;
/** The headers of every PutObject the code sent. */
const putHeaders: Record<string, string>[] = [];
const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));

const account = (accountId: string): Account => ({
	accountId,
	name: `Customer ${accountId}`,
	email: `ap+${stack.tag}@example.com`,
	currency: "EUR",
	status: "active",
	taxRatePpm: 190_000,
	paymentTermsDays: 30,
	delivery: "email",
	addressLines: ["Hauptstrasse 1", "10115 Berlin"],
	plan: { code: "team", description: "Team plan", unitAmount: 49_00, quantity: 3 },
	balance: 0,
	creditBalance: 0,
	createdAt: "2026-01-01T00:00:00.000Z",
});

const stored = () => readObjectBytes(deps.s3, deps.bucketName, invoice.pdfKey);

beforeAll(async () => {
	stack = await startTestStack("documents");
	const { ddb, s3 } = createClients();
	s3.middlewareStack.add(
		(next, context) => async (args) => {
			if (context.commandName === "PutObjectCommand") putHeaders.push({ ...(args.request as { headers: Record<string, string> }).headers });
			return next(args);
		},
		{ step: "finalizeRequest", priority: "low", name: "recordPutHeaders" },
	);
	// As the embedded environment configures it (DOCUMENT_RETENTION_YEARS), as the CLI reads it.
	const retention = documentRetention();
	if (!retention) throw new Error("the embedded environment sets DOCUMENT_RETENTION_YEARS");
	deps = { ddb, s3, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig(), documentRetention: retention };
	await putAccount(deps, account("ACC-DOC-1"));
	const outcome = await issueInvoiceForAccount(deps, "ACC-DOC-1", period);
	if (outcome.outcome !== "issued") throw new Error(`expected an issued invoice, got ${outcome.outcome}`);
	invoice = (await getInvoice(deps, outcome.invoiceNumber)) as Invoice;
});

afterAll(async () => {
	await stack?.stop();
});

describe("an issued invoice's PDF", () => {
	it("is sent with its Object Lock retention and a CRC32 checksum, and stored byte for byte as rendered (no aws-chunked framing)", async () => {
		const put = putHeaders.find((h) => h["x-amz-meta-invoice-number"] === invoice.number);
		expect(put).toMatchObject({
			"if-none-match": "*",
			"x-amz-object-lock-mode": "COMPLIANCE",
			// The end of this year plus the configured years (10 unless the environment says otherwise).
			"x-amz-object-lock-retain-until-date": `${new Date().getUTCFullYear() + (deps.documentRetention?.years ?? 0) + 1}-01-01T00:00:00Z`,
			"x-amz-sdk-checksum-algorithm": "CRC32",
			"x-amz-checksum-crc32": expect.any(String),
		});
		expect(put).not.toHaveProperty("content-encoding");
		const rendered = await renderInvoicePdf(invoice, deps.seller);
		expect(Buffer.from(await stored()).equals(Buffer.from(rendered))).toBe(true);
	});

	it("is not rewritten by a second writer with different bytes: it gets an error, and the stored PDF is unchanged", async () => {
		const before = await stored();
		const altered: Invoice = { ...invoice, billTo: { ...invoice.billTo, name: "Somebody Else GmbH" } };
		await expect(storeNewInvoicePdf(deps, altered)).rejects.toMatchObject({ name: "DocumentConflictError" });
		expect(Buffer.from(await stored()).equals(Buffer.from(before))).toBe(true);
	});

	it("accepts the same bytes written again (a retry), leaving the stored PDF as it was", async () => {
		const before = await stored();
		await expect(storeNewInvoicePdf(deps, invoice)).resolves.toBeUndefined();
		expect(Buffer.from(await stored()).equals(Buffer.from(before))).toBe(true);
	});
});

describe("the embedded S3 server", () => {
	it("refuses a PUT with If-None-Match: * on a key that exists with 412 PreconditionFailed, as S3 does", async () => {
		const put = deps.s3.send(
			new PutObjectCommand({
				Bucket: deps.bucketName,
				Key: invoice.pdfKey,
				Body: new TextEncoder().encode("not the invoice"),
				IfNoneMatch: "*",
			}),
		);
		await expect(put).rejects.toMatchObject({ name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } });
		expect(Buffer.from(await stored()).equals(Buffer.from(await renderInvoicePdf(invoice, deps.seller)))).toBe(true);
	});

	it("lets exactly one of several simultaneous conditional PUTs of a new key through", async () => {
		const key = `statements/2026-10/race-${stack.tag}.pdf`;
		const bodies = Array.from({ length: 6 }, (_, i) => new TextEncoder().encode(`writer ${i} `.repeat(20_000)));
		const outcomes = await Promise.allSettled(
			bodies.map((Body) => deps.s3.send(new PutObjectCommand({ Bucket: deps.bucketName, Key: key, Body, IfNoneMatch: "*" }))),
		);
		const winners = outcomes.flatMap((o, i) => (o.status === "fulfilled" ? [i] : []));
		expect(winners).toHaveLength(1);
		for (const o of outcomes) {
			if (o.status === "rejected")
				expect((o.reason as { name?: string }).name).toMatch(/^(PreconditionFailed|ConditionalRequestConflict)$/);
		}
		const winner = bodies[winners[0] as number] as Uint8Array;
		expect(Buffer.from(await readObjectBytes(deps.s3, deps.bucketName, key)).equals(Buffer.from(winner))).toBe(true);
	});
});
