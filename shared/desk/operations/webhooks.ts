import * as z from "zod";
import { addEndpoint, replayEvents, rotateSecret, setEndpointEnabled } from "../../publishing/endpoints.js";
import { putAuditEntry } from "../../store/audit.js";
import { defineOperation, type OperationDeps } from "../operation.js";
import { reason } from "./fields.js";

/**
 * Webhook endpoints are an admin's (DESIGN.md sections 12 and 14): which systems hear what
 * happened, with which secret. Every change is on the endpoint's audit trail; a secret is
 * given to the caller once and never written to the trail.
 */

const endpointId = z
	.string()
	.trim()
	.regex(/^we_[A-Za-z0-9_-]+$/, { message: "an endpoint id, e.g. we_3kTq9wX2aB1c" });

function audit(
	deps: OperationDeps,
	id: string,
	action: string,
	before: Record<string, unknown> | null,
	after: Record<string, unknown>,
	why?: string,
) {
	return putAuditEntry(deps, {
		subject: "webhook_endpoint",
		subjectId: id,
		action,
		actor: deps.actor,
		at: deps.now().toISOString(),
		...(why ? { reason: why } : {}),
		before,
		after,
	});
}

export const addWebhookEndpoint = defineOperation({
	name: "webhooks.add",
	title: "Add webhook endpoint",
	role: "admin",
	input: z.object({
		url: z.string().trim().min(1),
		/** Event types or patterns: `*`, `invoice.*`, `payment.received`. */
		events: z.array(z.string().trim().min(1)).min(1, { message: "at least one event type or pattern, e.g. invoice.*" }),
	}),
	run: async (deps, input) => {
		const added = await addEndpoint(deps, input, deps.actor, deps.now());
		await audit(deps, added.endpoint.endpointId, "webhook_endpoint_added", null, added.endpoint);
		return added;
	},
	describe: (added) => `webhook endpoint ${added.endpoint.endpointId} added`,
});

export const disableWebhookEndpoint = defineOperation({
	name: "webhooks.disable",
	title: "Disable webhook endpoint",
	role: "admin",
	input: z.object({ endpointId, reason }),
	run: async (deps, input) => {
		const { before, after } = await setEndpointEnabled(deps, input.endpointId, false, input.reason);
		await audit(deps, input.endpointId, "webhook_endpoint_disabled", before, after, input.reason);
		return after;
	},
});

export const enableWebhookEndpoint = defineOperation({
	name: "webhooks.enable",
	title: "Enable webhook endpoint",
	role: "admin",
	input: z.object({ endpointId, reason }),
	run: async (deps, input) => {
		const { before, after } = await setEndpointEnabled(deps, input.endpointId, true, input.reason);
		await audit(deps, input.endpointId, "webhook_endpoint_enabled", before, after, input.reason);
		return after;
	},
});

export const rotateWebhookSecret = defineOperation({
	name: "webhooks.rotate_secret",
	title: "Rotate webhook secret",
	role: "admin",
	input: z.object({ endpointId }),
	run: async (deps, input) => {
		const rotated = await rotateSecret(deps, input.endpointId, deps.now());
		await audit(deps, input.endpointId, "webhook_secret_rotated", rotated.before, {
			...rotated.after,
			oldSecretExpiresAt: rotated.oldSecretExpiresAt,
		});
		return rotated;
	},
});

export const replayWebhookEvents = defineOperation({
	name: "events.replay",
	title: "Replay events to an endpoint",
	role: "admin",
	input: z.object({
		endpointId,
		since: z.iso.datetime({ offset: true }).or(z.iso.date()),
	}),
	run: async (deps, input) => {
		const replayed = await replayEvents(deps, input.endpointId, new Date(input.since).toISOString(), deps.now());
		await audit(deps, input.endpointId, "webhook_events_replayed", null, { since: input.since, replayed: replayed.replayed });
		return replayed;
	},
});
