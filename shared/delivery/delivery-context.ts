import type { Account, Invoice } from "../core/model.js";
import type { Statement } from "../core/statement.js";
import { RecordsRead } from "../store/batch-reads.js";
import type { DeliveryKey, DeliveryRecord } from "../store/deliveries.js";
import { keys } from "../store/keys.js";
import type { TableDeps } from "../store/records.js";

export type DeliveryStatus = DeliveryRecord["status"];

const CHANNELS = ["email", "postal"] as const;
const keyOf = (key: DeliveryKey) => `${key.pk}\n${key.sk}`;

/**
 * What a batch's deliveries read together (invoices, accounts, statements, delivery records:
 * two BatchGetItem calls for the batch instead of several GetItem calls per invoice), and
 * the delivery records the batch wrote since, which stand over those read.
 */
export class DeliveryContext {
	private readonly written = new Map<string, DeliveryStatus | "released">();

	private constructor(private readonly read: RecordsRead) {}

	/**
	 * Reads the invoices with the accounts and statements of `accountIds` for `period` (the
	 * accounts whose statements the batch delivers besides), then the invoices' delivery
	 * records on both channels and the statements' on their account's channel, with the
	 * accounts and statements of any invoice not read yet.
	 */
	static async read(
		deps: TableDeps,
		invoiceNumbers: readonly string[],
		accountIds: readonly string[] = [],
		period?: string,
	): Promise<DeliveryContext> {
		const ofAccounts = period ? accountIds.map((accountId) => ({ accountId, period })) : [];
		const first = await RecordsRead.of(deps, [
			...invoiceNumbers.map(keys.invoice),
			...ofAccounts.flatMap(({ accountId, period }) => [keys.account(accountId), keys.statement(accountId, period)]),
		]);
		const ofInvoices = invoiceNumbers.flatMap((number) => {
			try {
				const invoice = first.invoice(number);
				return invoice ? [{ accountId: invoice.accountId, period: invoice.period }] : [];
			} catch {
				// Unreadable: its delivery fails on its own when it gets to it.
				return [];
			}
		});
		const statementsOf = ({ accountId, period }: { accountId: string; period: string }) => {
			if (!first.wasRead(keys.account(accountId))) {
				return [
					keys.account(accountId),
					keys.statement(accountId, period),
					...CHANNELS.map((channel) => keys.statementDelivery(accountId, period, channel)),
				];
			}
			try {
				return [keys.statementDelivery(accountId, period, first.account(accountId)?.delivery ?? "email")];
			} catch {
				return [];
			}
		};
		const read = await first.extend(deps, [
			...[...ofAccounts, ...ofInvoices].flatMap(statementsOf),
			...invoiceNumbers.flatMap((number) => CHANNELS.map((channel) => keys.delivery(number, channel))),
		]);
		return new DeliveryContext(read);
	}

	invoice(number: string): Invoice | undefined {
		return this.read.invoice(number);
	}

	account(accountId: string): Account | undefined {
		return this.read.account(accountId);
	}

	statement(accountId: string, period: string): Statement | undefined {
		return this.read.statement(accountId, period);
	}

	/** The delivery's status: as this batch left it, else as read. */
	status(key: DeliveryKey): DeliveryStatus | undefined {
		const written = this.written.get(keyOf(key));
		if (written === "released") return undefined;
		return written ?? this.read.delivery(key)?.status;
	}

	/** Claims read still sending since before `cutoff`, unless this batch wrote them since. */
	claimsBefore(cutoff: string): { readonly key: DeliveryKey; readonly claimedAt: string }[] {
		return this.read.claimsBefore(cutoff).filter(({ key }) => !this.written.has(keyOf(key)));
	}

	wrote(key: DeliveryKey, status: DeliveryStatus | "released"): void {
		this.written.set(keyOf(key), status);
	}
}
