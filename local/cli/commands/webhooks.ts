import type { Command } from "commander";
import { actorOption, dataDirOption, jsonOption, performOperation, positiveInt, printJson, table, withSession } from "./common.js";

const webhookOperations = () => import("../../../shared/desk/operations/webhooks.js");
const webhookStore = () => import("../../../shared/store/webhooks.js");

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(/[\s,]+/).filter(Boolean)];

/** Webhook endpoints (docs/events.md): the systems that receive billing events, signed. */
export function registerWebhookCommands(program: Command): void {
	const webhooks = program.command("webhooks").description("Webhook endpoints: the systems that receive billing events (docs/events.md)");
	webhooks
		.command("add")
		.description("Add an endpoint; prints its signing secret once")
		.argument("<url>", "where events are POSTed, e.g. https://crm.example.com/billing-events")
		.requiredOption("--events <patterns...>", "event types or patterns it takes: '*', 'invoice.*', 'payment.received'", collect)
		.addOption(jsonOption())
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (url: string, opts: { events: string[]; json?: boolean; actor: string; dataDir: string }) => {
			const added = await performOperation(
				opts.dataDir,
				(await webhookOperations()).addWebhookEndpoint,
				{ url, events: opts.events },
				opts.actor,
			);
			if (opts.json) return printJson(added);
			process.stdout.write(`added ${added.endpoint.endpointId}: ${added.endpoint.url} takes ${added.endpoint.events.join(", ")}\n`);
			process.stdout.write(`secret: ${added.secret}\n(shown this once; verify each delivery's webhook-signature with it)\n`);
		});
	webhooks
		.command("list")
		.description("Every endpoint: id, URL, events, status, and since when it fails")
		.addOption(jsonOption())
		.addOption(dataDirOption())
		.action(async (opts: { json?: boolean; dataDir: string }) => {
			const [{ listWebhookEndpoints }, { endpointView }] = await Promise.all([
				webhookStore(),
				import("../../../shared/publishing/endpoints.js"),
			]);
			const endpoints = (await withSession(opts.dataDir, (s) => listWebhookEndpoints({ ddb: s.clients.ddb, tableName: s.tableName }))).map(
				endpointView,
			);
			if (opts.json) return printJson(endpoints);
			if (endpoints.length === 0)
				return void process.stdout.write("no webhook endpoints; billing webhooks add URL --events '*' adds one\n");
			const rows = endpoints.map((e) => ({
				id: e.endpointId,
				url: e.url,
				events: e.events.join(" "),
				status: e.status === "enabled" ? "enabled" : `disabled: ${e.disabledReason ?? ""}`,
				failingSince: e.failingSince ?? "",
				deadLettered: e.deadLettered ?? 0,
			}));
			process.stdout.write(`${table(rows, ["id", "url", "events", "status", "failingSince", "deadLettered"])}\n`);
		});
	for (const [name, operation, what] of [
		["disable", "disableWebhookEndpoint", "Stop sending to an endpoint; its pending deliveries are cancelled"],
		["enable", "enableWebhookEndpoint", "Send to a disabled endpoint again (billing events replay sends what it missed)"],
	] as const) {
		webhooks
			.command(name)
			.description(what)
			.argument("<id>", "the endpoint's id (billing webhooks list)")
			.requiredOption("--reason <text>", "why, for the audit trail")
			.addOption(actorOption())
			.addOption(dataDirOption())
			.action(async (endpointId: string, opts: { reason: string; actor: string; dataDir: string }) => {
				const after = await performOperation(
					opts.dataDir,
					(await webhookOperations())[operation],
					{ endpointId, reason: opts.reason },
					opts.actor,
				);
				process.stdout.write(`${after.endpointId} ${after.status}\n`);
			});
	}
	webhooks
		.command("rotate-secret")
		.description("A new signing secret; the old one keeps signing beside it for 24 hours")
		.argument("<id>", "the endpoint's id")
		.addOption(jsonOption())
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (endpointId: string, opts: { json?: boolean; actor: string; dataDir: string }) => {
			const rotated = await performOperation(opts.dataDir, (await webhookOperations()).rotateWebhookSecret, { endpointId }, opts.actor);
			if (opts.json) return printJson({ endpointId, secret: rotated.secret, oldSecretExpiresAt: rotated.oldSecretExpiresAt });
			process.stdout.write(
				`secret: ${rotated.secret}\n(shown this once; the old secret signs beside it until ${rotated.oldSecretExpiresAt})\n`,
			);
		});
	webhooks
		.command("deliveries")
		.description("An endpoint's latest deliveries, newest event first, with every attempt")
		.argument("<id>", "the endpoint's id")
		.option("--limit <n>", "at most this many deliveries", positiveInt, 50)
		.addOption(jsonOption())
		.addOption(dataDirOption())
		.action(async (endpointId: string, opts: { limit: number; json?: boolean; dataDir: string }) => {
			const { listDeliveries, requireWebhookEndpoint } = await webhookStore();
			const deliveries = await withSession(opts.dataDir, async (s) => {
				const deps = { ddb: s.clients.ddb, tableName: s.tableName };
				await requireWebhookEndpoint(deps, endpointId);
				return listDeliveries(deps, endpointId, opts.limit);
			});
			if (opts.json) return printJson(deliveries);
			if (deliveries.length === 0) return void process.stdout.write(`no deliveries to ${endpointId} yet\n`);
			const rows = deliveries.map((d) => {
				const last = d.attempts.at(-1);
				return {
					eventId: d.eventId,
					type: d.eventType,
					status: d.status,
					attempts: d.attemptCount,
					last: last ? `${last.at} ${last.status ?? ""} ${last.error ?? "ok"}`.replace(/\s+/g, " ") : "",
					next: d.status === "pending" ? (d.nextAttemptAt ?? "") : "",
				};
			});
			process.stdout.write(`${table(rows, ["eventId", "type", "status", "attempts", "last", "next"])}\n`);
		});
}
