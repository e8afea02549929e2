import { ValidationError } from "../core/errors.js";
import type { Account, CatalogPlan, InvoiceLine, Subscription, SubscriptionRecord } from "../core/model.js";
import type { BillingPeriod } from "../core/period.js";
import { getPlans, listSubscriptionsOfAccount } from "../store/catalog.js";
import { listCharges } from "../store/charges.js";
import type { TableDeps } from "../store/records.js";
import { priceInvoiceLines } from "./pricing.js";

/** The account's subscriptions to catalog plans as recurring lines, at the plans' prices as they are now. */
export async function subscribedPlans(deps: TableDeps, account: Account): Promise<Subscription[]> {
	const subscriptions = await listSubscriptionsOfAccount(deps, account.accountId);
	if (subscriptions.length === 0) return [];
	const plans = await getPlans(
		deps,
		subscriptions.map((s) => s.planCode),
	);
	return subscriptionsAtPlanPrices(account, subscriptions, plans);
}

/** The subscriptions as recurring lines, at the prices of `plans` (which holds each plan they name, or the subscription is refused). */
export function subscriptionsAtPlanPrices(
	account: Account,
	subscriptions: readonly SubscriptionRecord[],
	plans: ReadonlyMap<string, CatalogPlan>,
): Subscription[] {
	return [...subscriptions]
		.sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId))
		.map((s) => {
			const plan = plans.get(s.planCode);
			if (!plan) throw new ValidationError(`subscription ${s.subscriptionId}: no plan ${s.planCode} in the catalog`);
			if (plan.currency !== account.currency) {
				throw new ValidationError(
					`subscription ${s.subscriptionId}: plan ${s.planCode} is in ${plan.currency}, account ${account.accountId} in ${account.currency}`,
				);
			}
			return {
				code: plan.planCode,
				description: plan.description,
				unitAmount: plan.unitAmount,
				quantity: s.quantity,
				startDate: s.startDate,
				...(s.endDate ? { endDate: s.endDate } : {}),
			};
		});
}

/** The account's lines for the period: its subscriptions, the period's charges, its discounts and tax. */
export async function priceAccountPeriod(deps: TableDeps, account: Account, period: BillingPeriod): Promise<InvoiceLine[]> {
	const [charges, subscriptions] = await Promise.all([listCharges(deps, account.accountId, period.period), subscribedPlans(deps, account)]);
	return priceInvoiceLines(account, charges, period, subscriptions);
}
