import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SESClient } from "@aws-sdk/client-ses";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startSesMailLog } from "../../local/emulator/ses-mail-log.js";
import { TransientError } from "../../shared/core/errors.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { type DeliveryDeps, deliverInvoicesForBatch } from "../../shared/delivery/email-delivery.js";
import { SendingPace } from "../../shared/delivery/sending-pace.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { createClients } from "../../shared/platform/clients.js";
import { documentLinkConfig, sellerConfig, sendingRate } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { keys } from "../../shared/store/keys.js";
import { sentMail, startTestStack } from "../support/embedded.js";

/**
 * The Invoice Accounts map's deliveries against an SES that keeps a sending rate as SES
 * keeps an account's (answering its throttling error above it): each of the map's
 * concurrent batches sends at its share of the configured rate (DESIGN.md section 11), a
 * throttled send is retried, and every invoice is emailed exactly once.
 */

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let deps: Omit<DeliveryDeps, "ses">;
const period = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
const noFailure = async () => undefined;
const fronts: Server[] = [];

interface Send {
	readonly at: string;
	readonly throttled: boolean;
}

/** An SES front keeping `maxSendRate` in front of the test run's SES: its client, and what came to it. */
async function throttlingSes(maxSendRate: number) {
	const front = await startSesMailLog({ upstream: inject("servers").ses, port: 0, maxSendRate });
	fronts.push(front);
	const url = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
	return {
		ses: new SESClient({ endpoint: url }),
		sends: async () => ((await (await fetch(`${url}/sending-rate`)).json()) as { sends: Send[] }).sends,
		accepted: async () => ((await (await fetch(`${url}/sent`)).json()) as { sent: { destinations: string[] }[] }).sent,
	};
}

