import { join } from "node:path";
import type { Command } from "commander";
import { BillingError } from "../../../shared/core/errors.js";
import { previousPeriod } from "../../../shared/core/period.js";
import { DEFAULT_HTTP_PORT } from "../../emulator/ports.js";
import { progress, progressLine } from "../progress.js";
import { dataDirOption, dateOption, jsonOption, periodOption, positiveInt, printJson, table, withSession } from "./common.js";

/** The cycle itself: the demo, the embedded stack, runs and their executions. */
export function registerCycleCommands(program: Command): void {
	program
		.command("demo")
		.description("Seed demo accounts, run a billing month end to end on the embedded stack, print its summary")
		.option("--accounts <n>", "number of demo accounts", positiveInt, 50)
		.option("--seed <s>", "seed for the demo data", positiveInt, 42)
		.option("--period <YYYY-MM>", "the month to bill (default: the previous month)", periodOption)
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (opts: { accounts: number; seed: number; period?: string; dataDir: string; json?: boolean }) => {
			const [{ formatDemoSummary, runDemo }, { resolveDataDir }] = await Promise.all([
				import("../../demo/demo.js"),
				import("../session.js"),
			]);
			const summary = await runDemo({
				dataDir: resolveDataDir(opts.dataDir),
				accounts: opts.accounts,
				seed: opts.seed,
				period: opts.period ?? previousPeriod(new Date()),
			});
			if (opts.json) printJson(summary);
			else process.stdout.write(`${formatDemoSummary(summary)}\n`);
		});

	program
		.command("serve")
		.description("Start the embedded stack and keep it up; prints one JSON line with every endpoint URL")
		.option("--port <port>", "port of the webhook front and console", (v) => Number(v), DEFAULT_HTTP_PORT)
		.addOption(dataDirOption())
		.action(async (opts: { port: number; dataDir: string }) => {
			const [{ startEmbeddedStack }, { removeServeRecord, resolveDataDir, runningServe, writeServeRecord }] = await Promise.all([
				import("../../emulator/stack.js"),
				import("../session.js"),
			]);
			const dataDir = resolveDataDir(opts.dataDir);
			const other = runningServe(dataDir);
			if (other)
				throw new BillingError(
					`billing serve is already running on ${dataDir} (pid ${other.pid}); commands use it as it is. To restart it, stop it first (Ctrl-C in its terminal, or kill ${other.pid}).`,
					400,
				);
			const stack = await startEmbeddedStack({ dataDir, httpPort: opts.port });
			writeServeRecord(dataDir, stack);
			const { http, dynamodb, s3, ses, stepfunctions, userPool } = stack.endpoints;
			process.stdout.write(`${JSON.stringify({ http, dynamodb, s3, ses, stepfunctions, userPool })}\n`);
			progress(`billing serve: data in ${dataDir}; Ctrl-C stops it`);
			await new Promise<void>((resolve) => {
				const stop = () => resolve();
				process.once("SIGINT", stop);
				process.once("SIGTERM", stop);
			});
			progress("stopping: waiting for running executions, saving mail...");
			await stack.stop();
			removeServeRecord(dataDir);
		});

	program
		.command("seed")
		.description("Create demo accounts and their charges for a period")
		.requiredOption("--accounts <n>", "number of accounts", positiveInt)
		.option("--seed <s>", "seed for the demo data", positiveInt, 42)
		.option("--period <YYYY-MM>", "period of the usage charges (default: the previous month)", periodOption)
		.addOption(dataDirOption())
		.action(async (opts: { accounts: number; seed: number; period?: string; dataDir: string }) => {
			const [{ buildSeedData, putShowcaseData, seedDemoData }, { buildShowcaseData }] = await Promise.all([
				import("../../demo/seed.js"),
				import("../../demo/showcase.js"),
			]);
			await withSession(opts.dataDir, async (s) => {
				const period = opts.period ?? previousPeriod(new Date());
				const data = buildSeedData(opts.accounts, opts.seed, period);
				const dir = join(opts.dataDir, "seed", period);
				const line = progressLine();
				// Each file is read (checked), then written: a rate per file and phase.
				let since = Date.now();
				const imported = await seedDemoData({ ddb: s.clients.ddb, tableName: s.tableName }, data, period, dir, (p) => {
					const rate = Math.round(p.rows / Math.max(0.001, (Date.now() - since) / 1000));
					line.update(`seeding ${data.accounts.length} accounts`, `${p.phase} ${p.file}, ${p.rows} rows, ${rate} rows/s`);
					if (p.done) since = Date.now();
				});
				line.done();
				const showcase = buildShowcaseData(period);
				await putShowcaseData({ ddb: s.clients.ddb, tableName: s.tableName }, showcase);
				process.stdout.write(
					`seeded ${data.accounts.length} accounts and ${data.charges.length} charges (files in ${dir}, import ${imported.importId}), and ${showcase.accounts.length} pricing showcase accounts\n`,
				);
			});
		});

	program
		.command("run")
		.description("Start a billing-cycle execution for a period, wait for it, print its output; exits non-zero if it failed")
		.requiredOption("--period <YYYY-MM>", "the month to bill", periodOption)
		.option("--as-of <YYYY-MM-DD>", "the date the run treats as today", dateOption)
		.option("--rerun", "re-drive a period already run; nothing issued or delivered is repeated")
		.addOption(dataDirOption())
		.action(async (opts: { period: string; asOf?: string; rerun?: boolean; dataDir: string }) => {
			const [{ refuseWhileImportWriting }, { runBillingCycle }] = await Promise.all([
				import("../../../shared/imports/writing.js"),
				import("../operations.js"),
			]);
			const result = await withSession(opts.dataDir, async (s) => {
				await refuseWhileImportWriting({ ddb: s.clients.ddb, tableName: s.tableName });
				return runBillingCycle(s.sfn, s.stateMachineArn, opts, progress);
			});
			printJson(result);
			if (result.status !== "SUCCEEDED") process.exitCode = 1;
		});

	program
		.command("escalate")
		.description("Run the overdue-account escalation (dunning ladder) as of a date")
		.requiredOption("--as-of <YYYY-MM-DD>", "the date the ladder treats as today", dateOption)
		.addOption(dataDirOption())
		.action(async (opts: { asOf: string; dataDir: string }) => {
			const { invokeLocalFunction, localFunctionArn } = await import("../../emulator/lambda-runtime.js");
			const result = await withSession(opts.dataDir, () =>
				invokeLocalFunction(localFunctionArn("EscalateOverdueAccounts"), { asOf: opts.asOf }),
			);
			printJson(result);
		});

	const executions = program.command("executions").description("Billing-cycle executions, as an operator reads them in the console");
	executions
		.command("list")
		.description("List executions, newest first")
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (opts: { dataDir: string; json?: boolean }) => {
			const { listExecutions } = await import("../operations.js");
			const list = await withSession(opts.dataDir, (s) => listExecutions(s.sfn, s.stateMachineArn));
			if (opts.json) return printJson(list);
			const rows = list.map((e) => ({
				name: e.name ?? "",
				status: e.status ?? "",
				started: e.startDate?.toISOString() ?? "",
				stopped: e.stopDate?.toISOString() ?? "",
			}));
			process.stdout.write(`${rows.length ? table(rows, ["name", "status", "started", "stopped"]) : "no executions"}\n`);
		});
	executions
		.command("show")
		.argument("<name>", "execution name, e.g. billing-2026-10")
		.description("Per state: status, timing, input and output; and the execution's output or error")
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (name: string, opts: { dataDir: string; json?: boolean }) => {
			const [{ DescribeExecutionCommand }, { executionHistory }, { executionArnFor, statesFromHistory }] = await Promise.all([
				import("@aws-sdk/client-sfn"),
				import("../../../shared/runs/history.js"),
				import("../operations.js"),
			]);
			const detail = await withSession(opts.dataDir, async (s) => {
				const executionArn = executionArnFor(s.stateMachineArn, name);
				const described = await s.sfn.send(new DescribeExecutionCommand({ executionArn }));
				const states = statesFromHistory(await executionHistory(s.sfn, executionArn));
				return {
					name,
					status: described.status,
					startDate: described.startDate,
					stopDate: described.stopDate,
					input: described.input ? JSON.parse(described.input) : undefined,
					output: described.output ? JSON.parse(described.output) : undefined,
					error: described.error,
					cause: described.cause,
					states,
				};
			});
			if (opts.json) return printJson(detail);
			process.stdout.write(
				`${name}: ${detail.status} (${detail.startDate?.toISOString()} -> ${detail.stopDate?.toISOString() ?? "running"})\n`,
			);
			if (detail.error) process.stdout.write(`error: ${detail.error}: ${detail.cause ?? ""}\n`);
			process.stdout.write(
				`${table(
					detail.states.map((st) => ({ state: st.name, type: st.type, status: st.status, ms: st.durationMs ?? "", error: st.error ?? "" })),
					["state", "type", "status", "ms", "error"],
				)}\n`,
			);
			process.stdout.write(`output:\n${JSON.stringify(detail.output ?? null, null, 2)}\n`);
		});
}
