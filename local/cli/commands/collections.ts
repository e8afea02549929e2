import type { Command } from "commander";
import { writeOffInvoice } from "../../../shared/collections/write-off.js";
import { formatMoney } from "../../../shared/core/money.js";
import { listOpenCases } from "../../../shared/store/collections.js";
import { actorOption, dataDirOption, dateOption, jsonOption, printJson, table, withSession } from "./common.js";

/** Collections: the open cases the agency works on, and writing off what will not be paid. */
export function registerCollectionsCommands(program: Command): void {
	const collections = program.command("collections").description("Accounts handed to collections");
	collections
		.command("list")
		.description("Open collections cases with their contact, amount due and days overdue")
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (opts: { dataDir: string; json?: boolean }) => {
			const cases = await withSession(opts.dataDir, (s) => listOpenCases({ ddb: s.clients.ddb, tableName: s.tableName }));
			if (opts.json) return printJson(cases);
			process.stdout.write(
				`${table(
					cases.map((c) => ({
						case: c.caseId,
						account: c.accountId,
						name: c.contact.name,
						email: c.contact.email,
						due: formatMoney({ amount: c.amountDue, currency: c.currency }),
						invoices: c.invoices.map((i) => i.number).join(" "),
						daysOverdue: Math.max(0, ...c.invoices.map((i) => i.daysOverdue)),
						opened: c.openedOn,
					})),
					["case", "account", "name", "email", "due", "invoices", "daysOverdue", "opened"],
				)}\n`,
			);
		});

	program
		.command("write-off")
		.description("Mark an invoice uncollectible: its amount due leaves the receivables with a write_off ledger entry")
		.requiredOption("--invoice <number>", "invoice number, e.g. INV-2026-000001")
		.requiredOption("--reason <text>", "why it is written off (kept on the invoice and the ledger entry)")
		.option("--as-of <YYYY-MM-DD>", "the date the write-off is booked on (default: now), for time travel", dateOption)
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (opts: { invoice: string; reason: string; asOf?: string; actor: string; dataDir: string }) => {
			const bookedAt = opts.asOf ? new Date(`${opts.asOf}T12:00:00.000Z`) : new Date();
			const result = await withSession(opts.dataDir, (s) =>
				writeOffInvoice({ ddb: s.clients.ddb, tableName: s.tableName, actor: opts.actor }, opts.invoice, opts.reason, bookedAt),
			);
			printJson(result);
		});
}
