import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { billingEvent } from "../../shared/events/catalog.js";
import { createClients } from "../../shared/platform/clients.js";
import { addEndpoint } from "../../shared/publishing/endpoints.js";
import { publishEvents } from "../../shared/publishing/publisher.js";
import { deliverWebhook, retryDelayMs } from "../../shared/publishing/webhook-delivery.js";
import { eventPut } from "../../shared/store/events.js";
import { getDelivery } from "../../shared/store/webhooks.js";
import { testAccount } from "../support/accounts.js";
import { startTestStack } from "../support/embedded.js";

/*
 * One delivery attempt as a receiver meets it: a receiver that does not answer in time, one
 * that redirects, two copies of one queue message at once; and the schedule of retries.
 */

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let receiver: Server;
let url: string;
const posts: string[] = [];
/** What the receiver does, by the path an endpoint names. */
const behaviour: Record<string, (res: ServerResponse) => void> = {
	"/slow": (res) => setTimeout(() => res.writeHead(204).end(), 2_500),
	"/redirect": (res) => res.writeHead(301, { location: "https://elsewhere.example.com/" }).end(),
	"/ok": (res) => setTimeout(() => res.writeHead(200).end(), 200),
};

const table = () => ({ ddb: createClients().ddb, tableName: stack.tableName });

/** An account.created event, committed and published to an endpoint at `path` only. */
async function eventTo(path: string, accountId: string): Promise<{ endpointId: string; eventId: string }> {
	const { endpoint } = await addEndpoint(table(), { url: `${url}${path}`, events: [`account.created`] }, "setup", new Date());
	const event = billingEvent("account.created", accountId, testAccount(accountId), new Date().toISOString());
	await table().ddb.send(new TransactWriteCommand({ TransactItems: [eventPut(stack.tableName, event)] }));
	await publishEvents({ ...table(), now: () => new Date() }, [event]);
	return { endpointId: endpoint.endpointId, eventId: event.id };
}

beforeAll(async () => {
	stack = await startTestStack("webhook-attempts");
	receiver = createServer((req, res) => {
		posts.push(String(req.url));
		req.resume();
		req.on("end", () => behaviour[String(req.url)]?.(res));
	});
	await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
	url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await stack?.stop();
	await new Promise((r) => receiver?.close(r));
});

describe("a webhook delivery attempt", () => {
	it("gives up on a receiver that does not answer within the timeout, and schedules the next attempt 2.5 to 5 s later", async () => {
		const ref = await eventTo("/slow", "ACC-SLOW");
		const at = new Date();
		expect(await deliverWebhook({ ...table(), now: () => at, timeoutMs: 1_000 }, ref)).toBe("retry");
		const delivery = await getDelivery(table(), ref.endpointId, ref.eventId);
		expect(delivery).toMatchObject({ status: "pending", attemptCount: 1 });
		expect(delivery?.attempts[0]?.error).toBe("no answer within 1000 ms");
		expect(delivery?.attempts[0]?.durationMs).toBeGreaterThanOrEqual(990);
		const wait = Date.parse(delivery?.nextAttemptAt ?? "") - at.getTime();
		expect(wait).toBeGreaterThanOrEqual(2_500);
		expect(wait).toBeLessThanOrEqual(5_000);
		// Not due yet: a second message for it does nothing.
		expect(await deliverWebhook({ ...table(), now: () => at, timeoutMs: 1_000 }, ref)).toBe("not_due");
	});

	it("counts a redirect as a failure and does not follow it", async () => {
		const ref = await eventTo("/redirect", "ACC-REDIRECT");
		expect(await deliverWebhook({ ...table(), now: () => new Date(), timeoutMs: 5_000 }, ref)).toBe("retry");
		const delivery = await getDelivery(table(), ref.endpointId, ref.eventId);
		expect(delivery?.attempts.map((a) => [a.status, a.error])).toEqual([[301, "answered 301"]]);
	});

	it("posts once when two copies of one message arrive at once", async () => {
		const ref = await eventTo("/ok", "ACC-TWICE");
		const before = posts.filter((p) => p === "/ok").length;
		const deps = { ...table(), now: () => new Date(), timeoutMs: 5_000 };
		const outcomes = await Promise.all([deliverWebhook(deps, ref), deliverWebhook(deps, ref)]);
		expect(outcomes.sort()).toEqual(["delivered", "not_due"]);
		expect(posts.filter((p) => p === "/ok").length - before).toBe(1);
		expect(await getDelivery(table(), ref.endpointId, ref.eventId)).toMatchObject({ status: "delivered", attemptCount: 1 });
	});

	it("waits twice as long after each failure, from 5 s to at most 8 hours, half of it random", () => {
		expect([1, 2, 3, 4].map((n) => retryDelayMs(n, () => 1))).toEqual([5_000, 10_000, 20_000, 40_000]);
		expect([1, 2, 3, 4].map((n) => retryDelayMs(n, () => 0))).toEqual([2_500, 5_000, 10_000, 20_000]);
		expect(retryDelayMs(30, () => 1)).toBe(8 * 3_600_000);
		// Waits summed over 3 days: about 20 attempts.
		let elapsed = 0;
		let attempts = 0;
		while (elapsed < 3 * 86_400_000) elapsed += retryDelayMs(++attempts, () => 0.5);
		expect(attempts).toBeGreaterThanOrEqual(15);
		expect(attempts).toBeLessThanOrEqual(25);
	});
});
