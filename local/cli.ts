import { DescribeExecutionCommand } from "@aws-sdk/client-sfn";
import { Command, InvalidArgumentError, Option } from "commander";
import { getAccount, getInvoice, listAccounts, listInvoicesOfAccount, listLedgerEntries, listPayments, queryAll } from "../shared/db.js";
import { BillingError } from "../shared/errors.js";
import { type Invoice, invoiceSchema } from "../shared/model.js";
import { formatMoney } from "../shared/money.js";
import { parseIsoDate, parsePeriod, previousPeriod } from "../shared/period.js";
import { GSI1, withoutKeys } from "../shared/table.js";
import { formatDemoSummary, runDemo } from "./demo.js";
import { invokeLocalFunction, localFunctionArn } from "./lambda-runtime.js";
import { executionArnFor, executionHistory, listExecutions, runBillingCycle, statesFromHistory } from "./operations.js";
import { buildSeedData, seedDemoData } from "./seed.js";
import { openSession, progress, removeServeRecord, resolveDataDir, runningServe, writeServeRecord } from "./session.js";
import { DEFAULT_HTTP_PORT, startEmbeddedStack } from "./stack.js";

function positiveInt(value: string): number {
	const n = Number(value);
	if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
	return n;
}

function periodOption(value: string): string {
	try {
		return parsePeriod(value);
	} catch (err) {
		throw new InvalidArgumentError((err as Error).message);
	}
}

function dateOption(value: string): string {
	try {
		return parseIsoDate(value, "date");
	} catch (err) {
		throw new InvalidArgumentError((err as Error).message);
	}
}

const dataDirOption = () => new Option("--data-dir <dir>", "where the embedded stack keeps its data").default(".billing");
const jsonOption = () => new Option("--json", "print JSON only");

function printJson(value: unknown): void {
	process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function table(rows: readonly Record<string, string | number>[], columns: readonly string[]): string {
	const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? "").length)));
	const line = (cells: readonly string[]) =>
		cells
			.map((cell, i) => cell.padEnd(widths[i] ?? 0))
			.join("  ")
			.trimEnd();
	return [line(columns), ...rows.map((r) => line(columns.map((c) => String(r[c] ?? ""))))].join("\n");
}

/** Invoices in JSON carry integer minor units with their currency. */
function invoiceJson(invoice: Invoice, withLines: boolean) {
	const { lines, ...rest } = invoice;
	return withLines ? { ...rest, lines } : rest;
}

async function withSession<T>(dataDir: string, work: (s: Awaited<ReturnType<typeof openSession>>) => Promise<T>): Promise<T> {
	const session = await openSession(dataDir);
	try {
		return await work(session);
	} finally {
		await session.close();
	}
}

async function allInvoices(s: Awaited<ReturnType<typeof openSession>>): Promise<Invoice[]> {
	const accounts = await listAccounts({ ddb: s.clients.ddb, tableName: s.tableName });
	const invoices = (
		await Promise.all(accounts.map((a) => listInvoicesOfAccount({ ddb: s.clients.ddb, tableName: s.tableName }, a.accountId)))
	).flat();
	return invoices.sort((a, b) => a.number.localeCompare(b.number));
}

const program = new Command()
	.name("billing")
	.description("The automated billing cycle, embedded on this machine: invoices, payments, dunning and reports.")
	.showHelpAfterError();

