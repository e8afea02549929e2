import { Command } from "commander";
import { BillingError } from "../../shared/core/errors.js";
import { registerCollectionsCommands } from "./commands/collections.js";
import { registerCycleCommands } from "./commands/cycle.js";
import { registerInvoicingCommands } from "./commands/invoicing.js";
import { registerLedgerCommands } from "./commands/ledger.js";
import { registerPaymentCommands } from "./commands/payments.js";
import { registerReportCommands } from "./commands/reports.js";

const program = new Command()
	.name("billing")
	.description("The automated billing cycle, embedded on this machine: invoices, payments, dunning and reports.")
	.showHelpAfterError();

registerCycleCommands(program);
registerLedgerCommands(program);
registerCollectionsCommands(program);
registerReportCommands(program);
registerInvoicingCommands(program);
registerPaymentCommands(program);

try {
	await program.parseAsync(process.argv);
} catch (err) {
	const message = err instanceof Error ? err.message : String(err);
	process.stderr.write(`billing: ${message}\n`);
	process.exitCode = err instanceof BillingError && err.statusCode < 500 ? 2 : 1;
}
