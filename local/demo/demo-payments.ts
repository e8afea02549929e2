import type { S3Client } from "@aws-sdk/client-s3";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Invoice } from "../../shared/core/model.js";
import { formatMoney, minorUnitDigits } from "../../shared/core/money.js";
import { previousPeriod, resolveBillingPeriod } from "../../shared/core/period.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { importBankStatementCsv, recordManualPayment } from "../../shared/payments/providers/bank.js";
import { signGoCardlessPayload } from "../../shared/payments/providers/gocardless.js";
import { documentRetention, sellerConfig } from "../../shared/platform/config.js";
import {
	buildReconciliationReport,
	type ReconciliationOutcome,
	type ReconciliationRow,
	reconcilePayments,
} from "../../shared/reporting/reconciliation.js";
import { listInvoicesOfPeriod, listPayments } from "../../shared/store/records.js";
import { LOCAL_GOCARDLESS_WEBHOOK_SECRET } from "../emulator/environment.js";
import { deliverStripeEvent, type WebhookDelivery } from "./webhook-delivery.js";

export interface PaymentsDemoDeps {
	readonly ddb: DynamoDBDocumentClient;
	readonly s3: S3Client;
	readonly tableName: string;
	readonly bucketName: string;
	readonly httpUrl: string;
}

export interface PaymentsDemoResult {
	readonly deliveries: readonly WebhookDelivery[];
	readonly reconciliation: ReconciliationOutcome;
	readonly rows: readonly ReconciliationRow[];
}

function event(id: string, type: string, object: Record<string, unknown>): Record<string, unknown> {
	return { id, object: "event", type, created: Math.floor(Date.now() / 1000), data: { object } };
}

function periodBefore(period: string): string {
	return previousPeriod(new Date(`${period}-15T00:00:00.000Z`));
}

function decimal(amount: number, currency: string): string {
	return formatMoney({ amount, currency }).replace(`${currency} `, "").replaceAll(",", "");
}

/**
 * The rest of a month's money: an overpayment, one payment for two invoices, refunds (one
 * arriving before its payment), disputes won-in-progress and lost, GoCardless direct
 * debits, a bank statement and a cheque; then the reconcile step and its report.
 */
