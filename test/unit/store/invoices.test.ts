import { describe, expect, it } from "vitest";
import type { Invoice } from "../../../shared/core/model.js";
import { balanceChange, balanceChangeAsRead } from "../../../shared/store/accounts.js";
import {
	amountDueOf,
	creditMemoOnInvoice,
	holdOnInvoice,
	paymentOnInvoice,
	voidOnInvoice,
	writeOffOnInvoice,
} from "../../../shared/store/invoices.js";

const audit = { action: "test", actor: "unit", at: "2026-11-02T00:00:00.000Z" };

function invoice(overrides: Partial<Invoice> = {}): Invoice {
	return {
		number: "INV-2026-000001",
		accountId: "ACC-1",
		period: "2026-10",
		currency: "USD",
		status: "open",
		issueDate: "2026-11-01",
		dueDate: "2026-12-01",
		billTo: { name: "Acme", email: "ap@acme.test", addressLines: [] },
		lines: [],
		subtotal: 10000,
		tax: 0,
		total: 10000,
		amountPaid: 0,
		amountDue: 10000,
		pdfKey: "invoices/2026-10/INV-2026-000001.pdf",
		createdAt: "2026-11-01T00:00:00.000Z",
		...overrides,
	};
}

type Update = { UpdateExpression: string; ConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> };
type Put = { Item: Record<string, unknown> };
const update = (items: ReturnType<typeof paymentOnInvoice>) => items[0]?.Update as unknown as Update;
const auditEntry = (items: ReturnType<typeof paymentOnInvoice>) => (items[1]?.Put as unknown as Put | undefined)?.Item;

describe("the amount-due rule", () => {
	it("is total less paid, credit applied, credited and written off; nothing on a void invoice", () => {
		expect(amountDueOf(invoice({ amountPaid: 1000, creditApplied: 2000, credited: 300, amountWrittenOff: 700 }))).toBe(6000);
		expect(amountDueOf(invoice({ status: "void", amountPaid: 0 }))).toBe(0);
	});
});