/** `count` accounts with their invoice for the period, in batches of `batchSize`, as the map hands them out. */
async function invoicedBatches(prefix: string, count: number, batchSize: number): Promise<string[][]> {
	const accountIds = Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(3, "0")}`);
	await Promise.all(
		accountIds.map((accountId) =>
			putAccount(deps, {
				accountId,
				name: `Paced ${accountId}`,
				email: `ap+${stack.tag}-${accountId.toLowerCase()}@example.com`,
				currency: "EUR",
				status: "active",
				taxRatePpm: 210_000,
				paymentTermsDays: 30,
				delivery: "email",
				addressLines: ["Rue de la Loi 1", "1000 Brussels"],
				plan: { code: "p", description: "Plan", unitAmount: 4_900, quantity: 1 },
				balance: 0,
				creditBalance: 0,
				createdAt: "2026-01-01T00:00:00.000Z",
			}),
		),
	);
	const numbers = await Promise.all(
		accountIds.map(async (accountId) => {
			const issued = await issueInvoiceForAccount(deps, accountId, period);
			if (issued.outcome !== "issued") throw new Error(`${accountId}: ${issued.outcome}`);
			return issued.invoiceNumber;
		}),
	);
	return Array.from({ length: Math.ceil(count / batchSize) }, (_, i) => numbers.slice(i * batchSize, (i + 1) * batchSize));
}

/** The most sends (accepted or throttled) that came within any one second. */
function busiestSecond(sends: readonly Send[]): number {
	const times = sends.map((s) => Date.parse(s.at)).sort((a, b) => a - b);
	let most = 0;
	for (let first = 0, last = 0; last < times.length; last++) {
		while ((times[last] as number) - (times[first] as number) >= 1000) first++;
		most = Math.max(most, last - first + 1);
	}
	return most;
}

/** Each invoice's recipient as often as the test run's SES store holds an email to it. */
async function emailsPerRecipient(prefix: string): Promise<Map<string, number>> {
	const counts = new Map<string, number>();
	const mine = await sentMail((m) => m.destination.to.some((to) => to.includes(`${stack.tag}-${prefix.toLowerCase()}-`)));
	for (const m of mine) for (const to of m.destination.to) counts.set(to, (counts.get(to) ?? 0) + 1);
	return counts;
}

beforeAll(async () => {
	stack = await startTestStack("sending-pace", { publishEvents: false });
	const { ddb, s3 } = createClients();
	deps = {
		ddb,
		s3,
		tableName: stack.tableName,
		bucketName: stack.bucketName,
		seller: sellerConfig(),
		documentLinks: documentLinkConfig(),
	};
});

afterAll(async () => {
	await Promise.all(fronts.map((f) => new Promise((resolve) => f.close(resolve))));
	await stack?.stop();
});

describe("sending paced to the SES rate", () => {
	it("keeps 4 concurrent batches of 15 invoices under 20 emails a second together, each invoice emailed once", async () => {
		const batches = await invoicedBatches("PACE", 60, 15);
		const { ses, sends, accepted } = await throttlingSes(20);
		// As Deliver Invoices reads it deployed: the account's rate and the map's MaxConcurrency.
		const rate = sendingRate({ SES_MAX_SEND_RATE: "20", SES_CONCURRENT_SENDERS: String(batches.length) });
		expect(rate).toEqual({ perSecond: 20, senders: 4 });

		const started = Date.now();
		const results = await Promise.all(
			batches.map((numbers) =>
				deliverInvoicesForBatch({ ...deps, ses, pace: new SendingPace(rate as NonNullable<typeof rate>) }, numbers, noFailure),
			),
		);
		const seconds = (Date.now() - started) / 1000;

		expect(results.reduce((n, r) => n + r.emailed, 0)).toBe(60);
		expect(results.every((r) => r.failed === 0 && r.alreadyDelivered === 0)).toBe(true);
		// Never over the rate by more than the buckets' burst: one email per batch.
		const came = await sends();
		expect(busiestSecond(came)).toBeLessThanOrEqual(20 + batches.length);
		// 60 emails at 20 a second take at least 2.8 s (the first of each batch goes at once): paced, not sent at once.
		expect(seconds).toBeGreaterThanOrEqual(2.8);
		// Whatever SES throttled was sent again: each accepted exactly once.
		expect((await accepted()).length).toBe(60);
		expect(came.filter((s) => !s.throttled)).toHaveLength(60);
		const perRecipient = await emailsPerRecipient("PACE");
		expect(perRecipient.size).toBe(60);
		expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
		for (const number of batches.flat()) {
			const delivery = await deps.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.delivery(number, "email") }));
			expect(delivery.Item?.status, number).toBe("sent");
		}
	});

	it("retries what SES throttles when the configured rate is over the account's: nothing dropped, nothing sent twice", async () => {
		const batches = await invoicedBatches("OVER", 20, 5);
		// SES allows 8 a second; the deployment says 24.
		const { ses, sends, accepted } = await throttlingSes(8);
		const pace = () => new SendingPace({ perSecond: 24, senders: batches.length });

		// As the state machine does: a batch that gave up as transient (its claims released) is run again.
		const deliver = async (numbers: string[]): Promise<void> => {
			for (let attempt = 0; ; attempt++) {
				try {
					await deliverInvoicesForBatch({ ...deps, ses, pace: pace() }, numbers, noFailure);
					return;
				} catch (err) {
					if (!(err instanceof TransientError) || attempt >= 3) throw err;
				}
			}
		};
		await Promise.all(batches.map(deliver));

		const came = await sends();
		const throttled = came.filter((s) => s.throttled).length;
		expect(throttled).toBeGreaterThan(0);
		expect(came.filter((s) => !s.throttled)).toHaveLength(20);
		expect((await accepted()).length).toBe(20);
		const perRecipient = await emailsPerRecipient("OVER");
		expect(perRecipient.size).toBe(20);
		expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
		for (const number of batches.flat()) {
			const delivery = await deps.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.delivery(number, "email") }));
			expect(delivery.Item?.status, number).toBe("sent");
		}
	});
});