program
	.command("demo")
	.description("Seed demo accounts, run a billing month end to end on the embedded stack, print its summary")
	.option("--accounts <n>", "number of demo accounts", positiveInt, 50)
	.option("--seed <s>", "seed for the demo data", positiveInt, 42)
	.option("--period <YYYY-MM>", "the month to bill (default: the previous month)", periodOption)
	.addOption(dataDirOption())
	.addOption(jsonOption())
	.action(async (opts: { accounts: number; seed: number; period?: string; dataDir: string; json?: boolean }) => {
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
		const dataDir = resolveDataDir(opts.dataDir);
		const other = runningServe(dataDir);
		if (other) throw new BillingError(`billing serve is already running on ${dataDir} (pid ${other.pid})`, 400);
		const stack = await startEmbeddedStack({ dataDir, httpPort: opts.port });
		writeServeRecord(dataDir, stack);
		const { http, dynamodb, s3, ses, stepfunctions } = stack.endpoints;
		process.stdout.write(`${JSON.stringify({ http, dynamodb, s3, ses, stepfunctions })}\n`);
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
		await withSession(opts.dataDir, async (s) => {
			const data = buildSeedData(opts.accounts, opts.seed, opts.period ?? previousPeriod(new Date()));
			await seedDemoData({ ddb: s.clients.ddb, tableName: s.tableName }, data);
			process.stdout.write(`seeded ${data.accounts.length} accounts and ${data.charges.length} charges\n`);
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
		const result = await withSession(opts.dataDir, (s) => runBillingCycle(s.sfn, s.stateMachineArn, opts, progress));
		printJson(result);
		if (result.status !== "SUCCEEDED") process.exitCode = 1;
	});

program
	.command("escalate")
	.description("Run the overdue-account escalation (dunning ladder) as of a date")
	.requiredOption("--as-of <YYYY-MM-DD>", "the date the ladder treats as today", dateOption)
	.addOption(dataDirOption())
	.action(async (opts: { asOf: string; dataDir: string }) => {
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

const accounts = program.command("accounts").description("Customer accounts");
accounts
	.command("list")
	.addOption(dataDirOption())
	.addOption(jsonOption())
	.action(async (opts: { dataDir: string; json?: boolean }) => {
		const list = await withSession(opts.dataDir, (s) => listAccounts({ ddb: s.clients.ddb, tableName: s.tableName }));
		if (opts.json) return printJson(list);
		process.stdout.write(
			`${table(
				list.map((a) => ({
					id: a.accountId,
					name: a.name,
					status: a.status,
					balance: formatMoney({ amount: a.balance, currency: a.currency }),
					email: a.email,
				})),
				["id", "name", "status", "balance", "email"],
			)}\n`,
		);
	});
accounts
	.command("show")
	.argument("<id>", "account id")
	.addOption(dataDirOption())
	.addOption(jsonOption())
	.action(async (id: string, opts: { dataDir: string; json?: boolean }) => {
		const detail = await withSession(opts.dataDir, async (s) => {
			const deps = { ddb: s.clients.ddb, tableName: s.tableName };
			const account = await getAccount(deps, id);
			if (!account) throw new BillingError(`no account ${id}`, 404);
			const ledger = (await listLedgerEntries(deps, id)).map((e) => withoutKeys(e));
			const invoices = (await listInvoicesOfAccount(deps, id)).map((i) => invoiceJson(i, false));
			return { ...account, invoices, ledger };
		});
		printJson(detail);
	});

const invoices = program.command("invoices").description("Invoices, addressed by their number");
invoices
	.command("list")
	.option("--period <YYYY-MM>", "only this period's invoices", periodOption)
	.addOption(dataDirOption())
	.addOption(jsonOption())
	.action(async (opts: { dataDir: string; json?: boolean; period?: string }) => {
		const list = await withSession(opts.dataDir, async (s) => {
			if (!opts.period) return allInvoices(s);
			const items = await queryAll(
				{ ddb: s.clients.ddb, tableName: s.tableName },
				{ IndexName: GSI1, KeyConditionExpression: "gsi1pk = :pk", ExpressionAttributeValues: { ":pk": `INVOICES#${opts.period}` } },
			);
			return items.map((i) => invoiceSchema.parse(withoutKeys(i)));
		});
		if (opts.json) return printJson(list.map((i) => invoiceJson(i, false)));
		process.stdout.write(
			`${table(
				list.map((i) => ({
					number: i.number,
					account: i.accountId,
					status: i.status,
					total: formatMoney({ amount: i.total, currency: i.currency }),
					due: formatMoney({ amount: i.amountDue, currency: i.currency }),
					dueDate: i.dueDate,
				})),
				["number", "account", "status", "total", "due", "dueDate"],
			)}\n`,
		);
	});
invoices
	.command("show")
	.argument("<number>", "invoice number, e.g. INV-2026-000001")
	.addOption(dataDirOption())
	.addOption(jsonOption())
	.action(async (number: string, opts: { dataDir: string; json?: boolean }) => {
		const invoice = await withSession(opts.dataDir, (s) => getInvoice({ ddb: s.clients.ddb, tableName: s.tableName }, number));
		if (!invoice) throw new BillingError(`no invoice ${number}`, 404);
		printJson(invoiceJson(invoice, true));
	});

const payments = program.command("payments").description("Payments received and how they were applied");
payments
	.command("list")
	.addOption(dataDirOption())
	.addOption(jsonOption())
	.action(async (opts: { dataDir: string; json?: boolean }) => {
		const list = await withSession(opts.dataDir, (s) => listPayments({ ddb: s.clients.ddb, tableName: s.tableName }));
		if (opts.json) return printJson(list);
		process.stdout.write(
			`${table(
				list.map((p) => ({
					payment: `${p.provider}:${p.paymentId}`,
					amount: formatMoney({ amount: p.amount, currency: p.currency }),
					status: p.status,
					invoice: p.invoiceNumber ?? "",
					reason: p.unappliedReason ?? "",
				})),
				["payment", "amount", "status", "invoice", "reason"],
			)}\n`,
		);
	});

try {
	await program.parseAsync(process.argv);
} catch (err) {
	const message = err instanceof Error ? err.message : String(err);
	process.stderr.write(`billing: ${message}\n`);
	process.exitCode = err instanceof BillingError && err.statusCode < 500 ? 2 : 1;
}
