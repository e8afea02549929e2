/**
 * The arithmetic of `npm run bench:cycle`'s AWS figures, pure: what a measured run's usage
 * costs per 1,000 invoices at the list prices of bench/aws-prices.ts, and how long a month of
 * many more accounts takes on AWS under the configured quotas, with the limit that binds.
 */
import { AWS_PRICES, type PricedUsage, type UnitPrice } from "./aws-prices.js";

/** Billed usage of one run, each in the unit its price is in. */
export type Usage = Readonly<Record<PricedUsage, number>>;

export interface CostPart {
	/** Units per 1,000 invoices. */
	readonly units: number;
	/** USD per 1,000 invoices, to the micro-dollar. */
	readonly usd: string;
}

export interface Cost {
	/** USD per 1,000 invoices, to the micro-dollar. */
	readonly usd: string;
	/** The same, in picodollars (the integer every part adds up in). */
	readonly picoUsd: number;
	readonly parts: Readonly<Record<PricedUsage, CostPart>>;
}

/** Picodollars as USD to the micro-dollar, rounded half up, from integers only. */
export function usdOfPico(picoUsd: number): string {
	const micro = Math.round(picoUsd / 1_000_000);
	return `${Math.floor(micro / 1_000_000)}.${String(micro % 1_000_000).padStart(6, "0")}`;
}