describe("invoice changes", () => {
	it("a partial payment leaves the rest due, stays in the open-invoice index and is conditional on the invoice as read", () => {
		const items = paymentOnInvoice("t", invoice(), { paidDelta: 4000 }, audit);
		const u = update(items);
		expect(u.ExpressionAttributeValues).toMatchObject({
			":paid": 4000,
			":due": 6000,
			":status": "partially_paid",
			":expectedPaid": 0,
			":expectedDue": 10000,
			":gsi2pk": "OPEN_INVOICES",
			":gsi2sk": "2026-12-01#INV-2026-000001",
		});
		expect(u.ConditionExpression).toBe("amountPaid = :expectedPaid AND amountDue = :expectedDue");
		expect(auditEntry(items)).toMatchObject({
			pk: "INVOICE#INV-2026-000001",
			before: { status: "open", amountPaid: 0, amountDue: 10000 },
			after: { status: "partially_paid", amountPaid: 4000, amountDue: 6000 },
		});
	});

	it("a payment of what is due takes the invoice out of the open-invoice index; a refund puts it back", () => {
		expect(update(paymentOnInvoice("t", invoice(), { paidDelta: 10000 }, audit)).UpdateExpression).toMatch(/REMOVE gsi2pk, gsi2sk$/);
		const refunded = update(
			paymentOnInvoice("t", invoice({ status: "paid", amountPaid: 10000, amountDue: 0 }), { paidDelta: -2500 }, audit),
		);
		expect(refunded.ExpressionAttributeValues).toMatchObject({ ":paid": 7500, ":due": 2500, ":status": "partially_paid" });
		expect(refunded.UpdateExpression).toContain("gsi2pk = :gsi2pk");
	});

	it("a credit memo on a paid invoice changes nothing due and counts toward the memo total", () => {
		const items = creditMemoOnInvoice(
			"t",
			invoice({ status: "paid", amountPaid: 10000, amountDue: 0 }),
			{ amount: 2000, appliedToInvoice: 0 },
			audit,
		);
		expect(update(items).ExpressionAttributeValues).toMatchObject({ ":due": 0, ":status": "paid", ":credited": 0, ":memoTotal": 2000 });
		expect(auditEntry(items)).toMatchObject({ before: { status: "paid", amountDue: 0, credited: 0 }, after: { credited: 0 } });
	});

	it("a write-off adds to what was written off before and leaves the invoice uncollectible", () => {
		const reopened = invoice({ amountWrittenOff: 6000, amountDue: 4000, writeOff: { reason: "first", at: "2026-12-01" } });
		const u = update(writeOffOnInvoice("t", reopened, { reason: "second", at: "2027-01-01" }, audit));
		expect(u.ExpressionAttributeValues).toMatchObject({ ":status": "uncollectible", ":due": 0, ":writtenOff": 10000 });
		expect(u.UpdateExpression).toMatch(/REMOVE gsi2pk, gsi2sk$/);
	});

	it("a void owes nothing and keeps its reason", () => {
		const u = update(voidOnInvoice("t", invoice(), "wrong entity", audit));
		expect(u.ExpressionAttributeValues).toMatchObject({ ":status": "void", ":due": 0, ":voidReason": "wrong entity" });
		expect(u.ConditionExpression).toBe("#status = :expectedStatus AND amountDue = :expectedDue AND attribute_not_exists(voidReason)");
	});

	it("a hold change is conditional on the hold as read and touches no amount", () => {
		const hold = { reason: "complaint", since: "2026-12-02" };
		const set = update(holdOnInvoice("t", invoice(), hold, audit));
		expect(set.ConditionExpression).toBe("attribute_exists(pk) AND attribute_not_exists(#hold)");
		expect(set.UpdateExpression).toBe("SET #hold = :hold");
		const release = update(holdOnInvoice("t", invoice({ hold }), null, audit));
		expect(release.UpdateExpression).toBe("REMOVE #hold");
		expect(release.ExpressionAttributeValues).toEqual({ ":expectedHold": hold });
	});
});

describe("account balance changes", () => {
	it("without a read: an atomic add that checks the account, its currency and the credit taken", () => {
		const paid = balanceChange("t", {
			accountId: "ACC-1",
			balanceDelta: -12500,
			creditDelta: 2500,
			currency: "USD",
			recordedAt: audit.at,
		}).Update;
		expect(paid?.UpdateExpression).toBe("SET balance = balance - :amount, creditBalance = if_not_exists(creditBalance, :zero) + :credit");
		expect(paid?.ExpressionAttributeValues).toEqual({
			":amount": 12500,
			":credit": 2500,
			":zero": 0,
			":currency": "USD",
			":recordedAt": audit.at,
		});
		const refund = balanceChange("t", { accountId: "ACC-1", balanceDelta: 2500, creditDelta: -2500, recordedAt: audit.at }).Update;
		expect(refund?.ConditionExpression).toBe(
			"attribute_exists(pk) AND (attribute_not_exists(statementCutoff) OR statementCutoff < :recordedAt) AND creditBalance >= :credit",
		);
	});

	it("on the account as read: absolute values, conditional on what was read, with the audit entry's before and after", () => {
		const [change, entry] = balanceChangeAsRead(
			"t",
			{ accountId: "ACC-1", balance: -2000, creditBalance: 2000 },
			{ balanceDelta: 11000, creditDelta: -2000, recordedAt: audit.at },
			{ action: "invoice_issued", actor: "unit", at: audit.at },
		);
		expect(change?.Update?.ExpressionAttributeValues).toEqual({
			":recordedAt": audit.at,
			":balance": 9000,
			":credit": 0,
			":balanceRead": -2000,
			":creditRead": 2000,
		});
		expect(entry?.Put?.Item).toMatchObject({ before: { balance: -2000, creditBalance: 2000 }, after: { balance: 9000, creditBalance: 0 } });
	});
});
