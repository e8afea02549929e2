import { GetCommand } from "@aws-sdk/lib-dynamodb";
import pMap from "p-map";
import { Webhook } from "standardwebhooks";
import type { BillingEvent } from "../events/catalog.js";
import { withoutKeys } from "../store/keys.js";
import type { TableDeps } from "../store/records.js";
import {
	type AttemptOutcome,
	changeWebhookEndpoint,
	claimAttempt,
	type DeliveryAttempt,
	getWebhookEndpoint,
	listDueDeliveries,
	listWebhookEndpoints,
	recordAttempt,
	type WebhookDelivery,
	type WebhookEndpoint,
} from "../store/webhooks.js";
import { signingSecrets } from "./endpoints.js";
import type { DeliveryRef } from "./publisher.js";

/**
 * One attempt to deliver an event to a webhook endpoint (DESIGN.md section 14): a POST
 * signed per the Standard Webhooks spec with every secret that signs (two during a
 * rotation), within a timeout. A receiver that fails is tried again with exponential
 * backoff and jitter for RETRY_WINDOW_MS; then the delivery is dead-lettered, the endpoint
 * goes on the worklist, and an endpoint that has failed for the whole window is disabled.
 */

export const RETRY_WINDOW_MS = 3 * 86_400_000;
const FIRST_RETRY_MS = 5_000;
const LONGEST_WAIT_MS = 8 * 3_600_000;

/** The wait before attempt `attempt + 1`: doubling from 5 s to at most 8 h, half of it random so receivers are not hit in step. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
	const full = Math.min(LONGEST_WAIT_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
	return Math.round(full / 2 + (random() * full) / 2);
}

export interface WebhookDeliveryDeps extends TableDeps {
	/** The clock of the schedule: when an attempt is due, when the window closes. */
	readonly now: () => Date;
	/** The time a signature says it was sent, which receivers check against their own clock. */
	readonly signedAt?: () => Date;
	readonly timeoutMs: number;
	readonly post?: typeof fetch;
	readonly random?: () => number;
	/** Where a dead-lettered delivery goes besides its record (deployed: the dead-letter queue, which alarms). */
	readonly deadLetter?: (delivery: WebhookDelivery, reason: string) => Promise<void>;
}

export type DeliveryResult = AttemptOutcome["outcome"] | "not_due";

/** The signed request of one attempt, with the same `webhook-id` (the event's id) every time. */
export function signedRequest(
	event: BillingEvent,
	secrets: readonly string[],
	at: Date,
): { body: string; headers: Record<string, string> } {
	const body = JSON.stringify(event);
	const signatures = secrets.map((secret) => new Webhook(secret).sign(event.id, at, body));
	return {
		body,
		headers: {
			"content-type": "application/json",
			"user-agent": "billing-events/1",
			"webhook-id": event.id,
			"webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
			"webhook-signature": signatures.join(" "),
		},
	};
}

async function readEvent(deps: TableDeps, key: { pk: string; sk: string }): Promise<BillingEvent | undefined> {
	const out = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }));
	return out.Item ? (withoutKeys(out.Item) as unknown as BillingEvent) : undefined;
}

async function post(
	deps: WebhookDeliveryDeps,
	url: string,
	request: { body: string; headers: Record<string, string> },
): Promise<Omit<DeliveryAttempt, "at">> {
	const started = performance.now();
	const durationMs = () => Math.round(performance.now() - started);
	try {
		const res = await (deps.post ?? fetch)(url, {
			method: "POST",
			headers: request.headers,
			body: request.body,
			signal: AbortSignal.timeout(deps.timeoutMs),
			redirect: "manual",
		});
		await res.arrayBuffer().catch(() => undefined);
		const ok = res.status >= 200 && res.status < 300;
		return { durationMs: durationMs(), status: res.status, ...(ok ? {} : { error: `answered ${res.status}` }) };
	} catch (err) {
		const e = err as Error & { cause?: { code?: string } };
		const why = e.name === "TimeoutError" ? `no answer within ${deps.timeoutMs} ms` : (e.cause?.code ?? e.message);
		return { durationMs: durationMs(), error: why };
	}
}

/** What a failed attempt leads to: another attempt, or the dead letters once the window is over. */
function afterFailure(deps: WebhookDeliveryDeps, delivery: WebhookDelivery, now: Date): AttemptOutcome {
	if (now.getTime() - Date.parse(delivery.windowStart) >= RETRY_WINDOW_MS) return { outcome: "dead_lettered" };
	return { outcome: "retry", nextAttemptAt: new Date(now.getTime() + retryDelayMs(delivery.attemptCount, deps.random)) };
}

