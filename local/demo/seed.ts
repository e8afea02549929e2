import type { Account, Charge } from "../../shared/core/model.js";
import { putAccount, putCharge } from "../../shared/store/accounts.js";
import type { TableDeps } from "../../shared/store/records.js";

/** Deterministic pseudo-random numbers (mulberry32), so a seed always gives the same demo. */
export function randomGenerator(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

const COMPANIES = [
	"Acme",
	"Globex",
	"Initech",
	"Umbrella",
	"Stark",
	"Wayne",
	"Wonka",
	"Tyrell",
	"Cyberdyne",
	"Soylent",
	"Hooli",
	"Vandelay",
	"Oscorp",
	"Aperture",
	"Gringotts",
	"Monarch",
	"Dunder",
	"Prestige",
	"Massive",
	"Nakatomi",
];
const SUFFIXES = ["Ltd", "GmbH", "Inc.", "KK", "LLC", "SA"];

/** Currency, tax rate (basis points) and plan price in that currency's minor units. */
const MARKETS = [
	{ currency: "USD", taxRateBasisPoints: 825, planAmount: 4900, usageUnit: 12, city: "Austin TX 78701", country: "United States" },
	{ currency: "EUR", taxRateBasisPoints: 1900, planAmount: 4500, usageUnit: 11, city: "10115 Berlin", country: "Germany" },
	{ currency: "GBP", taxRateBasisPoints: 2000, planAmount: 3900, usageUnit: 9, city: "London EC1A 1BB", country: "United Kingdom" },
	{ currency: "JPY", taxRateBasisPoints: 1000, planAmount: 6500, usageUnit: 15, city: "Tokyo 100-0001", country: "Japan" },
] as const;

export interface SeedResult {
	readonly accounts: Account[];
	readonly charges: Charge[];
}

/**
 * Demo accounts for `billing seed` and the demo: a plan for each, metered usage for most,
 * four currencies (JPY with no minor digits), one postal-only account, one account whose
 * email address is invalid (its delivery failure shows in the run), one closed account.
 */
export function buildSeedData(count: number, seed: number, period: string, options: { emailTag?: string; now?: Date } = {}): SeedResult {
	const now = options.now ?? new Date();
	const tag = options.emailTag ? `${options.emailTag}-` : "";
	const random = randomGenerator(seed);
	const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
	const accounts: Account[] = [];
	const charges: Charge[] = [];
	for (let i = 1; i <= count; i++) {
		const market = MARKETS[(i - 1) % MARKETS.length] as (typeof MARKETS)[number];
		const company = `${pick(COMPANIES)} ${pick(SUFFIXES)}`;
		const accountId = `ACC-${String(i).padStart(4, "0")}`;
		const slug = company.toLowerCase().replace(/[^a-z]+/g, "");
		const seats = 1 + Math.floor(random() * 10);
		accounts.push({
			accountId,
			name: `${company} (${accountId})`,
			email: i === 7 ? "accounts-payable@@invalid" : `ap+${tag}${accountId.toLowerCase()}@${slug}.example.com`,
			currency: market.currency,
			status: i === 11 ? "closed" : "active",
			taxRateBasisPoints: market.taxRateBasisPoints,
			paymentTermsDays: [15, 30, 30, 60][i % 4] as number,
			delivery: i === 5 ? "postal" : "email",
			addressLines: [`${i} Market Street`, market.city, market.country],
			plan: { code: "team", description: "Team plan, per seat", unitAmount: market.planAmount, quantity: seats },
			balance: 0,
			creditBalance: 0,
			createdAt: now.toISOString(),
		});
		if (i % 3 !== 0) {
			charges.push({
				accountId,
				period,
				chargeId: "usage-api-calls",
				description: "API calls (thousands)",
				quantity: 10 + Math.floor(random() * 490),
				unitAmount: market.usageUnit,
			});
		}
		if (i % 10 === 4) {
			charges.push({
				accountId,
				period,
				chargeId: "onboarding",
				description: "Onboarding workshop (one-time)",
				quantity: 1,
				unitAmount: market.planAmount * 5,
			});
		}
	}
	return { accounts, charges };
}

export async function seedDemoData(deps: TableDeps, data: SeedResult): Promise<void> {
	for (const account of data.accounts) await putAccount(deps, account);
	for (const charge of data.charges) await putCharge(deps, charge);
}
