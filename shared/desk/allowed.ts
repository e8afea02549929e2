import type { Account, Invoice, Payment } from "../core/model.js";
import { creditableAmount } from "../invoicing/credit-memos.js";
import { findOperation } from "./catalog.js";
import { type Role, roleAllows } from "./roles.js";

/**
 * The operations a record's state permits and the caller's role may use: the desk shows
 * exactly these buttons. They are a guide for the page only; each operation checks the
 * record again on the server and refuses what its state does not allow.
 */
function permitted(role: Role, candidates: readonly (string | false)[]): string[] {
	return candidates.filter((name): name is string => {
		if (!name) return false;
		const operation = findOperation(name);
		return operation !== undefined && roleAllows(role, operation.role);
	});
}

export function invoiceActions(invoice: Invoice, role: Role): string[] {
	const unpaid = invoice.status === "open" || invoice.status === "partially_paid";
	return permitted(role, [
		invoice.status !== "void" && invoice.amountPaid === 0 && (invoice.creditMemoTotal ?? 0) === 0 && "invoices.void",
		invoice.status === "void" && !invoice.reissuedAs && "invoices.reissue",
		unpaid && !invoice.hold && "invoices.hold",
		invoice.hold !== undefined && (invoice.hold.disputeIds ?? []).length === 0 && "invoices.release",
		invoice.status !== "void" && "invoices.resend",
		unpaid && invoice.amountDue > 0 && "invoices.write-off",
		(invoice.amountWrittenOff ?? 0) > 0 && "invoices.reverse-write-off",
		invoice.status !== "void" && creditableAmount(invoice) > 0 && "invoices.credit-memo",
	]);
}

export function accountActions(account: Account, role: Role): string[] {
	return permitted(role, [
		"accounts.update",
		account.status !== "closed" && "accounts.close",
		account.creditBalance > 0 && "accounts.refund-credit",
		account.status !== "closed" && "invoices.issue",
	]);
}

export function paymentActions(payment: Payment, role: Role): string[] {
	return permitted(role, [payment.unappliedAmount > 0 && "payments.apply", payment.applications.length > 0 && "payments.unapply"]);
}
