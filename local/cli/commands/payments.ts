import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { formatMoney } from "../../../shared/core/money.js";
import {
	actorOption,
	dataDirOption,
	dateOption,
	jsonOption,
	performOperation,
	periodOption,
	printJson,
	sayingWhereBooked,
	table,
	withSession,
} from "./common.js";

/** Reconciliation on demand and the payments that do not come through a webhook. */
export function registerPaymentCommands(program: Command): void {
	program
		.command("reconcile")
		.description(
			"Apply what now matches, verify the ledger invariants and write the reconciliation report; exits 1 when an invariant fails",
		)
		.requiredOption("--period <YYYY-MM>", "the period the report is filed under (reports/<period>/)", periodOption)
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (opts: { dataDir: string; json?: boolean; period: string }) => {
			const { reconcilePayments } = await import("../../../shared/reporting/reconciliation.js");
			const outcome = await withSession(opts.dataDir, (s) =>
				reconcilePayments({ ddb: s.clients.ddb, s3: s.clients.s3, tableName: s.tableName, bucketName: s.bucketName }, opts.period),
			);
			if (!outcome.invariants.invariantsHold) process.exitCode = 1;
			if (opts.json) return printJson(outcome);
			const applied = Object.entries(outcome.reapplied.amountApplied).map(([currency, amount]) => formatMoney({ amount, currency }));
			process.stdout.write(
				[
					`payments applied now:  ${outcome.reapplied.applied}${applied.length ? ` (${applied.join(", ")})` : ""}`,
					`parked events applied: ${outcome.parkedApplied}`,
					`mismatches:            ${outcome.mismatches}`,
					`invariants:            ${outcome.invariants.invariantsHold ? "hold" : `${outcome.invariants.violationCount} VIOLATED`}`,
					`report:                ${outcome.reportKey}, ${outcome.csvKey}`,
					...(outcome.invariants.invariantsHold
						? []
						: [
								"",
								table(
									outcome.invariants.violations.map((v) => ({ ...v })),
									["rule", "subject", "detail"],
								),
							]),
					"",
				].join("\n"),
			);
		});

	// `payments list` lives with the other read commands; these join it under the same group.
	const payments = program.commands.find((c) => c.name() === "payments") ?? program.command("payments");
	payments
		.command("import")
		.description(
			"Record each credit of a bank statement export (camt.053 versions 2 to 8, MT940, BAI2, or CSV: date, amount, currency, reference[, id, account]; the format is read from the content) as a payment matched by its reference",
		)
		.argument("<file>", "the statement export")
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (file: string, opts: { dataDir: string; json?: boolean }) => {
			const content = readFileSync(file, "utf8");
			const { importBankStatement } = await import("../../../shared/payments/providers/bank.js");
			const rows = await withSession(opts.dataDir, (s) =>
				sayingWhereBooked(
					(onRebooked) => importBankStatement({ ddb: s.clients.ddb, tableName: s.tableName, onRebooked }, content),
					() => "payment booked",
				),
			);
			if (rows.some((r) => r.outcome.result === "rejected")) process.exitCode = 2;
			if (opts.json) return printJson(rows);
			process.stdout.write(
				`${table(
					rows.map((r) => ({
						at: r.line ?? r.entry ?? "",
						amount: r.amount !== undefined && r.currency ? formatMoney({ amount: r.amount, currency: r.currency }) : "",
						reference: r.reference ?? "",
						result: r.outcome.result,
						detail:
							"reason" in r.outcome
								? r.outcome.reason
								: "unappliedReason" in r.outcome
									? (r.outcome.unappliedReason ?? (r.outcome.invoiceNumbers ?? []).join(" "))
									: "invoiceNumbers" in r.outcome
										? r.outcome.invoiceNumbers.join(" ")
										: "",
					})),
					["at", "amount", "reference", "result", "detail"],
				)}\n`,
			);
		});
	payments
		.command("record")
		.description("Record a payment received outside the processors, e.g. a cheque")
		.requiredOption("--account <id>", "the paying account")
		.requiredOption("--amount <decimal>", "in the currency's major unit, e.g. 125.50")
		.requiredOption("--currency <ISO>", "ISO 4217 code, e.g. USD")
		.requiredOption("--reference <text>", "cheque number or remittance text; an invoice number in it names the invoice")
		.option("--received <YYYY-MM-DD>", "when it was received (default: now)", dateOption)
		.addOption(actorOption())
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(
			async (opts: {
				dataDir: string;
				json?: boolean;
				actor: string;
				account: string;
				amount: string;
				currency: string;
				reference: string;
				received?: string;
			}) => {
				printJson(
					await performOperation(
						opts.dataDir,
						(await import("../../../shared/desk/operations/payments.js")).recordPayment,
						{
							accountId: opts.account,
							amount: opts.amount,
							currency: opts.currency,
							reference: opts.reference,
							received: opts.received,
						},
						opts.actor,
					),
				);
			},
		);
}
