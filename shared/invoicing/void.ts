import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { BillingError, TransientError, ValidationError } from "../core/errors.js";
import type { Invoice } from "../core/model.js";
import { auditPut } from "../store/audit.js";
import { keys } from "../store/keys.js";
import { ledgerEntryPut } from "../store/ledger.js";
import { getAccount, getInvoice, type TableDeps } from "../store/records.js";

const MAX_ATTEMPTS = 10;

export interface VoidDeps extends TableDeps {
	readonly now?: () => Date;
	readonly actor?: string;
}

export type VoidOutcome = { readonly outcome: "voided" | "already_void"; readonly invoice: Invoice };

/**
 * Voids an invoice nothing was paid or credited on. Its number stays used (the record
 * stays, status void, with the reason); the ledger reverses what it added to the balance
 * (invoice_voided, −(amount due + credit applied)) and account credit it consumed goes back
 * to the account. Invoice, account, ledger and audit entries change in one transaction.
 */
export async function voidInvoice(deps: VoidDeps, number: string, reason: string): Promise<VoidOutcome> {
	const why = reason.trim();
	if (why === "") throw new ValidationError("voiding an invoice needs a reason");
	for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		const invoice = await getInvoice(deps, number);
		if (!invoice) throw new BillingError(`no invoice ${number}`, 404);
		if (invoice.status === "void") return { outcome: "already_void", invoice };
		if (invoice.amountPaid > 0 || (invoice.creditMemoTotal ?? 0) > 0) {
			throw new ValidationError(
				`invoice ${number} has payments or credit memos against it: issue a credit memo for what remains instead of voiding it`,
			);
		}
		const account = await getAccount(deps, invoice.accountId);
		if (!account) throw new Error(`account ${invoice.accountId} of invoice ${number} does not exist`);
		const creditReturned = invoice.creditApplied ?? 0;
		const reversal = invoice.amountDue + creditReturned;
		const at = (deps.now?.() ?? new Date()).toISOString();
		const actor = deps.actor ?? "billing-cycle";
		const after: Invoice = { ...invoice, status: "void", amountDue: 0, voidReason: why };
		try {
			await deps.ddb.send(
				new TransactWriteCommand({
					TransactItems: [
						{
							Update: {
								TableName: deps.tableName,
								Key: keys.invoice(number),
								UpdateExpression: "SET #status = :void, amountDue = :zero, voidReason = :why REMOVE gsi2pk, gsi2sk",
								ConditionExpression: "#status = :statusRead AND amountDue = :dueRead AND amountPaid = :zero",
								ExpressionAttributeNames: { "#status": "status" },
								ExpressionAttributeValues: {
									":void": "void",
									":zero": 0,
									":why": why,
									":statusRead": invoice.status,
									":dueRead": invoice.amountDue,
								},
							},
						},
						{
							Update: {
								TableName: deps.tableName,
								Key: keys.account(account.accountId),
								UpdateExpression: "SET balance = :balance, creditBalance = :credit",
								ConditionExpression: "balance = :balanceRead AND creditBalance = :creditRead",
								ExpressionAttributeValues: {
									":balance": account.balance - reversal,
									":credit": account.creditBalance + creditReturned,
									":balanceRead": account.balance,
									":creditRead": account.creditBalance,
								},
							},
						},
						ledgerEntryPut(deps.tableName, {
							accountId: account.accountId,
							type: "invoice_voided",
							amount: -reversal,
							currency: invoice.currency,
							reference: number,
							at,
						}),
						auditPut(deps.tableName, {
							subject: "invoice",
							subjectId: number,
							action: "voided",
							actor,
							at,
							reason: why,
							before: { status: invoice.status, amountDue: invoice.amountDue },
							after: { status: "void", amountDue: 0 },
						}),
						auditPut(deps.tableName, {
							subject: "account",
							subjectId: account.accountId,
							action: "invoice_voided",
							actor,
							at,
							reason: number,
							before: { balance: account.balance, creditBalance: account.creditBalance },
							after: { balance: account.balance - reversal, creditBalance: account.creditBalance + creditReturned },
						}),
					],
				}),
			);
			return { outcome: "voided", invoice: after };
		} catch (err) {
			if (!(err instanceof TransactionCanceledException)) throw err;
			// A payment or another change landed in between: read again and decide again.
			await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
		}
	}
	throw new TransientError(`could not void invoice ${number} after ${MAX_ATTEMPTS} attempts`);
}
