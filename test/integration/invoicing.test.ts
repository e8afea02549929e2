import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { deliverInvoicesForBatch } from "../../shared/delivery/email-delivery.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { createClients } from "../../shared/platform/clients.js";
import { documentLinkConfig, sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { keys } from "../../shared/store/keys.js";
import { getAccount, listInvoicesOfPeriod } from "../../shared/store/records.js";
import { sentMail, startTestStack } from "../support/embedded.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: Parameters<typeof issueInvoiceForAccount>[0] & Parameters<typeof deliverInvoicesForBatch>[0];
const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
const ACCOUNTS = 100;
const accountIds = Array.from({ length: ACCOUNTS }, (_, i) => `ACC-C${String(i + 1).padStart(3, "0")}`);

beforeAll(async () => {
	stack = await startTestStack("invoicing");
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
	await Promise.all(
		accountIds.map((accountId, i) =>
			putAccount(deps, {
				accountId,
				name: `Concurrent ${i}`,
				email: `ap+${stack.tag}-${accountId.toLowerCase()}@example.com`,
				currency: "KWD",
				status: "active",
				taxRatePpm: 50000,
				paymentTermsDays: 15,
				delivery: "email",
				addressLines: ["Kuwait City"],
				plan: { code: "p", description: "Plan", unitAmount: 12_345 + i, quantity: 1 },
				balance: 0,
				creditBalance: 0,
				createdAt: new Date().toISOString(),
			}),
		),
	);
});

afterAll(async () => {
	await stack?.stop();
});

describe("invoice finalization under concurrency", () => {
	it("gives 100 simultaneous finalizations 100 consecutive, unique numbers", async () => {
		const outcomes = await Promise.all(accountIds.map((id) => issueInvoiceForAccount(deps, id, period)));
		expect(outcomes.every((o) => o.outcome === "issued")).toBe(true);
		const numbers = outcomes.map((o) => ("invoiceNumber" in o ? o.invoiceNumber : "")).sort();
		expect(numbers).toEqual(accountIds.map((_, i) => `INV-2026-${String(i + 1).padStart(6, "0")}`));
		const series = await deps.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.invoiceSeries("INV-2026") }));
		expect(series.Item?.last).toBe(ACCOUNTS);
	});

	it("a repeated finalization, even concurrent, issues nothing new", async () => {
		const outcomes = await Promise.all([...accountIds, ...accountIds].map((id) => issueInvoiceForAccount(deps, id, period)));
		expect(outcomes.every((o) => o.outcome === "already_issued")).toBe(true);
		expect(await listInvoicesOfPeriod(deps, period.period)).toHaveLength(ACCOUNTS);
		const series = await deps.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.invoiceSeries("INV-2026") }));
		expect(series.Item?.last).toBe(ACCOUNTS);
	});

	it("books each invoice's total, three-decimal KWD with tax half-up, on its account", async () => {
		const invoices = await listInvoicesOfPeriod(deps, period.period);
		for (const invoice of invoices) {
			const unit = 12_345 + accountIds.indexOf(invoice.accountId);
			const tax = Math.floor((unit * 500 + 5_000) / 10_000);
			expect(invoice).toMatchObject({
				currency: "KWD",
				subtotal: unit,
				tax,
				total: unit + tax,
				amountDue: unit + tax,
				dueDate: "2026-11-16",
			});
			expect((await getAccount(deps, invoice.accountId))?.balance).toBe(invoice.total);
		}
	});

	it("delivers each invoice once even when two batches deliver the same invoices at once", async () => {
		const numbers = (await listInvoicesOfPeriod(deps, period.period)).map((i) => i.number);
		const noFailure = async () => undefined;
		const [a, b] = await Promise.all([
			deliverInvoicesForBatch(deps, numbers, noFailure),
			deliverInvoicesForBatch(deps, numbers, noFailure),
		]);
		expect(a.emailed + b.emailed).toBe(ACCOUNTS);
		expect(a.alreadyDelivered + b.alreadyDelivered).toBe(ACCOUNTS);
		const mail = await sentMail((m) => m.destination.to.some((to) => to.includes(stack.tag)));
		expect(mail).toHaveLength(ACCOUNTS);
		expect(new Set(mail.map((m) => m.subject)).size).toBe(ACCOUNTS);
	});
});
