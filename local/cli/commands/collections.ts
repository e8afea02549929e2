import type { Command } from "commander";
import { ValidationError } from "../../../shared/core/errors.js";
import { formatMoney } from "../../../shared/core/money.js";
import { actorOption, dataDirOption, dateOption, jsonOption, performOperation, printJson, table, withSession } from "./common.js";

const invoiceOperations = () => import("../../../shared/desk/operations/invoices.js");

/** Collections: the open cases the agency works on, and writing off what will not be paid. */
export function registerCollectionsCommands(program: Command): void {
	const collections = program.command("collections").description("Accounts handed to collections");
	collections
		.command("list")
		.description("Open collections cases with their contact, amount due and days overdue")
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (opts: { dataDir: string; json?: boolean }) => {
			const { listOpenCases } = await import("../../../shared/store/collections.js");
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

	const writeOff = program
		.command("write-off")
		.description("Mark an invoice uncollectible: its amount due leaves the receivables with a write_off ledger entry")
		// Not required options: commander would ask for them on `write-off reverse` too.
		.option("--invoice <number>", "invoice number, e.g. INV-2026-000001 (required)")
		.option("--reason <text>", "why it is written off, kept on the invoice and the ledger entry (required)")
		.option("--as-of <YYYY-MM-DD>", "the date the write-off is booked on (default: now), for time travel", dateOption)
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (opts: { invoice?: string; reason?: string; asOf?: string; actor: string; dataDir: string }) => {
			if (!opts.invoice || !opts.reason) throw new ValidationError("billing write-off needs --invoice and --reason");
			printJson(
				await performOperation(
					opts.dataDir,
					(await invoiceOperations()).writeOff,
					{ number: opts.invoice, reason: opts.reason, asOf: opts.asOf },
					opts.actor,
				),
			);
		});
	writeOff
		.command("reverse")
		.description("Reverse an invoice's write-off: what was written off is due again (write_off_reversed ledger entry)")
		.argument("<number>", "invoice number")
		.requiredOption("--reason <text>", "why, on the ledger entry and the audit trail")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (number: string, opts: { reason: string; actor: string; dataDir: string }) => {
			printJson(
				await performOperation(
					opts.dataDir,
					(await invoiceOperations()).reverseWriteOffOperation,
					{ number, reason: opts.reason },
					opts.actor,
				),
			);
		});
}
