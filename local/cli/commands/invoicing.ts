import type { Command } from "commander";
import { BillingError } from "../../../shared/core/errors.js";
import { formatMoney } from "../../../shared/core/money.js";
import type { CreditMemoEinvoice } from "../../../shared/invoicing/credit-memos.js";
import type { Session } from "../session.js";
import {
	AMOUNT_HELP,
	actorOption,
	dataDirOption,
	dateOption,
	invoiceJson,
	jsonOption,
	performOperation,
	periodOption,
	printJson,
	table,
	typedAmount,
	withSession,
} from "./common.js";

/** The audit trail names the person at the keyboard unless told otherwise. */

const invoiceOperations = () => import("../../../shared/desk/operations/invoices.js");

async function invoicingDeps(s: Session, actor: string) {
	const { documentRetention, sellerConfig } = await import("../../../shared/platform/config.js");
	return {
		ddb: s.clients.ddb,
		s3: s.clients.s3,
		tableName: s.tableName,
		bucketName: s.bucketName,
		seller: sellerConfig(),
		documentRetention: documentRetention(),
		actor,
	};
}

/** What became of a credit memo's e-invoice, in a line; the exit code says a refusal (2, as for refused input). */
function einvoiceLine(number: string, einvoice: CreditMemoEinvoice | undefined): string {
	if (!einvoice) return "";
	if (einvoice.status === "stored") {
		return `E-invoice (${einvoice.profile}): ${einvoice.pdfKey ?? einvoice.key}${einvoice.warnings ? `, ${einvoice.warnings} warnings` : ""}\n`;
	}
	process.exitCode = 2;
	const rules = einvoice.findings.filter((f) => f.severity === "fatal").map((f) => `  ${f.ruleId}: ${f.message}`);
	return `E-invoice (${einvoice.profile}) of ${number} refused by the rules; correct the account, then billing credit-memo einvoice ${number}:\n${rules.join("\n")}\n`;
}

