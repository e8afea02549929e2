import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { EscalationResult } from "../../shared/collections/dunning.js";
import type { Invoice } from "../../shared/core/model.js";
import { formatMoney } from "../../shared/core/money.js";
import { addDays, resolveBillingPeriod } from "../../shared/core/period.js";
import type { InvoicingSummary } from "../../shared/cycle/run-records.js";
import type { Role } from "../../shared/desk/roles.js";
import { addUser, userPoolServices } from "../../shared/desk/users.js";
import { isDeliverableEmailAddress } from "../../shared/documents/email-address.js";
import { holdInvoice } from "../../shared/invoicing/holds.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerName } from "../../shared/platform/config.js";
import { readObjectBytes } from "../../shared/platform/s3-objects.js";
import { publishBooks } from "../../shared/reporting/book-files.js";
import { periodBooks } from "../../shared/reporting/books.js";
import { chartOfAccounts } from "../../shared/reporting/journal.js";
import { parseReportPeriod, quarterOf } from "../../shared/reporting/report-period.js";
import { publishReportFiles } from "../../shared/reporting/reports.js";
import { buildWorklist } from "../../shared/reporting/worklist.js";
import { listOpenCases } from "../../shared/store/collections.js";
import { listEvents } from "../../shared/store/events.js";
import { listInvoicesOfPeriod, listPayments, type TableDeps } from "../../shared/store/records.js";
import { type ExecutionResult, runBillingCycle } from "../cli/operations.js";
import { progress } from "../cli/progress.js";
import { runningServe } from "../cli/session.js";
import { exportArtifacts } from "../emulator/artifacts.js";
import { lockDataDir } from "../emulator/data-dir-lock.js";
import { invokeLocalFunction, localFunctionArn } from "../emulator/lambda-runtime.js";
import { freePort } from "../emulator/ports.js";
import { listSentMail } from "../emulator/servers.js";
import { type EmbeddedStack, startEmbeddedStack } from "../emulator/stack.js";
import { formatPaymentsDemo, type PaymentsDemoResult, runPaymentsDemo } from "./demo-payments.js";
import { buildSeedData, putShowcaseData, randomGenerator, seedDemoData } from "./seed.js";
import { buildShowcaseData, formatShowcase, runShowcase, type ShowcaseSummary } from "./showcase.js";
import { deliverStripeEvent, type WebhookDelivery } from "./webhook-delivery.js";

const DEMO_MARKER = "demo.json";

export interface DemoOptions {
	readonly dataDir: string;
	readonly accounts: number;
	readonly seed: number;
	readonly period: string;
}

export interface DemoSummary {
	readonly period: string;
	readonly execution: Pick<ExecutionResult, "name" | "status">;
	readonly accountsSeeded: number;
	readonly invoicing: InvoicingSummary;
	readonly emailsSent: { readonly invoices: number; readonly dunning: number };
	readonly webhooks: readonly WebhookDelivery[];
	/** Refunds, disputes, GoCardless, bank and cheque payments, and the reconciliation that follows. */
	readonly paymentsDemo?: PaymentsDemoResult;
	readonly payments: {
		readonly recorded: number;
		readonly unapplied: number;
		readonly receivedByCurrency: Record<string, number>;
		readonly unappliedByCurrency: Record<string, number>;
	};
	readonly invoiceStatus: Record<string, number>;
	readonly collections: EscalationResult;
	readonly ladder: LadderWalk;
	/** Local copy of the quarter's HTML report, written as of the last escalation date. */
	readonly quarterlyReport: string;
	readonly pricing?: ShowcaseSummary;
	readonly artifacts: { readonly invoicesDir: string; readonly mailDir: string; readonly report: string; readonly executions: string };
	/** The books of the month the invoices were issued in: the trial balance's tie-out and the exports' folder. */
	readonly books: { readonly period: string; readonly ties: boolean; readonly currencies: readonly string[]; readonly dir: string };
	/** The open exceptions at the end of the demo, by kind. */
	readonly worklist: Readonly<Record<string, number>>;
	/** The billing events the month wrote, and how many the publisher has numbered for receivers. */
	readonly events: { readonly written: number; readonly numbered: number };
	/** One desk user per role, with the password each signs in with. */
	readonly deskUsers: readonly { readonly email: string; readonly role: Role; readonly password: string }[];
}

/** The demo's desk users, one per role, at the example domain. */
const DEMO_DESK_USERS: readonly Role[] = ["admin", "billing", "viewer"];

