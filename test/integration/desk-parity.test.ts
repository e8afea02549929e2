import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BillingError } from "../../shared/core/errors.js";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { handleDeskRequest } from "../../shared/desk/api.js";
import { deskOperations } from "../../shared/desk/catalog.js";
import { perform } from "../../shared/desk/operation.js";
import { hold, voidOperation, writeOff } from "../../shared/desk/operations/invoices.js";
import { applyPayment } from "../../shared/desk/operations/payments.js";
import { type Caller, userActor } from "../../shared/desk/roles.js";
import { deskRoutes } from "../../shared/desk/routes.js";
import { deskServices } from "../../shared/desk/services.js";
import { listUsers, requireUserPool } from "../../shared/desk/users.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { recordPayment } from "../../shared/payments/recording.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { putAccount } from "../../shared/store/accounts.js";
import { listAuditEntries } from "../../shared/store/audit.js";
import { listPeriodCloses } from "../../shared/store/books.js";
import { listCreditMemos } from "../../shared/store/credit-memos.js";
import { getDelivery } from "../../shared/store/deliveries.js";
import { keys } from "../../shared/store/keys.js";
import { getAccount, listInvoicesOfAccount, listLedgerEntries, listPayments } from "../../shared/store/records.js";
import { getWebhookEndpoint, listDeliveries } from "../../shared/store/webhooks.js";
import { listAssignments } from "../../shared/store/worklist.js";
import { testAccount } from "../support/accounts.js";
import { type CliResult, cliInProcess } from "../support/cli.js";
import { startTestStack } from "../support/embedded.js";

/**
 * The CLI and the desk API are two adapters over one catalog of operations (DESIGN.md
 * section 12): each operation runs once through its `billing` command and once through its
 * route, on two accounts set up the same way, and leaves the same records, ledger entries and
 * audit entries behind. Only the actor differs, by design: the CLI's `--actor` and the
 * signed-in user.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
let billing: (...args: string[]) => Promise<CliResult>;

const CLI_ACTOR = "cli:dana";
const BEA: Caller = { role: "billing", email: "bea@example.com", subject: "sub-bea", actor: userActor("bea@example.com", "sub-bea") };
const ADA: Caller = { role: "admin", email: "ada@example.com", subject: "sub-ada", actor: userActor("ada@example.com", "sub-ada") };
const SETUP: Caller = { role: "admin", actor: "setup" };
const TOKENS: Record<string, Caller> = { "token-bea": BEA, "token-ada": ADA };

async function call(method: string, path: string, body: unknown, token = "token-bea") {
	const response = await handleDeskRequest(
		{
			services: deskServices(createClients(), stack),
			runs: stack,
			reportFailure: (err) => {
				throw err;
			},
			authenticate: async (authorization) => {
				const caller = TOKENS[authorization?.replace(/^Bearer /, "") ?? ""];
				if (!caller) throw new BillingError("sign in: no valid token", 401);
				return caller;
			},
		},
		deskRoutes,
		{ method, path, query: new URLSearchParams(), authorization: `Bearer ${token}`, body: JSON.stringify(body) },
	);
	return { status: response.status, body: JSON.parse(response.body) as { result?: unknown; error?: string } };
}

/** An account with its October invoice (USD 100.00, due in 30 days), as each operation's twin starts. */
interface Twin {
	readonly accountId: string;
	readonly invoice: string;
}

const plan = { code: "p", description: "Plan", unitAmount: 10_000, quantity: 1 };

async function twinAccount(accountId: string): Promise<Twin> {
	await putAccount(table, testAccount(accountId, { plan }));
	const clients = createClients();
	const issued = await issueInvoiceForAccount(
		{ ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() },
		accountId,
		resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01")),
	);
	if (!("invoiceNumber" in issued) || !issued.invoiceNumber) throw new Error(`no invoice for ${accountId}`);
	return { accountId, invoice: issued.invoiceNumber };
}

/** Stripe cash from the twin's account naming no invoice: it waits unapplied for a person. */
async function unappliedCash(twin: Twin, amount: number, invoiceNumber?: string): Promise<string> {
	const paymentId = `pi_${twin.accountId}`;
	await recordPayment(
		table,
		{
			provider: "stripe",
			eventId: `evt_${twin.accountId}`,
			paymentId,
			amount,
			currency: "USD",
			receivedAt: "2026-11-05T10:00:00.000Z",
			accountId: twin.accountId,
			...(invoiceNumber ? { invoiceNumber } : {}),
		},
		"payment_intent.succeeded",
		"{}",
	);
	return paymentId;
}

