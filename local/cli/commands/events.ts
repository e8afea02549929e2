import { type Command, InvalidArgumentError } from "commander";
import { actorOption, dataDirOption, jsonOption, performOperation, positiveInt, printJson, table, withSession } from "./common.js";

/** An ISO date or time, as given to `--since`. */
function instantOption(value: string): string {
	if (Number.isNaN(Date.parse(value))) throw new InvalidArgumentError("an ISO date or time, e.g. 2026-12-01 or 2026-12-01T09:00:00Z");
	return new Date(value).toISOString();
}

const DAY_MS = 86_400_000;

/** The billing events other systems receive (docs/events.md), as the outbox holds them. */
export function registerEventCommands(program: Command): void {
	const events = program.command("events").description("The billing events other systems receive (docs/events.md)");
	events
		.command("list")
		.description("Events from --since on, oldest first: when, type, object, id and sequence")
		.option("--since <ISO>", "from this date or time on (default: the last 24 hours)", instantOption)
		.option("--type <type>", "only events of this type, e.g. invoice.paid")
		.option("--limit <n>", "at most this many events", positiveInt, 1000)
		.addOption(jsonOption())
		.addOption(dataDirOption())
		.action(async (opts: { since?: string; type?: string; limit: number; json?: boolean; dataDir: string }) => {
			const [{ eventTypeNames }, { listEvents }, { ValidationError }] = await Promise.all([
				import("../../../shared/events/catalog.js"),
				import("../../../shared/store/events.js"),
				import("../../../shared/core/errors.js"),
			]);
			const type = eventTypeNames.find((name) => name === opts.type);
			if (opts.type !== undefined && !type) throw new ValidationError(`--type: one of ${eventTypeNames.join(", ")}`);
			const since = opts.since ?? new Date(Date.now() - DAY_MS).toISOString();
			const page = await withSession(opts.dataDir, (s) =>
				listEvents({ ddb: s.clients.ddb, tableName: s.tableName }, { since, limit: opts.limit, ...(type ? { type } : {}) }),
			);
			if (opts.json) return printJson(page.items);
			if (page.items.length === 0) return void process.stdout.write(`no events since ${since}\n`);
			const rows = page.items.map((e) => ({
				occurredAt: e.occurredAt,
				type: e.type,
				objectId: e.objectId,
				id: e.id,
				sequence: e.sequence ?? "",
			}));
			process.stdout.write(`${table(rows, ["occurredAt", "type", "objectId", "id", "sequence"])}\n`);
			if (page.nextCursor) process.stderr.write(`more events follow: give a larger --limit or a later --since\n`);
		});
	events
		.command("replay")
		.description("Send an endpoint every event it takes from --since on again, under the same ids")
		.requiredOption("--endpoint <id>", "the endpoint's id (billing webhooks list)")
		.requiredOption("--since <ISO>", "from this date or time on", instantOption)
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (opts: { endpoint: string; since: string; actor: string; dataDir: string }) => {
			const { replayWebhookEvents } = await import("../../../shared/desk/operations/webhooks.js");
			const { replayed } = await performOperation(
				opts.dataDir,
				replayWebhookEvents,
				{ endpointId: opts.endpoint, since: opts.since },
				opts.actor,
			);
			process.stdout.write(`${replayed} events queued again for ${opts.endpoint}\n`);
		});
}
