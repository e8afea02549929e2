import { type Command, InvalidArgumentError, Option } from "commander";
import { EINVOICE_KINDS, type EInvoiceKind } from "../../../shared/core/einvoice-account.js";
import { BillingError } from "../../../shared/core/errors.js";
import { formatMoney } from "../../../shared/core/money.js";
import { PAYMENT_REF_FORM, parsePaymentRef } from "../../../shared/desk/payment-ref.js";
import type { OneOffLine } from "../../../shared/invoicing/one-off.js";
import type { TableDeps } from "../../../shared/store/records.js";
import { AMOUNT_HELP, actorOption, dataDirOption, dateOption, jsonOption, performOperation, printJson, typedAmount } from "./common.js";

/** The billing desk (DESIGN.md section 9): what a billing specialist changes by hand, each one transaction with its audit entry. */

/** `stripe:pi_123`, `bank:…`: payments are identified by their provider and the provider's id. */
function paymentRef(value: string): { provider: string; paymentId: string } {
	const payment = parsePaymentRef(value);
	if (!payment) throw new InvalidArgumentError(`must be ${PAYMENT_REF_FORM}`);
	return payment;
}

/** `--line "Setup fee, 1, 250.00"`: the description may hold commas; quantity and unit price are the last two fields. */
function oneOffLine(value: string, previous: OneOffLine[] = []): OneOffLine[] {
	const parts = value.split(",");
	const unitPrice = parts.pop()?.trim() ?? "";
	const quantity = parts.pop()?.trim() ?? "";
	const description = parts.join(",").trim();
	if (description === "" || !/^\d+$/.test(quantity) || unitPrice === "") {
		throw new InvalidArgumentError('must be "description,quantity,unit price", e.g. "Setup fee,1,250.00"');
	}
	return [...previous, { description, quantity: Number(quantity), unitPrice }];
}

/** An empty option value (`--vat-id ''`) clears the field: null to the operation. */
const cleared = (value: string | undefined): string | null | undefined =>
	value === undefined ? undefined : value.trim() === "" ? null : value;

const accountOperations = () => import("../../../shared/desk/operations/accounts.js");
const invoiceOperations = () => import("../../../shared/desk/operations/invoices.js");
const paymentOperations = () => import("../../../shared/desk/operations/payments.js");

const group = (program: Command, name: string) => program.commands.find((c) => c.name() === name) ?? program.command(name);

