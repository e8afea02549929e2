import type { Command } from "commander";
import { BillingError } from "../../../shared/core/errors.js";
import { formatMoney } from "../../../shared/core/money.js";
import { allInvoices, dataDirOption, invoiceJson, jsonOption, periodOption, printJson, table, withSession } from "./common.js";

const records = () => import("../../../shared/store/records.js");

/** Reading the billing data: accounts, invoices, payments. */
export function registerLedgerCommands(program: Command): void {
	const accounts = program.command("accounts").description("Customer accounts");
	accounts
		.command("list")
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (opts: { dataDir: string; json?: boolean }) => {
			const { listAccounts } = await records();
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
			const [{ getAccount, listInvoicesOfAccount, listLedgerEntries }, { withoutKeys }] = await Promise.all([
				records(),
				import("../../../shared/store/keys.js"),
			]);
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
			const { listInvoicesOfPeriod } = await records();
			const list = await withSession(opts.dataDir, async (s) => {
				if (!opts.period) return allInvoices(s);
				const invoices = await listInvoicesOfPeriod({ ddb: s.clients.ddb, tableName: s.tableName }, opts.period);
				return invoices.sort((a, b) => a.number.localeCompare(b.number));
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
			const { getInvoice } = await records();
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
			const { listPayments } = await records();
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
}