async function addDeskUsers(): Promise<DemoSummary["deskUsers"]> {
	const pool = userPoolServices();
	if (!pool) throw new Error("the embedded stack set no desk user pool (DESK_USER_POOL_ID)");
	const users = [];
	for (const role of DEMO_DESK_USERS) {
		const added = await addUser(pool, { email: `${role}@example.com`, role });
		users.push({ email: added.email, role, password: added.password ?? "" });
	}
	pool.cognito.destroy();
	return users;
}

/** The demo owns its data dir: it starts clean, but never deletes a directory it did not create. */
async function prepareDataDir(dataDir: string): Promise<void> {
	if (runningServe(dataDir))
		throw new Error(`billing serve is running on ${dataDir}; stop it or pass --data-dir to run the demo elsewhere`);
	if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
		if (!existsSync(join(dataDir, DEMO_MARKER))) {
			throw new Error(`${dataDir} holds data that the demo did not create; pass --data-dir with an empty or demo directory`);
		}
		// Not under a live stack's feet (another demo, say); a crashed one's DynamoDB Local is stopped first.
		(await lockDataDir(dataDir)).release();
		rmSync(dataDir, { recursive: true, force: true });
	}
	mkdirSync(dataDir, { recursive: true });
}

function stripeEvent(id: string, type: string, object: Record<string, unknown>): Record<string, unknown> {
	return {
		id,
		object: "event",
		type,
		api_version: "2025-09-30.clover",
		created: Math.floor(Date.now() / 1000),
		livemode: false,
		data: { object },
	};
}

function paymentIntent(id: string, invoice: Pick<Invoice, "number" | "accountId" | "currency">, amount: number): Record<string, unknown> {
	return {
		id,
		object: "payment_intent",
		amount,
		amount_received: amount,
		currency: invoice.currency.toLowerCase(),
		status: "succeeded",
		metadata: { invoice_number: invoice.number, account_id: invoice.accountId },
	};
}

