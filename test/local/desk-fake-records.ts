/**
 * The records the desk app's fake API answers (desk-fake.ts), in the shapes of the desk API
 * contract: one account with two invoices, a payment not applied, two worklist items, one
 * run, a trial balance that ties out.
 */

export type FakeRole = "admin" | "billing" | "viewer";

const BILLING_OPERATIONS = [
	"accounts.update",
	"accounts.close",
	"accounts.refund-credit",
	"invoices.issue",
	"invoices.void",
	"invoices.hold",
	"invoices.release",
	"invoices.resend",
	"invoices.credit-memo",
	"invoices.write-off",
	"invoices.reverse-write-off",
	"invoices.reissue",
	"payments.apply",
	"payments.unapply",
	"payments.record",
	"worklist.assign",
];

export function capabilitiesOf(role: FakeRole): string[] {
	if (role === "viewer") return [];
	return role === "admin" ? [...BILLING_OPERATIONS, "books.close", "users.manage"] : BILLING_OPERATIONS;
}

export const INVOICE = {
	number: "INV-2026-000042",
	accountId: "ACC-0001",
	period: "2026-10",
	currency: "EUR",
	total: 30250,
	amountPaid: 0,
	amountDue: 30250,
	status: "open",
	issueDate: "2026-11-01",
	dueDate: "2026-12-01",
	allowedActions: ["invoices.void", "invoices.hold", "invoices.resend", "invoices.credit-memo", "invoices.write-off"],
};

const SECOND_INVOICE = {
	...INVOICE,
	number: "INV-2026-000043",
	total: 1999,
	amountDue: 1999,
	period: "2026-11",
	issueDate: "2026-12-01",
	dueDate: "2026-12-31",
};

const ACCOUNT = {
	accountId: "ACC-0001",
	name: "Acme GmbH",
	email: "billing@acme.example",
	currency: "EUR",
	status: "active",
	balance: 32249,
};

export const INVOICES = [INVOICE, SECOND_INVOICE];

export const ACCOUNT_PAGES = {
	first: {
		items: [
			ACCOUNT,
			{ ...ACCOUNT, accountId: "ACC-0002", name: "Bluth Company", email: "ap@bluth.example", currency: "USD", balance: -1500 },
		],
		nextCursor: "page-2",
	},
	second: { items: [{ ...ACCOUNT, accountId: "ACC-0003", name: "Cyberdyne", email: "ap@cyberdyne.example", balance: 0 }] },
};

export const ACCOUNT_DETAIL = {
	account: { ...ACCOUNT, addressLines: ["Hauptstraße 1", "10115 Berlin"], delivery: "email" },
	balance: ACCOUNT.balance,
	invoices: INVOICES,
	timeline: [
		{
			at: "2026-11-01T06:00:00.000Z",
			kind: "invoice",
			title: `${INVOICE.number} issued`,
			amount: INVOICE.total,
			currency: "EUR",
			reference: INVOICE.number,
		},
		{
			at: "2026-11-05T10:00:00.000Z",
			kind: "payment",
			title: "Payment received",
			amount: 50000,
			currency: "EUR",
			reference: "stripe:pi_1",
		},
		{ at: "2026-11-20T09:00:00.000Z", kind: "audit", title: "Email changed", actor: "ann@example.com (sub 1)", reason: "Customer asked" },
	],
	allowedActions: ["accounts.update", "accounts.close", "accounts.refund-credit", "invoices.issue"],
};

export const INVOICE_DETAIL = {
	invoice: {
		...INVOICE,
		lines: [
			{ description: "Pro plan, October 2026", quantity: 1, unitAmount: 25000, amount: 25000 },
			{ description: "API calls over the included 10,000", quantity: 50, unitAmount: 5, amount: 250 },
		],
		subtotal: 25250,
		tax: 5000,
	},
	payments: [],
	deliveries: [{ channel: "email", to: ACCOUNT.email, status: "sent", at: "2026-11-01T06:01:00.000Z" }],
	creditMemos: [],
	audit: [{ at: "2026-11-01T06:00:00.000Z", action: "issued", actor: "billing-cycle" }],
	allowedActions: INVOICE.allowedActions,
};

export const PAYMENT = {
	id: "stripe:pi_1",
	provider: "stripe",
	paymentId: "pi_1",
	accountId: "ACC-0001",
	amount: 50000,
	unappliedAmount: 50000,
	currency: "EUR",
	receivedAt: "2026-11-05T10:00:00.000Z",
	reference: "Acme remittance 11/05",
	status: "unapplied",
	allowedActions: ["payments.apply"],
	candidates: INVOICES.map((i) => ({ number: i.number, amountDue: i.amountDue, currency: "EUR", dueDate: i.dueDate })),
};

export const WORKLIST = {
	total: 2,
	items: [
		{
			id: "payment:stripe:pi_1",
			kind: "unapplied_payment",
			accountId: "ACC-0001",
			paymentId: "stripe:pi_1",
			amount: 50000,
			currency: "EUR",
			ageDays: 3,
			detail: "€500.00 received from Acme GmbH and not applied",
			resolve: "billing payments apply stripe:pi_1 --invoice INV-2026-000042",
			action: { operation: "payments.apply", input: { provider: "stripe", paymentId: "pi_1", invoiceNumber: INVOICE.number } },
		},
		{
			id: "hold:INV-2026-000043",
			kind: "invoice_on_hold",
			accountId: "ACC-0001",
			invoiceNumber: SECOND_INVOICE.number,
			ageDays: 12,
			detail: "Held by hand: customer disputes the usage",
			assignee: "ann@example.com",
			resolve: "billing invoices release INV-2026-000043",
			action: { operation: "invoices.release", input: { number: SECOND_INVOICE.number } },
		},
	],
};

export const TRIAL_BALANCE = {
	rows: [
		{ currency: "EUR", code: "1100", name: "Accounts receivable", opening: 0, debits: 30250, credits: 30250, closing: 0 },
		{ currency: "EUR", code: "4000", name: "Revenue", opening: 0, debits: 0, credits: 25250, closing: -25250 },
		{ currency: "EUR", code: "1000", name: "Cash", opening: 0, debits: 25250, credits: 0, closing: 25250 },
	],
	tieOut: [{ currency: "EUR", receivable: 0, customerCredit: 19750, customerBalances: -19750, differences: [] }],
};

export const EXECUTIONS = {
	items: [{ name: "billing-2026-10", status: "SUCCEEDED", startDate: "2026-11-01T00:00:00.000Z", stopDate: "2026-11-01T00:02:00.000Z" }],
};

export const executionDetail = (name: string) => ({
	name,
	status: "SUCCEEDED",
	graphSvg:
		'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120" viewBox="0 0 240 120"><style>rect{fill:#e6f4ea;stroke:#1d8102}</style><rect x="20" y="40" width="200" height="40" rx="6"/><text x="120" y="65" text-anchor="middle">Resolve Billing Period</text></svg>',
	states: [
		{
			name: "Resolve Billing Period",
			status: "SUCCEEDED",
			enteredAt: "2026-11-01T00:00:00.000Z",
			exitedAt: "2026-11-01T00:00:01.000Z",
			input: { period: "2026-10" },
			output: { billing: { period: "2026-10" } },
		},
	],
});

/** A one-page PDF, small enough to write here. */
export const TINY_PDF =
	"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
