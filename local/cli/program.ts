import { Command, CommanderError, Option } from "commander";
import { BillingError } from "../../shared/core/errors.js";
import { registerBooksCommands } from "./commands/books.js";
import { registerCollectionsCommands } from "./commands/collections.js";
import { registerCycleCommands } from "./commands/cycle.js";
import { registerDeskCommands } from "./commands/desk.js";
import { registerEinvoiceCommands } from "./commands/einvoice.js";
import { registerEventCommands } from "./commands/events.js";
import { registerImportCommands } from "./commands/imports.js";
import { registerInvoicingCommands } from "./commands/invoicing.js";
import { registerLedgerCommands } from "./commands/ledger.js";
import { registerPaymentCommands } from "./commands/payments.js";
import { registerReportCommands } from "./commands/reports.js";
import { registerUserCommands } from "./commands/users.js";
import { registerWebhookCommands } from "./commands/webhooks.js";
import { registerWorklistCommands } from "./commands/worklist.js";
import { STACK_ENV } from "./stack-env.js";

/** The commands that only make sense on this machine: they start or fill the embedded stack. */
const EMBEDDED_ONLY = new Set(["demo", "seed", "serve"]);

function allCommands(command: Command): Command[] {
	return [command, ...command.commands.flatMap(allCommands)];
}

export function buildProgram(): Command {
	const program = new Command()
		.name("billing")
		.description("The automated billing cycle, embedded on this machine or on a deployed stack: invoices, payments, dunning and reports.")
		.showHelpAfterError()
		// A command's options are its own, not its subcommands' (`write-off --reason` and `write-off reverse --reason`).
		.enablePositionalOptions()
		// Usage errors (a bad option value, a missing argument) exit 2 like every refused input; help exits 0.
		.exitOverride();
	registerCycleCommands(program);
	registerLedgerCommands(program);
	registerCollectionsCommands(program);
	registerReportCommands(program);
	registerInvoicingCommands(program);
	registerPaymentCommands(program);
	registerDeskCommands(program);
	registerImportCommands(program);
	registerBooksCommands(program);
	registerWorklistCommands(program);
	registerUserCommands(program);
	registerEinvoiceCommands(program);
	registerEventCommands(program);
	registerWebhookCommands(program);
	for (const command of allCommands(program)) {
		if (EMBEDDED_ONLY.has(command.name()) || !command.options.some((o) => o.long === "--data-dir")) continue;
		command.addOption(
			new Option("--stack <name>", "work on this deployed CloudFormation stack (default credentials and region)").env(STACK_ENV),
		);
	}
	program.hook("preAction", (_program, action) => {
		const stack = action.opts().stack as string | undefined;
		if (stack) process.env[STACK_ENV] = stack;
		else if (EMBEDDED_ONLY.has(action.name()) && process.env[STACK_ENV]) {
			throw new BillingError(`billing ${action.name()} works on the embedded stack only; unset ${STACK_ENV}`, 400);
		}
	});
	return program;
}

/** Runs the CLI on `argv` and answers its exit code: 0, 2 for refused input, 1 for a failure. */
export async function runCli(argv: readonly string[]): Promise<number> {
	process.exitCode = undefined;
	try {
		await buildProgram().parseAsync([...argv]);
		return typeof process.exitCode === "number" ? process.exitCode : 0;
	} catch (err) {
		// Commander has printed its own message.
		if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
		const message = err instanceof Error ? err.message : String(err);
		process.stderr.write(`billing: ${message}\n`);
		return err instanceof BillingError && err.statusCode < 500 ? 2 : 1;
	}
}
