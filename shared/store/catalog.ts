import { type CatalogPlan, catalogPlanSchema, type SubscriptionRecord, subscriptionRecordSchema } from "../core/model.js";
import { GSI1, keys } from "./keys.js";
import { getItems, parseRecord, queryAll, type TableDeps } from "./records.js";

/** Reads of the plan catalog and the accounts' subscriptions (written by imports, shared/store/imports.ts). */

export async function getPlans(deps: TableDeps, planCodes: Iterable<string>): Promise<Map<string, CatalogPlan>> {
	const items = await getItems(deps, [...new Set(planCodes)].map(keys.plan));
	const plans = items.map((item) => parseRecord(catalogPlanSchema, item));
	return new Map(plans.map((p) => [p.planCode, p]));
}

export async function getPlan(deps: TableDeps, planCode: string): Promise<CatalogPlan | undefined> {
	return (await getPlans(deps, [planCode])).get(planCode);
}

export async function listPlans(deps: TableDeps): Promise<CatalogPlan[]> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		KeyConditionExpression: "gsi1pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.planListing("").gsi1pk },
	});
	return items.map((item) => parseRecord(catalogPlanSchema, item));
}

export async function getSubscriptions(deps: TableDeps, subscriptionIds: Iterable<string>): Promise<Map<string, SubscriptionRecord>> {
	const items = await getItems(deps, [...new Set(subscriptionIds)].map(keys.subscription));
	const subscriptions = items.map((item) => parseRecord(subscriptionRecordSchema, item));
	return new Map(subscriptions.map((s) => [s.subscriptionId, s]));
}

export async function getSubscription(deps: TableDeps, subscriptionId: string): Promise<SubscriptionRecord | undefined> {
	return (await getSubscriptions(deps, [subscriptionId])).get(subscriptionId);
}

export async function listSubscriptionsOfAccount(deps: TableDeps, accountId: string): Promise<SubscriptionRecord[]> {
	const items = await queryAll(deps, {
		IndexName: GSI1,
		KeyConditionExpression: "gsi1pk = :pk",
		ExpressionAttributeValues: { ":pk": keys.subscriptionListing(accountId, "").gsi1pk },
	});
	return items.map((item) => parseRecord(subscriptionRecordSchema, item));
}