const setup = (operation: Parameters<typeof perform>[0], input: unknown) =>
	perform(operation, deskServices(createClients(), stack), SETUP, input);

/**
 * One operation kind: how its twin is prepared beyond the invoice, and the same request as a
 * `billing` command and as a desk API call.
 */
interface Kind {
	readonly prepare?: (twin: Twin) => Promise<void>;
	/** The actions of the audit entries it writes: on the account, then on its invoices, then on their memos. */
	readonly audit: readonly string[];
	readonly cli: (twin: Twin) => string[];
	readonly api: (twin: Twin) => [method: string, path: string, body: unknown];
}

const pay = (twin: Twin) => `stripe%3Api_${twin.accountId}`;

const KINDS: Record<string, Kind> = {
	"accounts.update": {
		audit: ["details_changed"],
		cli: (t) => [
			"accounts",
			"update",
			t.accountId,
			"--email",
			`ap-new@${t.accountId.toLowerCase()}.example.com`,
			"--address",
			"2 New Street|Springfield",
			"--reason",
			"moved",
		],
		api: (t) => [
			"PATCH",
			`/accounts/${t.accountId}`,
			{ email: `ap-new@${t.accountId.toLowerCase()}.example.com`, addressLines: ["2 New Street", "Springfield"], reason: "moved" },
		],
	},
	"accounts.close": {
		audit: ["closed"],
		cli: (t) => ["accounts", "close", t.accountId, "--on", "2026-12-31", "--reason", "customer left"],
		api: (t) => ["POST", `/accounts/${t.accountId}/close`, { on: "2026-12-31", reason: "customer left" }],
	},
	"accounts.refund-credit": {
		audit: ["credit_refunded"],
		// Paid USD 120.00 on a USD 100.00 invoice: USD 20.00 of account credit.
		prepare: async (t) => void (await unappliedCash(t, 12_000, t.invoice)),
		cli: (t) => ["payments", "refund-credit", "--account", t.accountId, "--amount", "15.00", "--reason", "asked for it back"],
		api: (t) => ["POST", `/accounts/${t.accountId}/refund-credit`, { amount: 1500, reason: "asked for it back" }],
	},
	"invoices.issue": {
		audit: ["invoice_issued", "finalized"],
		cli: (t) => ["invoices", "issue", "--account", t.accountId, "--line", "Setup fee, extra,1,250.00", "--date", "2026-11-20"],
		api: (t) => [
			"POST",
			"/invoices",
			{ accountId: t.accountId, lines: [{ description: "Setup fee, extra", quantity: 1, unitPrice: "250.00" }], date: "2026-11-20" },
		],
	},
	"invoices.reissue": {
		audit: ["invoice_issued", "finalized", "reissued"],
		prepare: async (t) => void (await setup(voidOperation, { number: t.invoice, reason: "wrong address" })),
		cli: (t) => ["invoices", "reissue", t.invoice, "--as-of", "2026-11-20"],
		api: (t) => ["POST", `/invoices/${t.invoice}/reissue`, { asOf: "2026-11-20" }],
	},
	"invoices.hold": {
		audit: ["hold_set"],
		cli: (t) => ["invoices", "hold", t.invoice, "--reason", "complaint"],
		api: (t) => ["POST", `/invoices/${t.invoice}/hold`, { reason: "complaint" }],
	},
	"invoices.release": {
		audit: ["hold_released"],
		prepare: async (t) => void (await setup(hold, { number: t.invoice, reason: "complaint" })),
		cli: (t) => ["invoices", "release", t.invoice, "--reason", "resolved"],
		api: (t) => ["POST", `/invoices/${t.invoice}/release`, { reason: "resolved" }],
	},
	"invoices.resend": {
		audit: ["resent"],
		cli: (t) => ["invoices", "resend", t.invoice, "--reason", "lost in their inbox"],
		api: (t) => ["POST", `/invoices/${t.invoice}/resend`, { reason: "lost in their inbox" }],
	},
	"invoices.void": {
		audit: ["invoice_voided", "voided"],
		cli: (t) => ["invoices", "void", t.invoice, "--reason", "wrong account", "--json"],
		api: (t) => ["POST", `/invoices/${t.invoice}/void`, { reason: "wrong account" }],
	},
	"invoices.credit-memo": {
		audit: ["credit_memo", "credited", "issued"],
		cli: (t) => ["credit-memo", "create", "--invoice", t.invoice, "--amount", "12.50", "--reason", "goodwill", "--json"],
		api: (t) => ["POST", `/invoices/${t.invoice}/credit-memo`, { amount: 1250, reason: "goodwill" }],
	},
	"invoices.write-off": {
		audit: ["written_off"],
		cli: (t) => ["write-off", "--invoice", t.invoice, "--reason", "gone", "--as-of", "2026-11-25"],
		api: (t) => ["POST", `/invoices/${t.invoice}/write-off`, { reason: "gone", asOf: "2026-11-25" }],
	},
	"invoices.reverse-write-off": {
		audit: ["write_off_reversed"],
		prepare: async (t) => void (await setup(writeOff, { number: t.invoice, reason: "gone", asOf: "2026-11-25" })),
		cli: (t) => ["write-off", "reverse", t.invoice, "--reason", "paid after all"],
		api: (t) => ["POST", `/invoices/${t.invoice}/reverse-write-off`, { reason: "paid after all" }],
	},
	"payments.apply": {
		audit: ["payment_applied"],
		prepare: async (t) => void (await unappliedCash(t, 4000)),
		cli: (t) => ["payments", "apply", `stripe:pi_${t.accountId}`, "--invoice", t.invoice, "--amount", "25.00", "--json"],
		api: (t) => ["POST", `/payments/${pay(t)}/apply`, { invoiceNumber: t.invoice, amount: 2500 }],
	},
	"payments.unapply": {
		audit: ["payment_unapplied"],
		prepare: async (t) => {
			const paymentId = await unappliedCash(t, 4000);
			await setup(applyPayment, { provider: "stripe", paymentId, invoiceNumber: t.invoice });
		},
		cli: (t) => ["payments", "unapply", `stripe:pi_${t.accountId}`, "--invoice", t.invoice, "--reason", "another customer's"],
		api: (t) => ["POST", `/payments/${pay(t)}/unapply`, { invoiceNumber: t.invoice, reason: "another customer's" }],
	},
	"payments.record": {
		// Who recorded the cheque is on the account's trail (the payment has none of its own).
		audit: ["payment_recorded"],
		cli: (t) => [
			"payments",
			"record",
			"--account",
			t.accountId,
			"--amount",
			"40.00",
			"--currency",
			"USD",
			"--reference",
			"cheque 1001",
			"--received",
			"2026-11-10",
		],
		api: (t) => [
			"POST",
			"/payments",
			{ accountId: t.accountId, amount: "40.00", currency: "USD", reference: "cheque 1001", received: "2026-11-10" },
		],
	},
	"worklist.assign": {
		// The assignment itself names who assigned it (compared below).
		audit: [],
		prepare: async (t) => void (await unappliedCash(t, 4000)),
		cli: (t) => ["worklist", "assign", `payment:stripe:pi_${t.accountId}`, "--to", "dana"],
		api: (t) => ["POST", `/worklist/${encodeURIComponent(`payment:stripe:pi_${t.accountId}`)}/assign`, { to: "dana" }],
	},
};