/** What `invoices` invoices cost at `cost` per 1,000, in USD to the micro-dollar. */
export function usdForInvoices(cost: Cost, invoices: number): string {
	// In micro-dollars first, so that a million invoices stay within safe integers.
	const micro = Math.round((cost.picoUsd / 1_000_000) * (invoices / 1000));
	return usdOfPico(micro * 1_000_000);
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

/** What `usage`, spent on `invoices` invoices, costs per 1,000 invoices: each part rounded to the picodollar, then added. */
export function costPer1000Invoices(usage: Usage, invoices: number, prices: Readonly<Record<PricedUsage, UnitPrice>> = AWS_PRICES): Cost {
	if (invoices <= 0) throw new Error("no invoices to price");
	const parts = {} as Record<PricedUsage, CostPart>;
	let total = 0;
	for (const key of Object.keys(prices) as PricedUsage[]) {
		const units = (usage[key] * 1000) / invoices;
		const pico = Math.round(units * prices[key].picoUsd);
		total += pico;
		parts[key] = { units: round(units, 4), usd: usdOfPico(pico) };
	}
	return { usd: usdOfPico(total), picoUsd: total, parts };
}

/** What one Distributed Map did in the measured run. */
export interface MeasuredMap {
	readonly map: string;
	/** Items (accounts) it read. */
	readonly items: number;
	/** Children (batches) it ran. */
	readonly children: number;
	/** The children's durations added up. */
	readonly childSeconds: number;
	/** What the run's clients asked for while the map ran. */
	readonly sesEmails: number;
	readonly dynamodbReadUnits: number;
	readonly dynamodbWriteUnits: number;
}

/** A top-level step outside the maps, in the run and in the run of a tenth of its accounts. */
export interface MeasuredStep {
	readonly step: string;
	readonly seconds: number;
	readonly secondsAtTenth: number;
}

/** The accounts of the measured run and of its tenth. */
export interface MeasuredRuns {
	readonly accounts: number;
	readonly tenthAccounts: number;
}

/** The deployed configuration and the account's quotas the projection runs under. */
export interface AwsLimits {
	/** Per Distributed Map state: its MaxConcurrency and its batch size (MaxItemsPerBatch). */
	readonly maps: Readonly<Record<string, { readonly maxConcurrency: number; readonly batchSize: number }>>;
	/** The SES account's maximum send rate, emails per second. */
	readonly sesSendingRate: number;
	/** Concurrent Lambda executions of the account (each map child runs one function at a time). */
	readonly lambdaConcurrency: number;
	/** On-demand throughput a DynamoDB table takes by default, request units per second. */
	readonly dynamodbTableWriteUnitsPerSecond: number;
	readonly dynamodbTableReadUnitsPerSecond: number;
}

export const LIMIT_NAMES = [
	"MaxConcurrency",
	"Lambda concurrency",
	"SES sending rate",
	"DynamoDB table write throughput",
	"DynamoDB table read throughput",
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

export interface ProjectedMap {
	readonly map: string;
	readonly hours: number;
	/** Each limit's own minimum for this map, in hours. */
	readonly byLimit: Readonly<Record<LimitName, number>>;
	readonly bindingLimit: LimitName;
}

export interface Projection {
	readonly accounts: number;
	readonly hours: number;
	readonly bindingLimit: LimitName;
	/** The binding limit's own minimum: the whole month's work under that limit alone. */
	readonly bindingLimitHours: number;
	/** Each limit's own minimum, in hours. */
	readonly limitHours: Readonly<Record<LimitName, number>>;
	readonly maps: readonly ProjectedMap[];
	/** The steps outside the maps, each grown as it grew from the tenth to the measured run. */
	readonly serialHours: number;
}

const hours = (seconds: number) => seconds / 3600;

/**
 * A month of `accounts` accounts on AWS. Each map's children take the measured time per item
 * times the deployed batch size, and run as many at once as the lower of its MaxConcurrency
 * and the Lambda concurrency; the map takes the longest of that and what the SES rate and the
 * table's throughput allow for its share of the emails and request units (grown in proportion
 * to the accounts). A step outside the maps grows by the seconds per account it grew from the
 * tenth to the measured run (never shrinks). The limit that binds is the one whose own minimum over
 * the month is longest.
 */
export function projectMonth(
	runs: MeasuredRuns,
	maps: readonly MeasuredMap[],
	steps: readonly MeasuredStep[],
	limits: AwsLimits,
	accounts: number,
): Projection {
	const scale = accounts / runs.accounts;
	const limitHours = Object.fromEntries(LIMIT_NAMES.map((n) => [n, 0])) as Record<LimitName, number>;
	const projected = maps.map((m): ProjectedMap => {
		const config = limits.maps[m.map];
		if (!config) throw new Error(`no MaxConcurrency and batch size configured for the map "${m.map}"`);
		const secondsPerItem = m.childSeconds / m.items;
		const children = Math.ceil((m.items * scale) / config.batchSize);
		const childSeconds = secondsPerItem * config.batchSize;
		const byLimit: Record<LimitName, number> = {
			MaxConcurrency: hours((children * childSeconds) / config.maxConcurrency),
			"Lambda concurrency": hours((children * childSeconds) / limits.lambdaConcurrency),
			"SES sending rate": hours((m.sesEmails * scale) / limits.sesSendingRate),
			"DynamoDB table write throughput": hours((m.dynamodbWriteUnits * scale) / limits.dynamodbTableWriteUnitsPerSecond),
			"DynamoDB table read throughput": hours((m.dynamodbReadUnits * scale) / limits.dynamodbTableReadUnitsPerSecond),
		};
		for (const n of LIMIT_NAMES) limitHours[n] += byLimit[n];
		const bindingLimit = LIMIT_NAMES.reduce((a, b) => (byLimit[b] > byLimit[a] ? b : a));
		return { map: m.map, hours: byLimit[bindingLimit], byLimit, bindingLimit };
	});
	const perAccount = (s: MeasuredStep) => Math.max(0, (s.seconds - s.secondsAtTenth) / (runs.accounts - runs.tenthAccounts));
	const serialHours = hours(steps.reduce((sum, s) => sum + s.seconds + perAccount(s) * (accounts - runs.accounts), 0));
	const bindingLimit = LIMIT_NAMES.reduce((a, b) => (limitHours[b] > limitHours[a] ? b : a));
	return {
		accounts,
		hours: projected.reduce((sum, m) => sum + m.hours, 0) + serialHours,
		bindingLimit,
		bindingLimitHours: limitHours[bindingLimit],
		limitHours,
		maps: projected,
		serialHours,
	};
}