/** The endpoint's record after an attempt: failing since, dead letters, disabled after a whole window of failures. */
function endpointAfter(endpoint: WebhookEndpoint, outcome: AttemptOutcome["outcome"], at: Date): WebhookEndpoint {
	if (outcome === "delivered") {
		const { failingSince: _f, deadLettered: _d, deadLetteredSince: _s, ...rest } = endpoint;
		return rest;
	}
	const failingSince = endpoint.failingSince ?? at.toISOString();
	if (outcome !== "dead_lettered") return { ...endpoint, failingSince };
	const failedForWindow = at.getTime() - Date.parse(failingSince) >= RETRY_WINDOW_MS;
	return {
		...endpoint,
		failingSince,
		deadLettered: (endpoint.deadLettered ?? 0) + 1,
		deadLetteredSince: endpoint.deadLetteredSince ?? at.toISOString(),
		...(failedForWindow && endpoint.status === "enabled"
			? { status: "disabled" as const, disabledReason: `disabled ${at.toISOString()}: every delivery failed since ${failingSince}` }
			: {}),
	};
}

const changesEndpoint = (endpoint: WebhookEndpoint, outcome: AttemptOutcome["outcome"]) =>
	outcome === "dead_lettered" ||
	(outcome === "delivered" && (endpoint.failingSince !== undefined || endpoint.deadLetteredSince !== undefined)) ||
	(outcome === "retry" && endpoint.failingSince === undefined);

/**
 * Makes the next attempt of one delivery, if it is due; says what became of it. `endpoints`,
 * when given, are the endpoints as read for a round of attempts.
 */
export async function deliverWebhook(
	deps: WebhookDeliveryDeps,
	ref: DeliveryRef,
	endpoints?: ReadonlyMap<string, WebhookEndpoint>,
): Promise<DeliveryResult> {
	const now = deps.now();
	// The claim lapses after the attempt's timeout and a margin: a crash mid-attempt is retried then.
	const claimed = await claimAttempt(deps, ref.endpointId, ref.eventId, now, new Date(now.getTime() + deps.timeoutMs + 30_000));
	if (!claimed) return "not_due";
	const endpoint = endpoints ? endpoints.get(ref.endpointId) : await getWebhookEndpoint(deps, ref.endpointId);
	const event = (claimed.event as BillingEvent | undefined) ?? (await readEvent(deps, claimed.eventKey));
	let attempt: DeliveryAttempt;
	let outcome: AttemptOutcome;
	if (endpoint?.status !== "enabled") {
		const reason = endpoint ? `not sent: the endpoint is disabled (${endpoint.disabledReason})` : "not sent: the endpoint is gone";
		attempt = { at: now.toISOString(), durationMs: 0, error: reason };
		outcome = { outcome: "cancelled", reason };
	} else if (event?.sequence === undefined) {
		// The publisher numbers an event before it makes its deliveries; a replay can come first.
		attempt = { at: now.toISOString(), durationMs: 0, error: "not sent: the event is not yet numbered by the publisher" };
		// Within the same window as any failure: an event that never gets its number is dead-lettered, not retried for ever.
		outcome =
			now.getTime() - Date.parse(claimed.windowStart) >= RETRY_WINDOW_MS
				? { outcome: "dead_lettered" }
				: { outcome: "retry", nextAttemptAt: new Date(now.getTime() + FIRST_RETRY_MS) };
	} else {
		const answer = await post(
			deps,
			endpoint.url,
			signedRequest(event, signingSecrets(endpoint, now), (deps.signedAt ?? (() => new Date()))()),
		);
		attempt = { at: now.toISOString(), ...answer };
		outcome = answer.error === undefined ? { outcome: "delivered" } : afterFailure(deps, claimed, now);
	}
	if (!(await recordAttempt(deps, claimed, attempt, outcome))) return "not_due";
	if (endpoint && outcome.outcome !== "cancelled" && changesEndpoint(endpoint, outcome.outcome)) {
		await changeWebhookEndpoint(deps, ref.endpointId, (e) => endpointAfter(e, outcome.outcome, now));
	}
	if (outcome.outcome === "dead_lettered") {
		await deps.deadLetter?.(claimed, `no delivery succeeded from ${claimed.windowStart} to ${now.toISOString()}: ${attempt.error}`);
	}
	return outcome.outcome;
}

/** Attempts the deliveries due by `deps.now()`, a few at once; returns how many were attempted. */
export async function deliverDueWebhooks(deps: WebhookDeliveryDeps, limit: number): Promise<number> {
	const due = await listDueDeliveries(deps, deps.now(), limit);
	if (due.length === 0) return 0;
	const endpoints = new Map((await listWebhookEndpoints(deps)).map((e) => [e.endpointId, e]));
	await pMap(due, (ref) => deliverWebhook(deps, ref, endpoints), { concurrency: 16 });
	return due.length;
}