/**
 * The month on one machine: seed, run the cycle, receive a realistic mix of Stripe
 * webhooks, chase what is overdue 35 days past the usual due date, report.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
	await prepareDataDir(options.dataDir);
	writeFileSync(join(options.dataDir, DEMO_MARKER), `${JSON.stringify({ createdAt: new Date().toISOString(), ...options }, null, 2)}\n`);
	progress("starting the embedded stack (DynamoDB Local, S3, SES, Step Functions, webhook front)...");
	const stack = await startEmbeddedStack({ dataDir: options.dataDir, httpPort: await freePort() });
	const startedAt = new Date().toISOString();
	try {
		const { ddb, s3 } = createClients();
		const deps = { ddb, tableName: stack.tableName };
		const billing = resolveBillingPeriod({ period: options.period }, new Date());
		const issueDate = addDays(billing.periodEnd, 1);

		progress(`seeding ${options.accounts} demo accounts...`);
		const data = buildSeedData(options.accounts, options.seed, options.period);
		// The path a billing team takes: files (accounts, plans, subscriptions, charges), then `billing import`.
		await seedDemoData(deps, data, options.period, join(options.dataDir, "seed", options.period));
		const showcase = buildShowcaseData(options.period);
		await putShowcaseData(deps, showcase);

		progress(`running the billing cycle for ${options.period}...`);
		const execution = await runBillingCycle(stack.sfn, stack.stateMachineArn, { period: options.period, asOf: issueDate }, progress);
		if (execution.status !== "SUCCEEDED") {
			throw new Error(`billing cycle ${execution.name} ${execution.status}: ${execution.error ?? ""} ${execution.cause ?? ""}`);
		}
		const invoicing = (execution.output as { invoicing: InvoicingSummary }).invoicing;

		progress("receiving payment webhooks...");
		const webhooks = await postDemoWebhooks(stack.endpoints.http as string, await listInvoicesOfPeriod(deps, options.period), options.seed);
		progress("refunds, disputes, GoCardless, a bank statement and a cheque; reconciling...");
		const paymentsDemo = await runPaymentsDemo(
			{ ddb, s3, tableName: stack.tableName, bucketName: stack.bucketName, httpUrl: stack.endpoints.http as string },
			options.period,
		);

		const disputed = await disputeOneInvoice(deps, options.period);
		const ladder = await walkDunningLadder(issueDate);

		const collectionsAsOf = addDays(issueDate, 30 + 35);
		progress(`escalating overdue accounts as of ${collectionsAsOf}...`);
		const collections = (await invokeLocalFunction(localFunctionArn("EscalateOverdueAccounts"), {
			asOf: collectionsAsOf,
		})) as EscalationResult;

		progress(`writing the quarterly report ${quarterOf(options.period)} as of ${collectionsAsOf}...`);
		const quarterly = await publishReportFiles(
			{ ...deps, s3, bucketName: stack.bucketName, sellerName: sellerName() },
			parseReportPeriod(quarterOf(options.period)),
			collectionsAsOf,
		);

		const payments = await listPayments(deps);
		const receivedByCurrency: Record<string, number> = {};
		const unappliedByCurrency: Record<string, number> = {};
		for (const p of payments) {
			receivedByCurrency[p.currency] = (receivedByCurrency[p.currency] ?? 0) + p.amount;
			if (p.unappliedAmount > 0) unappliedByCurrency[p.currency] = (unappliedByCurrency[p.currency] ?? 0) + p.unappliedAmount;
		}
		const invoiceStatus: Record<string, number> = {};
		for (const invoice of await listInvoicesOfPeriod(deps, options.period))
			invoiceStatus[invoice.status] = (invoiceStatus[invoice.status] ?? 0) + 1;
		const mail = await listSentMail(stack.endpoints.ses);
		const dunningMail = mail.filter((m) => !m.subject.startsWith("Invoice ")).length;
		const artifacts = await exportArtifacts(s3, stack.bucketName, options.dataDir, options.period);
		progress("issuing the showcase credit memo...");
		const pricing = await runShowcase(
			{ ddb, s3, tableName: stack.tableName, bucketName: stack.bucketName },
			options.period,
			artifacts.invoicesDir,
		);
		return {
			period: options.period,
			execution: { name: execution.name, status: execution.status },
			accountsSeeded: data.accounts.length + showcase.accounts.length,
			invoicing,
			emailsSent: { invoices: mail.length - dunningMail, dunning: dunningMail },
			webhooks,
			paymentsDemo,
			payments: {
				recorded: payments.length,
				unapplied: payments.filter((p) => p.unappliedAmount > 0).length,
				receivedByCurrency,
				unappliedByCurrency,
			},
			invoiceStatus,
			collections,
			quarterlyReport: await copyOut(s3, stack.bucketName, quarterly.htmlKey, join(options.dataDir, "artifacts")),
			ladder: { ...ladder, openCases: (await listOpenCases(deps)).length, disputed: disputed ?? "none" },
			pricing,
			artifacts: { ...artifacts, mailDir: join(options.dataDir, "mail"), executions: join(options.dataDir, "stepfunctions") },
			books: await closeTheBooks({ ...deps, s3, bucketName: stack.bucketName }, issueDate.slice(0, 7), options.dataDir),
			worklist: countBy(await buildWorklist(deps, ladder.runs.at(-1)?.asOf ?? issueDate), (i) => i.kind),
			events: await eventsOfTheMonth(deps, stack, startedAt),
			deskUsers: await addDeskUsers(),
		};
	} finally {
		await stack.stop();
	}
}

/** What the month wrote to the outbox, once the publisher has caught up with it. */
async function eventsOfTheMonth(deps: TableDeps, stack: EmbeddedStack, since: string) {
	await stack.events.settled();
	const { items } = await listEvents(deps, { since, limit: 100_000 });
	return { written: items.length, numbered: items.filter((e) => e.sequence !== undefined).length };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
	return counts;
}

/** The month the invoices were issued in, as the books see it: trial balance and the three journal exports, copied out. */
async function closeTheBooks(deps: TableDeps & { readonly s3: S3Client; readonly bucketName: string }, period: string, dataDir: string) {
	progress(`writing the books of ${period}...`);
	const chart = chartOfAccounts();
	const books = await periodBooks(deps, period, chart);
	await publishBooks(deps, books, chart);
	const { booksDir } = await exportArtifacts(deps.s3, deps.bucketName, dataDir, period);
	return { period, ties: books.trialBalance.ties, currencies: books.trialBalance.tieOut.map((t) => t.currency), dir: booksDir };
}

export interface LadderWalk {
	/** One escalation run per date: what each sent, and what the cap held back. */
	readonly runs: readonly Pick<EscalationResult, "asOf" | "noticesSent" | "deferredByCap" | "held">[];
	readonly casesOpened: number;
	readonly casesCsvKeys: readonly string[];
	readonly openCases: number;
	/** The invoice a customer disputes in the demo: on hold, never dunned. */
	readonly disputed: string;
}

async function copyOut(s3: S3Client, bucket: string, key: string, dir: string): Promise<string> {
	const target = join(dir, key);
	mkdirSync(dirname(target), { recursive: true });
	writeFileSync(target, await readObjectBytes(s3, bucket, key));
	return target;
}

