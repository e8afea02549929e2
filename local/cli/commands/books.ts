import { writeFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { formatMajorUnits } from "../../../shared/core/money.js";
import { EXPORT_FORMATS, type ExportFormat } from "../../../shared/reporting/export-formats.js";
import { actorOption, dataDirOption, jsonOption, performOperation, periodOption, printJson, table, withSession } from "./common.js";

/** The books' own modules, with the chart of accounts they are kept in. */
async function booksModules() {
	const [{ periodBooks }, { exportJournal, publishBooks }, { chartOfAccounts }] = await Promise.all([
		import("../../../shared/reporting/books.js"),
		import("../../../shared/reporting/book-files.js"),
		import("../../../shared/reporting/journal.js"),
	]);
	return { periodBooks, exportJournal, publishBooks, chart: chartOfAccounts() };
}

/** Month-end close (DESIGN.md section 10): the trial balance and the journal for the accounting software. */
export function registerBooksCommands(program: Command): void {
	const books = program.command("books").description("The books of a period: trial balance and journal exports");
	books
		.command("trial-balance")
		.description("Balances per account code and currency for a month; exits 1 when receivables do not tie out to the customers' accounts")
		.requiredOption("--period <YYYY-MM>", "the month", periodOption)
		.addOption(jsonOption())
		.addOption(dataDirOption())
		.action(async (opts: { period: string; json?: boolean; dataDir: string }) => {
			const { periodBooks, chart } = await booksModules();
			const { trialBalance } = await withSession(opts.dataDir, (s) =>
				periodBooks({ ddb: s.clients.ddb, tableName: s.tableName }, opts.period, chart),
			);
			if (opts.json) printJson(trialBalance);
			else {
				const money = (amount: number, currency: string) => formatMajorUnits(amount, currency);
				const rows = trialBalance.rows.map((r) => ({
					currency: r.currency,
					code: r.code,
					account: r.name,
					opening: money(r.opening, r.currency),
					debits: money(r.debits, r.currency),
					credits: money(r.credits, r.currency),
					closing: money(r.closing, r.currency),
				}));
				process.stdout.write(`${table(rows, ["currency", "code", "account", "opening", "debits", "credits", "closing"])}\n`);
				for (const t of trialBalance.tieOut) {
					process.stdout.write(
						`${t.currency}: AR ${money(t.receivable, t.currency)} - customer credit ${money(t.customerCredit, t.currency)} = customers' balances ${money(t.customerBalances, t.currency)}${t.differences.length === 0 ? " (ties out)" : ""}\n`,
					);
				}
			}
			const differences = trialBalance.tieOut.flatMap((t) => t.differences);
			if (differences.length > 0) {
				process.stderr.write(`billing: the books do not tie out:\n${differences.map((d) => `  ${d}`).join("\n")}\n`);
				process.exitCode = 1;
			}
		});
	books
		.command("close")
		.description("Close the books through a month: nothing is dated into it afterwards; refused while its exceptions are open")
		.requiredOption("--period <YYYY-MM>", "the month", periodOption)
		.option("--force", "close with exceptions still open (needs --reason)")
		.option("--reason <text>", "why it closes with exceptions open")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (opts: { period: string; force?: boolean; reason?: string; actor: string; dataDir: string }) => {
			printJson(
				await performOperation(
					opts.dataDir,
					(await import("../../../shared/desk/operations/books.js")).closeBooks,
					{ period: opts.period, force: opts.force ?? false, reason: opts.reason },
					opts.actor,
				),
			);
		});
	books
		.command("export")
		.description(
			"The month's journal as QuickBooks Online or Xero import files, or plain double-entry CSV; kept under books/<period>/ in S3",
		)
		.requiredOption("--period <YYYY-MM>", "the month", periodOption)
		.addOption(new Option("--format <format>", "the file's layout").choices([...EXPORT_FORMATS]).makeOptionMandatory())
		.option("--out <file>", "write it to this file instead of printing it")
		.addOption(dataDirOption())
		.action(async (opts: { period: string; format: ExportFormat; out?: string; dataDir: string }) => {
			const { periodBooks, exportJournal, publishBooks, chart } = await booksModules();
			const text = await withSession(opts.dataDir, async (s) => {
				const deps = { ddb: s.clients.ddb, tableName: s.tableName, s3: s.clients.s3, bucketName: s.bucketName };
				const periodOfBooks = await periodBooks(deps, opts.period, chart);
				await publishBooks(deps, periodOfBooks, chart);
				return exportJournal(periodOfBooks, opts.format, chart);
			});
			if (opts.out) writeFileSync(opts.out, text);
			else process.stdout.write(text);
		});
}