export async function runPaymentsDemo(deps: PaymentsDemoDeps, period: string): Promise<PaymentsDemoResult> {
	const deliveries: WebhookDelivery[] = [];
	const stripe = async (kind: string, e: Record<string, unknown>, invoiceNumber?: string) => {
		deliveries.push(await deliverStripeEvent(deps.httpUrl, kind, e, invoiceNumber));
	};
	const gocardless = async (kind: string, events: unknown[]) => {
		const body = JSON.stringify({ events });
		const res = await fetch(`${deps.httpUrl}/webhooks/gocardless`, {
			method: "POST",
			headers: { "content-type": "application/json", "webhook-signature": signGoCardlessPayload(body, LOCAL_GOCARDLESS_WEBHOOK_SECRET) },
			body,
		});
		const text = await res.text();
		const results = res.status === 200 ? (JSON.parse(text) as { events: { result: string }[] }).events.map((e) => e.result) : ["rejected"];
		for (const result of results) deliveries.push({ kind, status: res.status, result });
	};
	const pi = (id: string, invoice: Invoice, amount: number, metadata: Record<string, string> = { invoice_number: invoice.number }) =>
		event(`evt_${id}`, "payment_intent.succeeded", {
			id: `pi_${id}`,
			object: "payment_intent",
			amount_received: amount,
			currency: invoice.currency.toLowerCase(),
			metadata,
		});
	const dispute = (id: string, type: "created" | "closed", invoice: Invoice, status: string) =>
		event(`evt_${id}_dispute_${type}`, `charge.dispute.${type}`, {
			id: `dp_${id}`,
			object: "dispute",
			amount: invoice.total,
			currency: invoice.currency.toLowerCase(),
			charge: `ch_${id}`,
			payment_intent: `pi_${id}`,
			reason: "product_not_received",
			status,
		});
	const refund = (id: string, invoice: Invoice, amount: number) =>
		event(`evt_${id}_refund_${amount}`, "charge.refunded", {
			id: `ch_${id}`,
			object: "charge",
			amount_refunded: amount,
			currency: invoice.currency.toLowerCase(),
			payment_intent: `pi_${id}`,
		});

	// Invoices nobody has paid yet, one per case below.
	const open = (await listInvoicesOfPeriod(deps, period))
		.filter((i) => i.amountPaid === 0 && i.amountDue > 0)
		.sort((a, b) => a.number.localeCompare(b.number));
	const take = () => open.shift();

	const over = take();
	if (over)
		await stripe(
			"overpayment (excess kept as credit)",
			pi("demo_over", over, over.amountDue + 10 ** minorUnitDigits(over.currency) * 10),
			over.number,
		);

	const multi = take();
	if (multi) {
		// A second, older invoice for the same customer: one payment naming only the customer settles both.
		const earlier = await issueInvoiceForAccount(
			{ ...deps, seller: sellerConfig(), documentRetention: documentRetention() },
			multi.accountId,
			resolveBillingPeriod({ period: periodBefore(period) }, new Date()),
		);
		const older =
			earlier.outcome === "nothing_to_bill"
				? 0
				: ((await listInvoicesOfPeriod(deps, periodBefore(period))).find((i) => i.number === earlier.invoiceNumber)?.amountDue ?? 0);
		await stripe(
			"one payment for two invoices",
			pi("demo_multi", multi, multi.amountDue + older, { account_id: multi.accountId }),
			multi.number,
		);
	}

	const refunded = take();
	if (refunded) {
		await stripe("paid, then partly refunded", pi("demo_refund", refunded, refunded.amountDue), refunded.number);
		await stripe("refund", refund("demo_refund", refunded, Math.floor(refunded.total / 2)), refunded.number);
	}

	const disputed = take();
	if (disputed) {
		await stripe("paid, then disputed", pi("demo_dispute", disputed, disputed.amountDue), disputed.number);
		await stripe("dispute opened (invoice on hold)", dispute("demo_dispute", "created", disputed, "needs_response"), disputed.number);
	}

	const lost = take();
	if (lost) {
		await stripe("paid, then disputed", pi("demo_lost", lost, lost.amountDue), lost.number);
		await stripe("dispute opened (invoice on hold)", dispute("demo_lost", "created", lost, "needs_response"), lost.number);
		await stripe("dispute lost (amount due again)", dispute("demo_lost", "closed", lost, "lost"), lost.number);
	}

	const early = take();
	if (early) {
		await stripe("refund before its payment (parked)", refund("demo_early", early, Math.floor(early.total / 4)), early.number);
		await stripe("payment (applies the parked refund)", pi("demo_early", early, early.amountDue), early.number);
	}

	const debit = take();
	if (debit) {
		const metadata = { amount: String(debit.amountDue), currency: debit.currency, invoice_number: debit.number };
		const confirmed = {
			id: "EVDEMO1",
			created_at: new Date().toISOString(),
			resource_type: "payments",
			action: "confirmed",
			links: { payment: "PMDEMO1" },
			resource_metadata: metadata,
		};
		const paidOut = { ...confirmed, id: "EVDEMO2", action: "paid_out", links: { payment: "PMDEMO1", payout: "PODEMO1" } };
		await gocardless("GoCardless direct debit", [confirmed, paidOut]);
		await gocardless("GoCardless redelivery", [confirmed]);
		await gocardless("GoCardless payment matching nothing", [
			{
				id: "EVDEMO3",
				created_at: new Date().toISOString(),
				resource_type: "payments",
				action: "confirmed",
				links: { payment: "PMDEMO3" },
				resource_metadata: { amount: "777", currency: debit.currency, account_id: "ACC-NOT-OURS" },
			},
		]);
	}

	const bank = take();
	if (bank) {
		const csv = [
			"date,amount,currency,reference,id",
			`${new Date().toISOString().slice(0, 10)},${decimal(bank.amountDue, bank.currency)},${bank.currency},Payment ${bank.number},DEMO-TX-1`,
			`${new Date().toISOString().slice(0, 10)},${decimal(4200, bank.currency)},${bank.currency},no reference,DEMO-TX-2`,
			`${new Date().toISOString().slice(0, 10)},-${decimal(250, bank.currency)},${bank.currency},bank fee,DEMO-TX-3`,
		].join("\n");
		for (const row of await importBankStatementCsv(deps, csv))
			deliveries.push({ kind: "bank statement row", status: 200, result: row.outcome.result });
	}

	const cheque = take();
	if (cheque) {
		const outcome = await recordManualPayment(deps, {
			accountId: cheque.accountId,
			amount: decimal(cheque.amountDue, cheque.currency),
			currency: cheque.currency,
			reference: "cheque 100234",
		});
		deliveries.push({ kind: "cheque", invoiceNumber: cheque.number, status: 200, result: outcome.result });
	}

	const reconciliation = await reconcilePayments(deps, period);
	const report = await buildReconciliationReport(deps, period, reconciliation.invariants, await listPayments(deps));
	return { deliveries, reconciliation, rows: report.rows };
}

export function formatPaymentsDemo(result: PaymentsDemoResult): string[] {
	const byKind = new Map<string, number>();
	for (const d of result.deliveries) {
		const key = `${d.kind} -> ${d.result}`;
		byKind.set(key, (byKind.get(key) ?? 0) + 1);
	}
	const r = result.reconciliation;
	const lines = ["  more payments (refunds, disputes, GoCardless, bank, cheque):"];
	for (const [kind, count] of byKind) lines.push(`    ${String(count).padStart(3)} x ${kind}`);
	lines.push(
		`  reconciliation:           invariants ${r.invariants.invariantsHold ? "hold" : "VIOLATED"}; ${r.mismatches} mismatches listed`,
	);
	for (const row of result.rows) {
		const m = (amount: number) => formatMoney({ amount, currency: row.currency });
		lines.push(
			`    ${row.provider.padEnd(10)} ${row.currency}: received ${m(row.received)} = applied ${m(row.applied)} + credited ${m(row.credited)} + unapplied ${m(row.unapplied)}; refunded ${m(row.refunded)}, disputed ${m(row.disputed)}, charged back ${m(row.chargedBack)}`,
		);
	}
	lines.push(`  reconciliation report:    s3://…/${r.reportKey} (and .csv)`);
	return lines;
}
