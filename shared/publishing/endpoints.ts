import { randomBytes } from "node:crypto";
import { ValidationError } from "../core/errors.js";
import { eventTypeNames, objectTypes } from "../events/catalog.js";
import { eventKey, listEvents } from "../store/events.js";
import type { TableDeps } from "../store/records.js";
import { changeWebhookEndpoint, putWebhookEndpoint, redeliver, requireWebhookEndpoint, type WebhookEndpoint } from "../store/webhooks.js";

/**
 * Webhook endpoints as an admin manages them (DESIGN.md section 14): the events each takes,
 * its signing secrets and their rotation, disabling it, and sending events to it again.
 */

/** How long a rotated-out secret keeps signing beside the new one. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** What an endpoint may ask for: every event (`*`), an object's (`invoice.*`), or one type. */
export function checkEventPattern(pattern: string): string {
	const p = pattern.trim();
	if (p === "*" || (eventTypeNames as readonly string[]).includes(p)) return p;
	const object = p.endsWith(".*") ? p.slice(0, -2) : undefined;
	if (object && (objectTypes as readonly string[]).includes(object)) return p;
	throw new ValidationError(
		`events: "${pattern}" is not an event type or pattern: "*", an object's events ("${objectTypes.map((o) => `${o}.*`).join('", "')}") or one of ${eventTypeNames.join(", ")}`,
	);
}

export function takesEvent(patterns: readonly string[], type: string): boolean {
	return patterns.some((p) => p === "*" || p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))));
}

/** A receiver's URL: http(s), no credentials in it (they would be logged with it). */
export function checkEndpointUrl(url: string): string {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new ValidationError(`url: "${url}" is not a URL, e.g. https://crm.example.com/billing-events`);
	}
	if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new ValidationError("url: an http or https URL");
	if (parsed.username || parsed.password) throw new ValidationError("url: no user or password in it; the signature proves who sends");
	return parsed.toString();
}

/** A new signing secret as the Standard Webhooks spec writes one: `whsec_` and 32 random bytes in base64. */
function newSecret(): string {
	return `whsec_${randomBytes(32).toString("base64")}`;
}

/** The secrets that sign at `now`: the current one, and a rotated-out one within its overlap. */
export function signingSecrets(endpoint: WebhookEndpoint, now: Date): string[] {
	return endpoint.secrets.filter((s) => !s.expiresAt || Date.parse(s.expiresAt) > now.getTime()).map((s) => s.secret);
}

/** An endpoint as it is listed: everything but its secrets. */
export function endpointView(endpoint: WebhookEndpoint) {
	const { secrets, revision: _revision, ...view } = endpoint;
	return { ...view, secretsSigning: secrets.length };
}
export type EndpointView = ReturnType<typeof endpointView>;

function endpointId(): string {
	return `we_${randomBytes(9).toString("base64url")}`;
}

export async function addEndpoint(
	deps: TableDeps,
	input: { readonly url: string; readonly events: readonly string[] },
	actor: string,
	now: Date,
): Promise<{ endpoint: EndpointView; secret: string }> {
	const events = [...new Set(input.events.map(checkEventPattern))];
	if (events.length === 0) throw new ValidationError("events: at least one event type or pattern, e.g. 'invoice.*'");
	const secret = newSecret();
	const endpoint: WebhookEndpoint = {
		endpointId: endpointId(),
		url: checkEndpointUrl(input.url),
		events,
		status: "enabled",
		secrets: [{ secret, createdAt: now.toISOString() }],
		createdAt: now.toISOString(),
		createdBy: actor,
		revision: 0,
	};
	await putWebhookEndpoint(deps, endpoint);
	return { endpoint: endpointView(endpoint), secret };
}

/** A new secret signs from now on; the old one signs beside it for ROTATION_OVERLAP_MS, then stops. */
export async function rotateSecret(
	deps: TableDeps,
	id: string,
	now: Date,
): Promise<{ before: EndpointView; after: EndpointView; secret: string; oldSecretExpiresAt: string }> {
	const secret = newSecret();
	const expiresAt = new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString();
	const { before, after } = await changeWebhookEndpoint(deps, id, (e) => ({
		...e,
		secrets: [
			{ secret, createdAt: now.toISOString() },
			...e.secrets
				.filter((s) => !s.expiresAt || Date.parse(s.expiresAt) > now.getTime())
				.map((s) => ({ ...s, expiresAt: s.expiresAt ?? expiresAt })),
		],
	}));
	return { before: endpointView(before), after: endpointView(after), secret, oldSecretExpiresAt: expiresAt };
}

export async function setEndpointEnabled(
	deps: TableDeps,
	id: string,
	enabled: boolean,
	reason: string,
): Promise<{ before: EndpointView; after: EndpointView }> {
	const { before, after } = await changeWebhookEndpoint(deps, id, (e) => {
		const { disabledReason: _reason, failingSince: _failing, ...rest } = e;
		return enabled
			? { ...rest, status: "enabled" }
			: { ...rest, ...(e.failingSince ? { failingSince: e.failingSince } : {}), status: "disabled", disabledReason: reason };
	});
	return { before: endpointView(before), after: endpointView(after) };
}

/**
 * Sends an endpoint every event it takes from `since` on again, under the same ids, each
 * due now with a new retry window. Returns how many.
 */
export async function replayEvents(deps: TableDeps, id: string, since: string, now: Date): Promise<{ replayed: number }> {
	const endpoint = await requireWebhookEndpoint(deps, id);
	if (endpoint.status !== "enabled") throw new ValidationError(`endpoint ${id} is disabled (${endpoint.disabledReason}): enable it first`);
	let replayed = 0;
	let cursor: string | undefined;
	do {
		const page = await listEvents(deps, { since, limit: 500, until: now, ...(cursor ? { cursor } : {}) });
		for (const event of page.items.filter((e) => takesEvent(endpoint.events, e.type))) {
			await redeliver(
				deps,
				{ endpointId: id, eventId: event.id, eventType: event.type, objectId: event.objectId, eventKey: eventKey(event), event },
				now,
			);
			replayed++;
		}
		cursor = page.nextCursor;
	} while (cursor);
	return { replayed };
}