/** Operations tested on their own below: they need a period to close or the user pool, not an account. */
const ELSEWHERE = [
	"books.close",
	"users.add",
	"users.disable",
	"webhooks.add",
	"webhooks.disable",
	"webhooks.enable",
	"webhooks.rotate_secret",
	"events.replay",
];

const twins = new Map<string, { cli: Twin; api: Twin }>();

/** Everything of the twin's a person would look at: the account, its invoices, memos, payments, ledger, deliveries, audit trail and assignments. */
async function recordsOf(twin: Twin) {
	const account = await getAccount(table, twin.accountId);
	const invoices = await listInvoicesOfAccount(table, twin.accountId);
	const numbers = invoices.map((i) => i.number);
	const memos = (await listCreditMemos(table)).filter((m) => numbers.includes(m.invoiceNumber));
	const audit = [
		...(await listAuditEntries(table, "account", twin.accountId)),
		...(await Promise.all(numbers.map((n) => listAuditEntries(table, "invoice", n)))).flat(),
		...(await Promise.all(memos.map((m) => listAuditEntries(table, "credit_memo", m.number)))).flat(),
	];
	return {
		account,
		invoices,
		memos,
		payments: (await listPayments(table)).filter((p) => p.accountId === twin.accountId),
		ledger: await listLedgerEntries(table, twin.accountId),
		deliveries: await Promise.all(numbers.map((n) => getDelivery(table, keys.delivery(n, "email")))),
		audit,
		assignments: [...(await listAssignments(table)).values()].filter((a) => a.itemId.includes(twin.accountId)),
	};
}

