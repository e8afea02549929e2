import { writeFileSync } from "node:fs";
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
		.option("--einvoice", "print the invoice's stored e-invoice (UBL or CII XML) instead")
		.option("--out <file>", "with --einvoice: write it to this file")
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (number: string, opts: { einvoice?: boolean; out?: string; dataDir: string; json?: boolean }) => {
			if (opts.out && !opts.einvoice) throw new BillingError("--out writes the e-invoice: give --einvoice with it", 400);
			const { getInvoice } = await records();
			const { invoice, einvoice } = await withSession(opts.dataDir, async (s) => {
				const deps = { ddb: s.clients.ddb, tableName: s.tableName, s3: s.clients.s3, bucketName: s.bucketName };
				const found = await getInvoice(deps, number);
				if (!found) throw new BillingError(`no invoice ${number}`, 404);
				if (!opts.einvoice) return { invoice: found, einvoice: undefined };
				const { readStoredEinvoice } = await import("../../../shared/einvoicing/issue.js");
				return { invoice: found, einvoice: await readStoredEinvoice(deps, "invoice", number) };
			});
			if (!einvoice) return printJson(invoiceJson(invoice, true));
			if (!opts.out) return void process.stdout.write(Buffer.from(einvoice.xml));
			writeFileSync(opts.out, einvoice.xml);
			process.stdout.write(
				`${opts.out}: the ${einvoice.profile} e-invoice of ${number} (${einvoice.xml.byteLength} bytes, stored as ${einvoice.key})\n`,
			);
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
