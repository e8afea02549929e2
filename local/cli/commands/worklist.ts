import type { Command } from "commander";
import { formatMoney } from "../../../shared/core/money.js";
import { actorOption, dataDirOption, dateOption, jsonOption, performOperation, printJson, table, withSession } from "./common.js";

/** The worklist (DESIGN.md section 10): every open exception, oldest first, each with the command that resolves it. */
export function registerWorklistCommands(program: Command): void {
	const worklist = program
		.command("worklist")
		.description("Every open exception, oldest first, with the command that resolves it")
		.option("--assignee <name>", "only the items assigned to this person")
		.option("--as-of <YYYY-MM-DD>", "the day ages count to (default: today)", dateOption)
		.addOption(jsonOption())
		.addOption(dataDirOption())
		.action(async (opts: { assignee?: string; asOf?: string; json?: boolean; dataDir: string }) => {
			const asOf = opts.asOf ?? new Date().toISOString().slice(0, 10);
			const { buildWorklist } = await import("../../../shared/reporting/worklist.js");
			const items = (await withSession(opts.dataDir, (s) => buildWorklist({ ddb: s.clients.ddb, tableName: s.tableName }, asOf))).filter(
				(i) => opts.assignee === undefined || i.assignee === opts.assignee,
			);
			if (opts.json) return printJson(items);
			if (items.length === 0) return void process.stdout.write("nothing open\n");
			const rows = items.map((i) => ({
				id: i.id,
				kind: i.kind,
				account: i.accountId ?? "",
				amount: i.amount !== undefined && i.currency ? formatMoney({ amount: i.amount, currency: i.currency }) : "",
				age: `${i.ageDays}d`,
				assignee: i.assignee ?? "",
			}));
			process.stdout.write(`${table(rows, ["id", "kind", "account", "amount", "age", "assignee"])}\n`);
			for (const i of items) process.stdout.write(`\n${i.id}: ${i.detail}\n  resolve: ${i.resolve}\n`);
		});
	worklist
		.command("assign")
		.description("Give an open item to a person; it closes when its cause is resolved")
		.argument("<id>", "the item's id as billing worklist shows it")
		.requiredOption("--to <name>", "who works it")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (id: string, opts: { to: string; actor: string; dataDir: string }) => {
			printJson(
				await performOperation(
					opts.dataDir,
					(await import("../../../shared/desk/operations/worklist.js")).assignItem,
					{ itemId: id, to: opts.to },
					opts.actor,
				),
			);
		});
}