type Records = Awaited<ReturnType<typeof recordsOf>>;

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;
const SES_MESSAGE_ID = /"messageId":"[^"]*"/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * The twin's records with what names the twin itself replaced (its account id, its invoice,
 * memo and payment numbers, in their order) and the clock's times and generated ids masked;
 * lists of entries sorted, since two written in the same millisecond may come back either way.
 */
function normalized(value: unknown, twin: Twin, records: Records, actor?: string): unknown {
	let text = JSON.stringify(value);
	// The actor is named on audit entries, memos and reasons alike: the one difference by design.
	if (actor) text = text.replaceAll(actor, "<actor>");
	const rename = (ids: readonly string[], label: string) => {
		for (const [i, id] of [...ids].sort().entries()) text = text.replaceAll(id, `<${label}-${i}>`);
	};
	rename(
		records.payments.map((p) => p.paymentId),
		"payment",
	);
	rename(
		records.memos.map((m) => m.number),
		"memo",
	);
	rename(
		records.invoices.map((i) => i.number),
		"invoice",
	);
	text = text
		.replace(new RegExp(twin.accountId, "gi"), "<account>")
		.replace(ISO_TIME, "<time>")
		.replace(UUID, "<uuid>")
		.replace(SES_MESSAGE_ID, '"messageId":"<message>"');
	return JSON.parse(text);
}