export function registerDeskCommands(program: Command): void {
	const accounts = group(program, "accounts");
	accounts
		.command("update")
		.description("Correct where and how an account's documents go, and the e-invoice it needs")
		.argument("<id>", "account id")
		.option("--email <address>", "the address invoices and statements are emailed to; a new one clears a bounce or complaint")
		.option(
			"--email-confirmed",
			"the address SES reported bounced or complained from works again (the customer confirmed it): email it again",
		)
		.option("--address <lines>", "the postal address, its lines joined by a vertical bar: '1 Main St|Springfield'")
		.addOption(new Option("--delivery <channel>", "how documents go").choices(["email", "postal"]))
		.addOption(
			new Option("--einvoice <kind>", "the structured e-invoice each document is also issued as; none takes it off").choices(
				EINVOICE_KINDS,
			),
		)
		.option("--vat-id <id>", "the customer's VAT id, e.g. BE0123456749; '' clears it")
		.option("--peppol-id <scheme:identifier>", "the customer's Peppol participant id, e.g. 0208:0123456749; '' clears it")
		.option("--buyer-reference <reference>", "the buyer reference (BT-10), e.g. a Leitweg-ID for XRechnung; '' clears it")
		.option("--city <city>", "the customer's city, as its e-invoices name it; '' clears it")
		.option("--postal-code <code>", "the customer's post code, as its e-invoices name it; '' clears it")
		.option("--country <code>", "the customer's country, ISO 3166-1 alpha-2 (DE, BE, FR); '' clears it")
		.option("--reason <text>", "why, for the audit trail")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(
			async (
				id: string,
				opts: {
					email?: string;
					emailConfirmed?: boolean;
					address?: string;
					delivery?: "email" | "postal";
					einvoice?: EInvoiceKind;
					vatId?: string;
					peppolId?: string;
					buyerReference?: string;
					city?: string;
					postalCode?: string;
					country?: string;
					reason?: string;
					actor: string;
					dataDir: string;
				},
			) => {
				const result = await performOperation(
					opts.dataDir,
					(await accountOperations()).updateAccount,
					{
						accountId: id,
						email: opts.email,
						addressLines: opts.address?.split("|").map((l) => l.trim()),
						delivery: opts.delivery,
						emailConfirmed: opts.emailConfirmed,
						einvoice: opts.einvoice,
						vatId: cleared(opts.vatId),
						peppolId: cleared(opts.peppolId),
						buyerReference: cleared(opts.buyerReference),
						city: cleared(opts.city),
						postalCode: cleared(opts.postalCode),
						country: cleared(opts.country),
						reason: opts.reason,
					},
					opts.actor,
				);
				printJson({ outcome: result.outcome, account: result.account });
			},
		);
	accounts
		.command("close")
		.description("Close an account: no new invoice from the next run on, statements while it owes")
		.argument("<id>", "account id")
		.requiredOption("--on <YYYY-MM-DD>", "the day it closes", dateOption)
		.option("--reason <text>", "why, for the audit trail")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (id: string, opts: { on: string; reason?: string; actor: string; dataDir: string }) => {
			printJson(
				await performOperation(
					opts.dataDir,
					(await accountOperations()).closeAccountOperation,
					{ accountId: id, on: opts.on, reason: opts.reason },
					opts.actor,
				),
			);
		});

	const invoices = group(program, "invoices");
	invoices
		.command("issue")
		.description("Issue a one-off invoice in the same series, taxed like any other, and deliver it by the account's channel")
		.requiredOption("--account <id>", "account id")
		.requiredOption(
			"--line <description,quantity,unit price>",
			"a line; repeat for more (unit price in major units, e.g. 250.00)",
			oneOffLine,
		)
		.option("--date <YYYY-MM-DD>", "issue date (default: today)", dateOption)
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (opts: { account: string; line: OneOffLine[]; date?: string; actor: string; dataDir: string }) => {
			printJson(
				await performOperation(
					opts.dataDir,
					(await invoiceOperations()).issueInvoice,
					{ accountId: opts.account, lines: opts.line, date: opts.date },
					opts.actor,
				),
			);
		});
	invoices
		.command("reissue")
		.description("After a void: the corrected invoice for the same account and period, from the account's current data, delivered at once")
		.argument("<number>", "the void invoice")
		.option("--as-of <YYYY-MM-DD>", "issue date (default: today)", dateOption)
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (number: string, opts: { asOf?: string; actor: string; dataDir: string }) => {
			printJson(await performOperation(opts.dataDir, (await invoiceOperations()).reissue, { number, asOf: opts.asOf }, opts.actor));
		});
	invoices
		.command("hold")
		.description("Put an invoice on hold (a complaint): dunning passes it by until it is released")
		.argument("<number>", "invoice number")
		.requiredOption("--reason <text>", "why it is held")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (number: string, opts: { reason: string; actor: string; dataDir: string }) => {
			printJson(await performOperation(opts.dataDir, (await invoiceOperations()).hold, { number, reason: opts.reason }, opts.actor));
		});
	invoices
		.command("release")
		.description("Release a hold set by hand: dunning takes the invoice up again")
		.argument("<number>", "invoice number")
		.option("--reason <text>", "how the complaint was resolved")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (number: string, opts: { reason?: string; actor: string; dataDir: string }) => {
			printJson(await performOperation(opts.dataDir, (await invoiceOperations()).release, { number, reason: opts.reason }, opts.actor));
		});
	invoices
		.command("resend")
		.description("Send an invoice, and its statement, again to the account's address as it is now; every attempt is kept")
		.argument("<number>", "invoice number")
		.addOption(new Option("--channel <channel>", "how to send it").choices(["email"]).default("email"))
		.requiredOption("--reason <text>", "why it is sent again, for the audit trail")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (number: string, opts: { channel: "email"; reason: string; actor: string; dataDir: string }) => {
			const result = await performOperation(
				opts.dataDir,
				(await invoiceOperations()).resend,
				{ number, channel: opts.channel, reason: opts.reason },
				opts.actor,
			);
			printJson(result);
			if (result.outcome === "failed") process.exitCode = 1;
		});

	const payments = group(program, "payments");
	payments
		.command("apply")
		.description("Apply unapplied cash to an invoice by hand")
		.argument("<payment>", "PROVIDER:ID, e.g. stripe:pi_123", paymentRef)
		.requiredOption("--invoice <number>", "the invoice it pays")
		.option("--amount <amount>", `how much of it, ${AMOUNT_HELP} (default: what is unapplied or due, whichever is less)`)
		.addOption(actorOption())
		.addOption(dataDirOption())
		.addOption(jsonOption())
		.action(
			async (
				payment: { provider: string; paymentId: string },
				opts: { invoice: string; amount?: string; actor: string; dataDir: string; json?: boolean },
			) => {
				const { amount } = opts;
				const applied = await performOperation(
					opts.dataDir,
					(await paymentOperations()).applyPayment,
					async (table) => ({
						...payment,
						invoiceNumber: opts.invoice,
						amount: amount === undefined ? undefined : await typedAmount(amount, await currencyOfPayment(table, payment)),
					}),
					opts.actor,
				);
				if (opts.json) return printJson(applied);
				const money = (amount: number) => formatMoney({ amount, currency: applied.currency });
				process.stdout.write(
					`${payment.provider}:${payment.paymentId} applied to ${opts.invoice}; ${money(applied.unappliedAmount)} of it still unapplied\n`,
				);
			},
		);
	payments
		.command("unapply")
		.description("Take a wrong application back: the invoice owes it again, the cash is unapplied again, left to people to place")
		.argument("<payment>", "PROVIDER:ID, e.g. stripe:pi_123", paymentRef)
		.requiredOption("--invoice <number>", "the invoice it was wrongly applied to")
		.requiredOption("--reason <text>", "why, on the ledger entry and the audit trail")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(
			async (
				payment: { provider: string; paymentId: string },
				opts: { invoice: string; reason: string; actor: string; dataDir: string },
			) => {
				printJson(
					await performOperation(
						opts.dataDir,
						(await paymentOperations()).unapplyPayment,
						{ ...payment, invoiceNumber: opts.invoice, reason: opts.reason },
						opts.actor,
					),
				);
			},
		);
	payments
		.command("refund-credit")
		.description("Pay account credit back to the customer (the money leaves outside the system)")
		.requiredOption("--account <id>", "account id")
		.requiredOption("--amount <amount>", `how much, ${AMOUNT_HELP}`)
		.requiredOption("--reason <text>", "why, on the ledger entry and the audit trail")
		.addOption(actorOption())
		.addOption(dataDirOption())
		.action(async (opts: { account: string; amount: string; reason: string; actor: string; dataDir: string }) => {
			printJson(
				await performOperation(
					opts.dataDir,
					(await accountOperations()).refundCredit,
					async (table) => ({
						accountId: opts.account,
						amount: await typedAmount(opts.amount, await currencyOfAccount(table, opts.account)),
						reason: opts.reason,
					}),
					opts.actor,
				),
			);
		});
}

async function currencyOfPayment(table: TableDeps, payment: { provider: string; paymentId: string }): Promise<string> {
	const { getPayment } = await import("../../../shared/store/payments.js");
	const found = await getPayment(table, payment.provider, payment.paymentId);
	if (!found) throw new BillingError(`no payment ${payment.provider}:${payment.paymentId}`, 404);
	return found.currency;
}

async function currencyOfAccount(table: TableDeps, accountId: string): Promise<string> {
	const { getAccount } = await import("../../../shared/store/records.js");
	const found = await getAccount(table, accountId);
	if (!found) throw new BillingError(`no account ${accountId}`, 404);
	return found.currency;
}
