import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { expect } from "vitest";
import { ensureTable } from "../../local/emulator/stack.js";
import { ledgerEntrySchema } from "../../shared/core/model.js";
import type { InvoicingDeps } from "../../shared/invoicing/invoices.js";
import { signStripePayload } from "../../shared/payments/providers/stripe.js";
import { receivePaymentWebhook, type WebhookResult } from "../../shared/payments/webhook.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { keys } from "../../shared/store/keys.js";
import { listInvoicesOfAccount, listPayments, parseRecord, queryAll } from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { amountDue, type MoneyModel } from "./reference-model.js";

const SECRET = "whsec_model";

/** The system under test: one fresh table per sequence on the shared embedded servers, reached through the handlers' functions. */
export interface MoneySystem {
	readonly deps: InvoicingDeps & { readonly actor: string };
	/** Raw bodies of every webhook posted, for redeliveries. */
	readonly events: string[];
	/** Every ledger entry seen so far, by id: entries are never changed or removed. */
	readonly ledgerSeen: Map<string, string>;
	seq: number;
	post(event: Record<string, unknown>): Promise<WebhookResult>;
	redeliver(body: string): Promise<WebhookResult>;
	drop(): Promise<void>;
}

export async function startSequence(
	endpoint: string,
	bucketName: string,
	tableName: string,
	accounts: readonly { id: string; planAmount: number }[],
): Promise<MoneySystem> {
	await ensureTable(endpoint, tableName, { stream: false });
	const { ddb, s3 } = createClients();
	// A bucket of its own, as the table: every sequence issues INV-2026-000001, and an issued document is never rewritten.
	await s3.send(new CreateBucketCommand({ Bucket: bucketName }));
	const deps = { ddb, s3, tableName, bucketName, seller: sellerConfig(), actor: "model" };
	for (const a of accounts) {
		await putAccount(deps, testAccount(a.id, { plan: { code: "p", description: "Plan", unitAmount: a.planAmount, quantity: 1 } }));
	}
	const webhookDeps = { ddb, tableName, stripeSecret: async () => SECRET, gocardlessSecret: async () => "unused" };
	const deliver = (body: string) =>
		receivePaymentWebhook(webhookDeps, {
			path: "/webhooks/stripe",
			headers: { "Stripe-Signature": signStripePayload(body, SECRET) },
			body: Buffer.from(body),
		});
	const system: MoneySystem = {
		deps,
		events: [],
		ledgerSeen: new Map(),
		seq: 0,
		async post(event) {
			system.seq += 1;
			const body = JSON.stringify({ id: `evt_${system.seq}`, object: "event", created: 1_790_000_000 + system.seq, ...event });
			system.events.push(body);
			return deliver(body);
		},
		redeliver: deliver,
		async drop() {
			const client = new DynamoDBClient({ endpoint });
			await client.send(new DeleteTableCommand({ TableName: tableName }));
			client.destroy();
		},
	};
	return system;
}

/** The account's item and ledger in one consistent read of its partition. */
async function readAccount(system: MoneySystem, accountId: string) {
	const items = await queryAll(system.deps, {
		KeyConditionExpression: "pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.account(accountId).pk },
		ConsistentRead: true,
	});
	const account = items.find((i) => i.sk === keys.account(accountId).sk);
	const ledger = items
		.filter((i) => String(i.sk).startsWith(keys.ledgerPrefix))
		.map((i) => parseRecord(ledgerEntrySchema, { ...i, entryId: String(i.sk).split("#").at(-1) }));
	return { balance: account?.balance, creditBalance: account?.creditBalance, ledger };
}

/**
 * The stored state equals the model's; DESIGN.md section 5 holds (stated here again, on
 * the same reads: balance = ledger = dues − credit, each invoice's entries sum to its amount
 * due, the entries on no invoice to minus the credit, a payment's parts sum to its amount);
 * no ledger entry changed or vanished.
 */
export async function expectSameState(model: MoneyModel, system: MoneySystem): Promise<void> {
	const { deps } = system;
	for (const account of model.accounts.values()) {
		const stored = await readAccount(system, account.id);
		expect({ balance: stored.balance, creditBalance: stored.creditBalance }, `account ${account.id}`).toEqual({
			balance: account.balance,
			creditBalance: account.credit,
		});
		const invoices = new Map((await listInvoicesOfAccount(deps, account.id)).map((i) => [i.number, i]));
		expect([...invoices.keys()].sort()).toEqual(
			model
				.invoicesOf(account.id)
				.map((i) => i.number)
				.sort(),
		);
		for (const invoice of model.invoicesOf(account.id)) {
			const actual = invoices.get(invoice.number);
			expect(
				actual && {
					status: actual.status,
					amountDue: actual.amountDue,
					amountPaid: actual.amountPaid,
					creditApplied: actual.creditApplied ?? 0,
					credited: actual.credited ?? 0,
					amountWrittenOff: actual.amountWrittenOff ?? 0,
					disputes: [...(actual.hold?.disputeIds ?? [])].sort(),
				},
				`invoice ${invoice.number}`,
			).toEqual({
				status: invoice.status,
				amountDue: amountDue(invoice),
				amountPaid: invoice.paid,
				creditApplied: invoice.creditApplied,
				credited: invoice.credited,
				amountWrittenOff: invoice.writtenOff,
				disputes: [...invoice.disputes].sort(),
			});
			const entries = stored.ledger.filter((e) => e.invoiceNumber === invoice.number);
			expect(
				entries.reduce((acc, e) => acc + e.amount, 0),
				`ledger of ${invoice.number}`,
			).toBe(amountDue(invoice));
		}
		expect(
			stored.ledger.reduce((acc, e) => acc + e.amount, 0),
			`ledger of ${account.id}`,
		).toBe(account.balance);
		expect(
			stored.ledger.filter((e) => !e.invoiceNumber).reduce((acc, e) => acc - e.amount, 0),
			`credit of ${account.id}`,
		).toBe(account.credit);
		const now = new Map(stored.ledger.map((e) => [`${account.id}|${e.entryId}`, JSON.stringify(e)]));
		for (const [id, entry] of system.ledgerSeen) if (id.startsWith(`${account.id}|`)) expect(now.get(id)).toBe(entry);
		for (const [id, entry] of now) system.ledgerSeen.set(id, entry);
	}
	const payments = new Map((await listPayments(deps)).map((p) => [p.paymentId, p]));
	expect(payments.size).toBe(model.payments.size);
	for (const payment of model.payments.values()) {
		const applied = payment.applications.reduce((acc, a) => acc + a.amount, 0);
		expect(applied + payment.credited + payment.unapplied + payment.returnedUnapplied).toBe(payment.amount);
		expect(payment.refunded + payment.chargeback).toBeLessThanOrEqual(payment.amount);
		expect(payments.get(payment.id), `payment ${payment.id}`).toMatchObject({
			status: payment.status,
			applications: payment.applications,
			appliedAmount: applied,
			creditedAmount: payment.credited,
			unappliedAmount: payment.unapplied,
			returnedUnapplied: payment.returnedUnapplied,
			refundedAmount: payment.refunded,
			chargebackAmount: payment.chargeback,
		});
		expect(payments.get(payment.id)?.dispute?.status).toBe(payment.dispute?.status);
	}
}
