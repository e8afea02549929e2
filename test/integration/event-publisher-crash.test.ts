import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EventPublishing, startEventPublishing } from "../../local/emulator/event-publishing.js";
import { invokeLocalFunction, localFunctionArn } from "../../local/emulator/lambda-runtime.js";
import type { BillingEvent } from "../../shared/events/catalog.js";
import { updateAccountDetails } from "../../shared/invoicing/accounts.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { addEndpoint } from "../../shared/publishing/endpoints.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listEvents } from "../../shared/store/events.js";
import { keys } from "../../shared/store/keys.js";
import { listDeliveries } from "../../shared/store/webhooks.js";
import { testAccount } from "../support/accounts.js";
import { startTestStack } from "../support/embedded.js";

/*
 * The publisher crashes between reading a batch off the table's stream and acknowledging
 * it (its checkpoint): halfway through a batch, after numbering and handing on part of it.
 * Restarted, it reads from the checkpoint again, and nothing is lost, numbered twice or
 * delivered as a second delivery.
 */

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let receiver: Server;
const received: string[] = [];
const ACCOUNTS = Array.from({ length: 12 }, (_, i) => `ACC-PC${i + 1}`);
const since = new Date(Date.now() - 60_000).toISOString();
let endpointId: string;

const table = () => ({ ddb: createClients().ddb, tableName: stack.tableName });
const handler = (event: unknown) => invokeLocalFunction(localFunctionArn("PublishBillingEvents"), event);

function publisher(publish: (event: { Records: unknown[] }) => Promise<unknown>): Promise<EventPublishing> {
	return startEventPublishing({ endpoint: stack.endpoints.dynamodb, tableName: stack.tableName, publish });
}

beforeAll(async () => {
	stack = await startTestStack("publisher-crash", { tableStream: true });
	receiver = createServer((req, res) => {
		received.push(String(req.headers["webhook-id"]));
		req.resume();
		req.on("end", () => res.writeHead(200).end());
	});
	await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
	const added = await addEndpoint(
		table(),
		{ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`, events: ["account.*"] },
		"setup",
		new Date(),
	);
	endpointId = added.endpoint.endpointId;
	const clients = createClients();
	const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig(), actor: "dana@example.com" };
	for (const id of ACCOUNTS) {
		await putAccount(table(), testAccount(id, { email: `ap@${id.toLowerCase()}.example.com`, createdAt: new Date().toISOString() }));
		await updateAccountDetails(deps, id, { email: `billing@${id.toLowerCase()}.example.com` }, "new AP inbox");
		await updateAccountDetails(deps, id, { addressLines: ["1 Main St", "Springfield"] }, "moved");
	}
}, 60_000);

afterAll(async () => {
	await stack?.stop();
	await new Promise((r) => receiver?.close(r));
});

async function eventsOf(accountId: string): Promise<BillingEvent[]> {
	const out = await table().ddb.send(
		new QueryCommand({
			TableName: stack.tableName,
			KeyConditionExpression: "pk = :pk AND begins_with(sk, :events)",
			ExpressionAttributeValues: { ":pk": keys.account(accountId).pk, ":events": keys.eventPrefix },
			ConsistentRead: true,
		}),
	);
	return (out.Items ?? []) as BillingEvent[];
}

describe("the publisher, crashed between reading and acknowledging", () => {
	it("publishes everything once it restarts: every event numbered once, without a gap, each delivered under its one delivery", async () => {
		const events = (await listEvents(table(), { since, limit: 1000 })).items;
		expect(events).toHaveLength(ACCOUNTS.length * 3);

		// The first run hands half of its first batch on, then dies before its checkpoint.
		let crashed = false;
		const first = await publisher(async (batch) => {
			if (crashed) throw new Error("this publisher is dead");
			crashed = true;
			await handler({ Records: batch.Records.slice(0, Math.ceil(batch.Records.length / 2)) });
			throw new Error("killed between reading and acknowledging");
		});
		while (!crashed) await new Promise((r) => setTimeout(r, 50));
		await first.stop();
		const numberedBefore = (await Promise.all(ACCOUNTS.map(eventsOf))).flat().filter((e) => e.sequence !== undefined);
		expect(numberedBefore.length).toBeGreaterThan(0);
		expect(numberedBefore.length).toBeLessThan(events.length);

		const restarted = await publisher(handler);
		await restarted.settled();
		await restarted.stop();

		for (const id of ACCOUNTS) {
			const ofAccount = (await eventsOf(id)).sort((a, b) => a.id.localeCompare(b.id));
			expect(ofAccount.map((e) => e.type)).toEqual(["account.created", "account.updated", "account.updated"]);
			expect(ofAccount.map((e) => e.sequence)).toEqual([1, 2, 3]);
		}
		// The numbers given before the crash stayed.
		for (const e of numberedBefore) {
			expect((await eventsOf(e.objectId)).find((x) => x.id === e.id)?.sequence).toBe(e.sequence);
		}
		const deliveries = await listDeliveries(table(), endpointId, 1000);
		expect(deliveries.map((d) => d.eventId).sort()).toEqual(events.map((e) => e.id).sort());
		expect(deliveries.every((d) => d.status === "delivered" && d.attemptCount === 1)).toBe(true);
		expect([...received].sort()).toEqual(events.map((e) => e.id).sort());
	});
});
