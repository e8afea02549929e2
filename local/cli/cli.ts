import { Command, CommanderError } from "commander";
import { BillingError } from "../../shared/core/errors.js";
import { registerCollectionsCommands } from "./commands/collections.js";
import { registerCycleCommands } from "./commands/cycle.js";
import { registerDeskCommands } from "./commands/desk.js";
import { registerInvoicingCommands } from "./commands/invoicing.js";
import { registerLedgerCommands } from "./commands/ledger.js";
import { registerPaymentCommands } from "./commands/payments.js";
import { registerReportCommands } from "./commands/reports.js";

const program = new Command()
	.name("billing")
	.description("The automated billing cycle, embedded on this machine: invoices, payments, dunning and reports.")
	.showHelpAfterError()
	// Usage errors (a bad option value, a missing argument) exit 2 like every refused input; help exits 0.
	.exitOverride();

registerCycleCommands(program);
registerLedgerCommands(program);
registerCollectionsCommands(program);
registerReportCommands(program);
registerInvoicingCommands(program);
registerPaymentCommands(program);
registerDeskCommands(program);

try {
	await program.parseAsync(process.argv);
} catch (err) {
	if (err instanceof CommanderError) {
		// Commander has printed the message already.
		process.exitCode = err.exitCode === 0 ? 0 : 2;
	} else {
		const message = err instanceof Error ? err.message : String(err);
		process.stderr.write(`billing: ${message}\n`);
		process.exitCode = err instanceof BillingError && err.statusCode < 500 ? 2 : 1;
	}
}