/** A customer disputes one unpaid invoice: it is put on hold, so the ladder passes it by. */
async function disputeOneInvoice(deps: TableDeps, period: string): Promise<string | undefined> {
	const invoice = (await listInvoicesOfPeriod(deps, period))
		.filter((i) => i.status === "open" && isDeliverableEmailAddress(i.billTo.email))
		.sort((a, b) => a.number.localeCompare(b.number))[0];
	if (!invoice) return undefined;
	await holdInvoice({ ...deps, actor: "demo:customer" }, invoice.number, "disputed by the customer");
	return invoice.number;
}

/**
 * Time travel: the escalation step run as of a few dates after the invoices fall due
 * (terms of 15, 30 and 60 days), so reminders, final notices and collections all show.
 */
async function walkDunningLadder(issueDate: string): Promise<Omit<LadderWalk, "openCases" | "disputed">> {
	const runs: LadderWalk["runs"][number][] = [];
	let casesOpened = 0;
	const keys = new Set<string>();
	for (const days of [16, 22, 31, 38, 45, 50, 61]) {
		const asOf = addDays(issueDate, days);
		progress(`dunning ladder as of ${asOf}...`);
		const result = (await invokeLocalFunction(localFunctionArn("EscalateOverdueAccounts"), { asOf })) as EscalationResult;
		runs.push({ asOf, noticesSent: result.noticesSent, deferredByCap: result.deferredByCap, held: result.held });
		casesOpened += result.collections.casesOpened.length;
		for (const key of result.collections.casesCsvKeys) keys.add(key);
	}
	return { runs, casesOpened, casesCsvKeys: [...keys].sort() };
}

async function postDemoWebhooks(httpUrl: string, invoices: readonly Invoice[], seed: number): Promise<WebhookDelivery[]> {
	const random = randomGenerator(seed + 1);
	const deliveries: WebhookDelivery[] = [];
	const post = async (kind: string, event: Record<string, unknown>, invoiceNumber?: string, secret?: string) => {
		deliveries.push(await deliverStripeEvent(httpUrl, kind, event, invoiceNumber, secret));
	};
	const sorted = [...invoices].sort((a, b) => a.accountId.localeCompare(b.accountId));
	for (const [i, invoice] of sorted.entries()) {
		const roll = random();
		const pi = `pi_demo_${invoice.number.replaceAll("-", "_")}`;
		if (roll < 0.5) {
			const event = stripeEvent(`evt_full_${i}`, "payment_intent.succeeded", paymentIntent(pi, invoice, invoice.amountDue));
			await post("full payment", event, invoice.number);
			if (i % 5 === 0) await post("duplicate delivery", event, invoice.number);
			if (i % 7 === 0) {
				const charge = {
					id: `ch_demo_${i}`,
					object: "charge",
					amount: invoice.amountDue,
					amount_captured: invoice.amountDue,
					currency: invoice.currency.toLowerCase(),
					payment_intent: pi,
					metadata: { invoice_number: invoice.number },
				};
				await post("charge for the same payment", stripeEvent(`evt_charge_${i}`, "charge.succeeded", charge), invoice.number);
			}
		} else if (roll < 0.65) {
			const partial = Math.floor(invoice.amountDue / 2);
			await post(
				"partial payment",
				stripeEvent(`evt_partial_${i}`, "payment_intent.succeeded", paymentIntent(pi, invoice, partial)),
				invoice.number,
			);
		}
	}
	const first = sorted[0];
	if (first) {
		await post(
			"unknown invoice reference",
			stripeEvent(
				"evt_unknown_ref",
				"payment_intent.succeeded",
				paymentIntent("pi_demo_unknown", { ...first, number: "INV-1999-999999", accountId: "ACC-UNKNOWN" }, 12345),
			),
		);
		await post(
			"wrong signature (rejected)",
			stripeEvent("evt_forged", "payment_intent.succeeded", paymentIntent("pi_forged", first, first.amountDue)),
			first.number,
			"whsec_not_the_secret",
		);
	}
	return deliveries;
}