function comparable(records: Records, twin: Twin, actor: string) {
	const sorted = (items: readonly unknown[]) =>
		items.map((i) => normalized(i, twin, records, actor)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
	return {
		...(normalized({ ...records, ledger: [], audit: [], assignments: [] }, twin, records, actor) as object),
		ledger: sorted(records.ledger),
		audit: sorted(records.audit),
		assignments: sorted(records.assignments),
	};
}

beforeAll(async () => {
	stack = await startTestStack("desk-parity");
	billing = cliInProcess(stack);
	table = { ddb: createClients().ddb, tableName: stack.tableName };
	for (const [name, kind] of Object.entries(KINDS)) {
		const short = name
			.replace(/[^a-z]/g, "")
			.toUpperCase()
			.slice(0, 14);
		const cli = await twinAccount(`P-${short}-CLI`);
		const api = await twinAccount(`P-${short}-API`);
		await kind.prepare?.(cli);
		await kind.prepare?.(api);
		twins.set(name, { cli, api });
	}
}, 120_000);

afterAll(() => stack?.stop());

describe("the CLI and the desk API", () => {
	it("cover every operation of the catalog here", () => {
		expect([...Object.keys(KINDS), ...ELSEWHERE].sort()).toEqual(deskOperations.map((o) => o.name).sort());
	});

	it.each(Object.keys(KINDS))("%s leaves the same records, ledger and audit entries through both", async (name) => {
		const kind = KINDS[name] as Kind;
		const { cli, api } = twins.get(name) as { cli: Twin; api: Twin };
		const before = { cli: await recordsOf(cli), api: await recordsOf(api) };
		expect(comparable(before.api, api, BEA.actor)).toEqual(comparable(before.cli, cli, CLI_ACTOR));

		const viaCli = await billing(...kind.cli(cli), "--actor", CLI_ACTOR);
		expect(viaCli.code, viaCli.stderr).toBe(0);
		const [method, path, body] = kind.api(api);
		const viaApi = await call(method, path, body);
		expect(viaApi.status, JSON.stringify(viaApi.body)).toBeLessThan(300);

		const after = { cli: await recordsOf(cli), api: await recordsOf(api) };
		// Every audit entry the operation wrote names its caller: the CLI's actor, the signed-in user.
		const written = (records: Records, was: Records) =>
			records.audit.filter((e) => !was.audit.some((w) => JSON.stringify(w) === JSON.stringify(e)));
		expect(written(after.cli, before.cli).map((e) => [e.action, e.actor])).toEqual(kind.audit.map((action) => [action, CLI_ACTOR]));
		expect(written(after.api, before.api).map((e) => [e.action, e.actor])).toEqual(kind.audit.map((action) => [action, BEA.actor]));
		expect(after.cli.assignments.map((a) => a.assignedBy)).toEqual(after.cli.assignments.map(() => CLI_ACTOR));
		expect(after.api.assignments.map((a) => a.assignedBy)).toEqual(after.api.assignments.map(() => BEA.actor));
		expect(comparable(after.api, api, BEA.actor)).toEqual(comparable(after.cli, cli, CLI_ACTOR));
		expect(comparable(after.cli, cli, CLI_ACTOR)).not.toEqual(comparable(before.cli, cli, CLI_ACTOR));

		// What the command printed is the operation's result, as the API answers it.
		let printed: unknown;
		try {
			printed = JSON.parse(viaCli.stdout);
		} catch {
			printed = undefined;
		}
		if (printed !== undefined) {
			const result = viaApi.body.result as { outcome?: string; invoice?: object };
			// `invoices void --json` prints the invoice without its lines, the outcome beside its fields.
			const { lines: _lines, ...invoice } = (result.invoice ?? {}) as { lines?: unknown };
			const answered = name === "invoices.void" ? { outcome: result.outcome, ...invoice } : result;
			expect(normalized(answered, api, after.api, BEA.actor)).toEqual(normalized(printed, cli, after.cli, CLI_ACTOR));
		}
	});

	it("books.close closes a month through both, each close naming its caller", async () => {
		// Two months, the second after the first: a month closes once.
		const viaCli = await billing("books", "close", "--period", "2026-08", "--force", "--reason", "month end", "--actor", CLI_ACTOR);
		expect(viaCli.code, viaCli.stderr).toBe(0);
		const viaApi = await call("POST", "/books/2026-09/close", { force: true, reason: "month end" }, "token-ada");
		expect(viaApi.status, JSON.stringify(viaApi.body)).toBe(200);
		const { previouslyClosedThrough, ...answered } = viaApi.body.result as { previouslyClosedThrough?: string };
		expect(previouslyClosedThrough).toBe("2026-08");
		const ofMonth = (value: unknown, period: string) => JSON.parse(JSON.stringify(value).replaceAll(period, "<period>"));
		expect(ofMonth(answered, "2026-09")).toEqual(ofMonth(JSON.parse(viaCli.stdout), "2026-08"));
		expect(ofMonth(answered, "2026-09")).toMatchObject({ period: "<period>", openItems: 0, ties: true });

		const closes = await listPeriodCloses(table);
		const close = (period: string, actor: string) => {
			const found = closes.find((c) => c.period === period);
			expect(found?.actor).toBe(actor);
			return ofMonth({ ...found, actor: "<actor>", closedAt: "<time>" }, period);
		};
		expect(close("2026-09", ADA.actor)).toEqual(close("2026-08", CLI_ACTOR));
		expect(close("2026-08", CLI_ACTOR)).toMatchObject({ reason: "month end", openItems: 0 });
	});

	it("users.add and users.disable change the user pool the same way through both, each with an audit entry naming the admin", async () => {
		const pool = requireUserPool(deskServices(createClients(), stack));
		const userOf = async (email: string) => {
			const user = (await listUsers(pool)).find((u) => u.email === email);
			return { ...user, email: "<email>", subject: typeof user?.subject };
		};
		const viaCli = await billing("users", "add", "Cli-New@Example.com", "--role", "billing", "--json", "--actor", CLI_ACTOR);
		expect(viaCli.code, viaCli.stderr).toBe(0);
		const viaApi = await call("POST", "/users", { email: "Api-New@Example.com", role: "billing" }, "token-ada");
		expect(viaApi.status, JSON.stringify(viaApi.body)).toBe(201);
		const added = (value: unknown) => {
			const { email, subject, password, ...rest } = value as { email: string; subject?: string; password?: string };
			return { ...rest, email: email.replace(/^(cli|api)-/, "<who>-"), subject: typeof subject, password: typeof password };
		};
		expect(added(viaApi.body.result)).toEqual(added(JSON.parse(viaCli.stdout)));
		expect(added(viaApi.body.result)).toEqual({
			email: "<who>-new@example.com",
			role: "billing",
			enabled: true,
			status: "CONFIRMED",
			subject: "string",
			password: "string",
		});
		expect(await userOf("api-new@example.com")).toEqual(await userOf("cli-new@example.com"));

		const disabledCli = await billing("users", "disable", "cli-new@example.com", "--actor", CLI_ACTOR);
		expect(disabledCli.code, disabledCli.stderr).toBe(0);
		expect(disabledCli.stdout).toBe("disabled cli-new@example.com: they can no longer sign in\n");
		const disabledApi = await call("POST", "/users/api-new%40example.com/disable", {}, "token-ada");
		expect(disabledApi).toEqual({
			status: 200,
			body: { result: { email: "api-new@example.com", role: "billing", enabled: false }, notes: [] },
		});
		expect(await userOf("api-new@example.com")).toEqual(await userOf("cli-new@example.com"));
		expect(await userOf("cli-new@example.com")).toMatchObject({ role: "billing", enabled: false });

		const trail = async (email: string) =>
			(await listAuditEntries(table, "user", email)).map(({ at, ...entry }) => ({ ...entry, at: at.replace(ISO_TIME, "<time>") }));
		const expected = (email: string, actor: string) => [
			{
				subject: "user",
				subjectId: email,
				action: "user_added",
				actor,
				at: "<time>",
				before: null,
				after: { email, role: "billing", enabled: true },
			},
			{
				subject: "user",
				subjectId: email,
				action: "user_disabled",
				actor,
				at: "<time>",
				before: { email, role: "billing" },
				after: { email, role: "billing", enabled: false },
			},
		];
		expect(await trail("cli-new@example.com")).toEqual(expected("cli-new@example.com", CLI_ACTOR));
		expect(await trail("api-new@example.com")).toEqual(expected("api-new@example.com", ADA.actor));
	});

	it("users.disable of no such user is 404 through both and writes no audit entry", async () => {
		const viaCli = await billing("users", "disable", "nobody@example.com", "--actor", CLI_ACTOR);
		expect(viaCli.code).toBe(2);
		expect(viaCli.stderr).toContain("no user nobody@example.com");
		const viaApi = await call("POST", "/users/nobody%40example.com/disable", {}, "token-ada");
		expect(viaApi.status).toBe(404);
		expect(await listAuditEntries(table, "user", "nobody@example.com")).toEqual([]);
	});

	it("webhooks.add, disable, enable, rotate_secret and events.replay change an endpoint the same way through both, each on its audit trail", async () => {
		const viaCli = await billing(
			"webhooks",
			"add",
			"https://crm.example.com/cli",
			"--events",
			"invoice.*",
			"payment.received",
			"--json",
			"--actor",
			CLI_ACTOR,
		);
		expect(viaCli.code, viaCli.stderr).toBe(0);
		const viaApi = await call(
			"POST",
			"/webhooks",
			{ url: "https://crm.example.com/api", events: ["invoice.*", "payment.received"] },
			"token-ada",
		);
		expect(viaApi.status, JSON.stringify(viaApi.body)).toBe(201);
		type Added = { endpoint: { endpointId: string; url: string; createdBy: string; createdAt: string }; secret: string };
		const cliAdded = JSON.parse(viaCli.stdout) as Added;
		const apiAdded = viaApi.body.result as Added;
		const shape = ({ endpoint, secret }: Added) => ({
			endpoint: {
				...endpoint,
				endpointId: "<id>",
				url: endpoint.url.replace(/(cli|api)$/, "<who>"),
				createdBy: "<actor>",
				createdAt: "<time>",
			},
			secret: secret.replace(/^whsec_[A-Za-z0-9+/=]{44}$/, "whsec_<32 bytes>"),
		});
		expect(shape(apiAdded)).toEqual(shape(cliAdded));
		expect(shape(cliAdded)).toEqual({
			endpoint: {
				endpointId: "<id>",
				url: "https://crm.example.com/<who>",
				events: ["invoice.*", "payment.received"],
				status: "enabled",
				createdAt: "<time>",
				createdBy: "<actor>",
				secretsSigning: 1,
			},
			secret: "whsec_<32 bytes>",
		});
		const cliId = cliAdded.endpoint.endpointId;
		const apiId = apiAdded.endpoint.endpointId;
		expect(cliAdded.endpoint.createdBy).toBe(CLI_ACTOR);
		expect(apiAdded.endpoint.createdBy).toBe(ADA.actor);

		expect((await billing("webhooks", "disable", cliId, "--reason", "receiver moves", "--actor", CLI_ACTOR)).code).toBe(0);
		expect((await call("POST", `/webhooks/${apiId}/disable`, { reason: "receiver moves" }, "token-ada")).status).toBe(200);
		expect((await billing("webhooks", "enable", cliId, "--reason", "receiver moved", "--actor", CLI_ACTOR)).code).toBe(0);
		expect((await call("POST", `/webhooks/${apiId}/enable`, { reason: "receiver moved" }, "token-ada")).status).toBe(200);
		const rotatedCli = await billing("webhooks", "rotate-secret", cliId, "--json", "--actor", CLI_ACTOR);
		expect(rotatedCli.code, rotatedCli.stderr).toBe(0);
		const rotatedApi = await call("POST", `/webhooks/${apiId}/rotate-secret`, {}, "token-ada");
		expect(rotatedApi.status).toBe(200);
		expect((rotatedApi.body.result as { secret: string }).secret).toMatch(/^whsec_/);
		expect((JSON.parse(rotatedCli.stdout) as { secret: string }).secret).not.toBe(cliAdded.secret);
		const replayedCli = await billing("events", "replay", "--endpoint", cliId, "--since", "2026-10-01", "--actor", CLI_ACTOR);
		expect(replayedCli.code, replayedCli.stderr).toBe(0);
		const replayedApi = await call("POST", `/webhooks/${apiId}/replay`, { since: "2026-10-01" }, "token-ada");
		expect(replayedApi.status).toBe(200);
		const { replayed } = replayedApi.body.result as { replayed: number };
		expect(replayed).toBeGreaterThan(0);
		expect(replayedCli.stdout).toBe(`${replayed} events queued again for ${cliId}\n`);

		// What the operations set; the stack's publisher meanwhile tries the replayed events on these unreachable hosts.
		const endpointOf = async (id: string) => {
			const e = await getWebhookEndpoint(table, id);
			return {
				events: e?.events,
				status: e?.status,
				disabledReason: e?.disabledReason,
				secretExpires: e?.secrets.map((x) => Boolean(x.expiresAt)),
			};
		};
		expect(await endpointOf(apiId)).toEqual(await endpointOf(cliId));
		expect(await endpointOf(cliId)).toEqual({ events: ["invoice.*", "payment.received"], status: "enabled", secretExpires: [false, true] });
		const deliveries = async (id: string) =>
			(await listDeliveries(table, id, 500)).map((d) => `${d.eventType} ${d.objectId} ${d.replays}`).sort();
		expect(await deliveries(apiId)).toEqual(await deliveries(cliId));
		expect(await deliveries(cliId)).toHaveLength(replayed);

		const trail = async (id: string) =>
			(await listAuditEntries(table, "webhook_endpoint", id)).map((e) => [e.action, e.actor, e.reason ?? ""]);
		const expected = (actor: string) => [
			["webhook_endpoint_added", actor, ""],
			["webhook_endpoint_disabled", actor, "receiver moves"],
			["webhook_endpoint_enabled", actor, "receiver moved"],
			["webhook_secret_rotated", actor, ""],
			["webhook_events_replayed", actor, ""],
		];
		expect(await trail(cliId)).toEqual(expected(CLI_ACTOR));
		expect(await trail(apiId)).toEqual(expected(ADA.actor));
		// No secret is ever written to the trail.
		expect(JSON.stringify(await listAuditEntries(table, "webhook_endpoint", cliId))).not.toContain("whsec_");

		// Admins only: the billing role is refused, and nothing is added.
		const refused = await call("POST", "/webhooks", { url: "https://crm.example.com/bea", events: ["*"] }, "token-bea");
		expect(refused.status).toBe(403);
		expect((await call("GET", "/webhooks", undefined, "token-ada")).body).toMatchObject({ items: [{}, {}] });
	});
});
