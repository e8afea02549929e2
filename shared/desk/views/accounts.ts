import pMap from "p-map";
import { BillingError } from "../../core/errors.js";
import { type Account, accountSchema } from "../../core/model.js";
import { listAuditEntries } from "../../store/audit.js";
import { dunningRecords } from "../../store/collections.js";
import { GSI1, keys } from "../../store/keys.js";
import { type Page, queryPage } from "../../store/pages.js";
import { getAccount, listInvoicesOfAccount, listLedgerEntries, parseRecord, queryAll, type TableDeps } from "../../store/records.js";
import { readStatement } from "../../store/statements.js";
import { accountActions } from "../allowed.js";
import type { Role } from "../roles.js";
import { invoiceSummary } from "./invoices.js";

export interface AccountSummary {
	readonly accountId: string;
	readonly name: string;
	readonly email: string;
	readonly currency: string;
	readonly status: Account["status"];
	readonly balance: number;
	readonly creditBalance: number;
}

function summary(account: Account): AccountSummary {
	const { accountId, name, email, currency, status, balance, creditBalance } = account;
	return { accountId, name, email, currency, status, balance, creditBalance };
}

/** Accounts by id, a page at a time; `query` keeps those whose id starts with it or whose name or email holds it. */
export async function accountsPage(
	deps: TableDeps,
	request: { readonly query?: string; readonly cursor?: string; readonly limit: number },
): Promise<Page<AccountSummary>> {
	const query = request.query?.trim().toLowerCase() ?? "";
	const page = await queryPage(
		deps,
		{ IndexName: GSI1, KeyConditionExpression: "gsi1pk = :pk", ExpressionAttributeValues: { ":pk": "ACCOUNTS" } },
		{
			limit: request.limit,
			...(request.cursor ? { cursor: request.cursor } : {}),
			...(query
				? {
						keep: (item) =>
							String(item.accountId).toLowerCase().startsWith(query) ||
							String(item.name).toLowerCase().includes(query) ||
							String(item.email).toLowerCase().includes(query),
					}
				: {}),
		},
	);
	return { ...page, items: page.items.map((item) => summary(parseRecord(accountSchema, item))) };
}

export interface TimelineEntry {
	readonly at: string;
	readonly kind: "invoice" | "payment" | "credit_memo" | "statement" | "dunning" | "audit" | "ledger";
	readonly title: string;
	readonly amount?: number;
	readonly currency?: string;
	readonly reference?: string;
	readonly invoiceNumber?: string;
	readonly actor?: string;
	readonly reason?: string;
}

const LEDGER_KIND: Record<string, TimelineEntry["kind"]> = {
	invoice_issued: "invoice",
	payment_applied: "payment",
	account_credit: "payment",
	credit_memo: "credit_memo",
};

/** The account with its invoices and one timeline of what happened to it: ledger, statements, dunning, and the desk's changes. */
export async function accountDetail(deps: TableDeps, accountId: string, role: Role) {
	const account = await getAccount(deps, accountId);
	if (!account) throw new BillingError(`no account ${accountId}`, 404);
	const [invoices, ledger, statements, audit] = await Promise.all([
		listInvoicesOfAccount(deps, accountId),
		listLedgerEntries(deps, accountId),
		queryAll(deps, {
			KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
			ExpressionAttributeValues: { ":pk": keys.account(accountId).pk, ":prefix": "STATEMENT#" },
		}),
		listAuditEntries(deps, "account", accountId),
	]);
	const dunning = (await pMap(invoices, (i) => dunningRecords(deps, i.number), { concurrency: 4 })).flat();
	const timeline: TimelineEntry[] = [
		...ledger.map((e) => ({
			at: e.recordedAt,
			kind: LEDGER_KIND[e.type] ?? "ledger",
			title: e.type.replaceAll("_", " "),
			amount: e.amount,
			currency: e.currency,
			reference: e.reference,
			...(e.invoiceNumber ? { invoiceNumber: e.invoiceNumber } : {}),
		})),
		...statements.flatMap((item) => {
			const statement = readStatement(item);
			if (!statement) return [];
			return [
				{
					at: statement.cutoff,
					kind: "statement" as const,
					title: `statement ${statement.period}`,
					amount: statement.closingBalance,
					currency: statement.currency,
				},
			];
		}),
		...dunning.map((d) => ({
			at: d.asOf,
			kind: "dunning" as const,
			title: `${d.stage.replaceAll("_", " ")} ${d.status}`,
			invoiceNumber: d.invoiceNumber,
		})),
		...audit.map((a) => ({
			at: a.at,
			kind: "audit" as const,
			title: a.action.replaceAll("_", " "),
			actor: a.actor,
			...(a.reason ? { reason: a.reason } : {}),
		})),
	].sort((a, b) => b.at.localeCompare(a.at));
	return {
		account,
		balance: account.balance,
		invoices: invoices.map((i) => invoiceSummary(i, role)),
		timeline,
		allowedActions: accountActions(account, role),
	};
}