export function formatDemoSummary(s: DemoSummary): string {
	const lines: string[] = [];
	const money = (amounts: Record<string, number>) =>
		Object.entries(amounts)
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([currency, amount]) => formatMoney({ amount, currency }))
			.join(", ") || "none";
	const totals = Object.fromEntries(Object.entries(s.invoicing.totalsByCurrency).map(([c, t]) => [c, t.total]));
	const byKind = new Map<string, number>();
	for (const w of s.webhooks) {
		const key = `${w.kind} -> ${w.status} ${w.result}`;
		byKind.set(key, (byKind.get(key) ?? 0) + 1);
	}
	const notices =
		Object.entries(s.collections.noticesSent)
			.map(([k, v]) => `${k} ${v}`)
			.join(", ") || "none";
	lines.push(`Billing month ${s.period} (execution ${s.execution.name}: ${s.execution.status})`);
	lines.push(`  accounts seeded:          ${s.accountsSeeded}`);
	lines.push(`  invoices issued:          ${s.invoicing.invoicesIssued}`);
	lines.push(`  invoiced per currency:    ${money(totals)}`);
	lines.push(`  invoice emails sent:      ${s.emailsSent.invoices} (postal: ${s.invoicing.postalInvoices})`);
	lines.push(`  accounts that failed:     ${s.invoicing.failedAccountCount}`);
	for (const f of s.invoicing.failedAccounts) lines.push(`    - ${f.accountId} (${f.stage}): ${f.reason}`);
	lines.push("  payment webhooks:");
	for (const [kind, count] of byKind) lines.push(`    ${String(count).padStart(3)} x ${kind}`);
	lines.push(`  payments recorded:        ${s.payments.recorded} (${money(s.payments.receivedByCurrency)})`);
	lines.push(`  unapplied cash:           ${s.payments.unapplied} payments (${money(s.payments.unappliedByCurrency)})`);
	if (s.paymentsDemo) lines.push(...formatPaymentsDemo(s.paymentsDemo));
	lines.push(
		`  invoices now:             ${s.invoiceStatus.paid ?? 0} paid, ${s.invoiceStatus.partially_paid ?? 0} partially paid, ${s.invoiceStatus.open ?? 0} open`,
	);
	lines.push(`  escalation as of ${s.collections.asOf}: ${s.collections.overdueInvoices} overdue invoices`);
	lines.push(`  notices sent:             ${notices}; failed: ${s.collections.failed}`);
	lines.push(`  sent to collections:      ${s.collections.accountsSentToCollections.join(", ") || "none"}`);
	lines.push(`  dunning emails sent:      ${s.emailsSent.dunning}`);
	lines.push("Dunning ladder, walked day by day (time travel):");
	for (const run of s.ladder.runs) {
		const sent =
			Object.entries(run.noticesSent)
				.map(([stage, n]) => `${n} ${stage.replaceAll("_", " ")}`)
				.join(", ") || "nothing new";
		lines.push(`  as of ${run.asOf}: ${sent}; held back by the weekly cap ${run.deferredByCap}; on hold ${run.held}`);
	}
	lines.push(`  disputed (on hold):       ${s.ladder.disputed}, no dunning`);
	lines.push(`  collections cases:        ${s.ladder.casesOpened} opened, ${s.ladder.openCases} open now (npx billing collections list)`);
	lines.push(`  cases for the agency:     ${s.ladder.casesCsvKeys.map((k) => `s3://.../${k}`).join(", ") || "none"}`);
	if (s.pricing) lines.push(...formatShowcase(s.pricing));
	lines.push("Artifacts:");
	lines.push(`  invoice PDFs:             ${s.artifacts.invoicesDir}`);
	lines.push(`  monthly report:           ${s.artifacts.report}`);
	lines.push(`  quarterly report:         ${s.quarterlyReport} (npx billing report --period YYYY-Qn)`);
	lines.push(`  emails (.eml):            ${s.artifacts.mailDir}`);
	lines.push(`  executions:               ${s.artifacts.executions} (npx billing executions list)`);
	const open = Object.entries(s.worklist).map(([kind, n]) => `${n} ${kind.replaceAll("_", " ")}`);
	lines.push(`  worklist:                 ${open.join(", ") || "nothing open"} (npx billing worklist)`);
	lines.push(
		`  billing events:           ${s.events.written} written, ${s.events.numbered} numbered for receivers (npx billing events list; npx billing webhooks add URL --events '*')`,
	);
	lines.push(
		`  books ${s.books.period}:            trial balance ${s.books.ties ? "ties out" : "does NOT tie out"} (${s.books.currencies.join(", ")}); QuickBooks, Xero and CSV journals in ${s.books.dir} (npx billing books trial-balance --period ${s.books.period})`,
	);
	lines.push("The desk, in a browser (a role each):");
	lines.push("  npx billing serve, then open http://127.0.0.1:4600/desk/ and sign in as");
	for (const u of s.deskUsers) lines.push(`    ${u.email.padEnd(22)} ${u.role.padEnd(8)} password ${u.password}`);
	return lines.join("\n");
}
