import type { Command } from "commander";
import { formatMoney } from "../../shared/money.js";
import { reconcilePayments } from "../../shared/reconciliation.js";
import { dataDirOption, jsonOption, periodOption, printJson, table, withSession } from "./common.js";

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
}