/** Changing invoices after they are issued: credit memos and voids, each with an audit entry. */
export function registerInvoicingCommands(program: Command): void {
	const memos = program.command("credit-memo").description("Credit memos against invoices, numbered in their own series");
	memos
		.command("create")
		.description("Credit part or all of an invoice: reduces its amount due, or becomes account credit if it is paid")
		.requiredOption("--invoice <number>", "the invoice to credit, e.g. INV-2026-000001")
		.requiredOption("--amount <amount>", `how much, ${AMOUNT_HELP}`)
		.requiredOption("--reason <text>", "why, printed on the credit memo")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (opts: { invoice: string; amount: string; reason: string; actor: string; dataDir: string; json?: boolean }) => {
			const memo = await performOperation(
				opts.dataDir,
				(await invoiceOperations()).creditMemo,
				async (table) => {
					const { getInvoice } = await import("../../../shared/store/records.js");
					const invoice = await getInvoice(table, opts.invoice);
					if (!invoice) throw new BillingError(`no invoice ${opts.invoice}`, 404);
					return { number: opts.invoice, amount: await typedAmount(opts.amount, invoice.currency), reason: opts.reason };
				},
				opts.actor,
			);
			if (opts.json) {
				printJson(memo);
				if (memo.einvoice?.status === "refused") process.exitCode = 2;
				return;
			}
			const money = (amount: number) => formatMoney({ amount, currency: memo.currency });
			process.stdout.write(
				`${memo.number} credits ${money(memo.amount)} on ${memo.invoiceNumber}: ${money(memo.appliedToInvoice)} off the amount due, ${money(memo.addedToAccountCredit)} to account credit. PDF: ${memo.pdfKey}\n${einvoiceLine(memo.number, memo.einvoice)}`,
			);
		});
	memos
		.command("einvoice")
		.description("Make, check and store a credit memo's e-invoice again, after its account was corrected (the worklist names refused ones)")
		.argument("<number>", "credit memo number, e.g. CM-2026-000001")
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (number: string, opts: { dataDir: string; json?: boolean }) => {
			const { issueCreditMemoEinvoice } = await import("../../../shared/invoicing/credit-memos.js");
			const einvoice = await withSession(opts.dataDir, async (s) => issueCreditMemoEinvoice(await invoicingDeps(s, "cli"), number));
			if (!einvoice) throw new BillingError(`credit memo ${number}'s account needs no e-invoice (einvoice none)`, 400);
			if (opts.json) {
				printJson(einvoice);
				if (einvoice.status === "refused") process.exitCode = 2;
				return;
			}
			process.stdout.write(einvoiceLine(number, einvoice));
		});
	memos
		.command("list")
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (opts: { dataDir: string; json?: boolean }) => {
			const { listCreditMemos } = await import("../../../shared/store/credit-memos.js");
			const list = await withSession(opts.dataDir, (s) => listCreditMemos({ ddb: s.clients.ddb, tableName: s.tableName }));
			if (opts.json) return printJson(list);
			process.stdout.write(
				`${table(
					list.map((m) => ({
						number: m.number,
						invoice: m.invoiceNumber,
						amount: formatMoney({ amount: m.amount, currency: m.currency }),
						reason: m.reason,
					})),
					["number", "invoice", "amount", "reason"],
				)}\n`,
			);
		});

	program
		.command("statements")
		.description("Statements of account for a period")
		.command("issue")
		.description("Issue the period's statement PDF for every account with activity or an open balance (once per account and period)")
		.requiredOption("--period <YYYY-MM>", "the statement period", periodOption)
		.option("--date <YYYY-MM-DD>", "statement date, for the aging (default: today)", dateOption)
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (opts: { period: string; date?: string; dataDir: string; json?: boolean }) => {
			const { issueStatements } = await import("../../../shared/invoicing/statements.js");
			const statements = await withSession(opts.dataDir, async (s) =>
				issueStatements(await invoicingDeps(s, "cli"), opts.period, opts.date ?? new Date().toISOString().slice(0, 10)),
			);
			if (opts.json) return printJson(statements);
			process.stdout.write(
				`${table(
					statements.map((st) => ({
						account: st.accountId,
						opening: formatMoney({ amount: st.openingBalance, currency: st.currency }),
						closing: formatMoney({ amount: st.closingBalance, currency: st.currency }),
						pdf: st.pdfKey,
					})),
					["account", "opening", "closing", "pdf"],
				)}\n`,
			);
		});

	const invoices = program.commands.find((c) => c.name() === "invoices") ?? program.command("invoices");
	invoices
		.command("void")
		.description("Void an unpaid invoice: its number stays used, the reason is recorded, the ledger reverses what was due")
		.argument("<number>", "invoice number")
		.requiredOption("--reason <text>", "why the invoice is void")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (number: string, opts: { reason: string; actor: string; dataDir: string; json?: boolean }) => {
			const result = await performOperation(
				opts.dataDir,
				(await invoiceOperations()).voidOperation,
				{ number, reason: opts.reason },
				opts.actor,
			);
			if (opts.json) return printJson({ outcome: result.outcome, ...invoiceJson(result.invoice, false) });
			process.stdout.write(
				`${number}: ${result.outcome === "voided" ? "voided" : "was already void"} (${result.invoice.voidReason ?? ""})\n`,
			);
		});
	invoices
		.command("history")
		.description("The invoice's audit trail: who or what changed it, when, before and after")
		.argument("<number>", "invoice number")
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(async (number: string, opts: { dataDir: string; json?: boolean }) => {
			const { listAuditEntries } = await import("../../../shared/store/audit.js");
			const entries = await withSession(opts.dataDir, (s) =>
				listAuditEntries({ ddb: s.clients.ddb, tableName: s.tableName }, "invoice", number),
			);
			if (entries.length === 0) throw new BillingError(`no history for invoice ${number}`, 404);
			if (opts.json) return printJson(entries);
			process.stdout.write(
				`${table(
					entries.map((e) => ({
						at: e.at,
						action: e.action,
						actor: e.actor,
						reason: e.reason ?? "",
						booked: e.requestedOn ? `${e.bookedOn} (asked for ${e.requestedOn})` : (e.bookedOn ?? ""),
						after: JSON.stringify(e.after),
					})),
					["at", "action", "actor", "reason", "booked", "after"],
				)}\n`,
			);
		});
}
