import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toCsvText } from "../../shared/core/csv.js";
import type { Account, Charge } from "../../shared/core/model.js";
import { formatMajorUnits } from "../../shared/core/money.js";
import { addDays } from "../../shared/core/period.js";
import { formatTaxRate } from "../../shared/documents/format.js";
import { type ImportDeps, type ImportProgress, type ImportResult, importFiles } from "../../shared/imports/import.js";
import { fileSource } from "../../shared/imports/sources.js";
import { putAccount } from "../../shared/store/accounts.js";
import { putCharge } from "../../shared/store/charges.js";
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

/** Currency, tax rate (parts per million) and plan price in that currency's minor units. */
const MARKETS = [
	{ currency: "USD", taxRatePpm: 82500, planAmount: 4900, usageUnit: 12, city: "Austin TX 78701", country: "United States" },
	{ currency: "EUR", taxRatePpm: 190000, planAmount: 4500, usageUnit: 11, city: "10115 Berlin", country: "Germany" },
	{ currency: "GBP", taxRatePpm: 200000, planAmount: 3900, usageUnit: 9, city: "London EC1A 1BB", country: "United Kingdom" },
	{ currency: "JPY", taxRatePpm: 100000, planAmount: 6500, usageUnit: 15, city: "Tokyo 100-0001", country: "Japan" },
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
			taxRatePpm: market.taxRatePpm,
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

const TERMS: Readonly<Record<number, string>> = { 0: "due_on_receipt", 15: "net_15", 30: "net_30", 60: "net_60" };

/**
 * The demo data as the four files a billing team would bring (DESIGN.md section 8): each
 * account's plan becomes a catalog plan per currency and a subscription from the period's
 * first day. Returns the files' paths.
 */
export function writeSeedFiles(data: SeedResult, period: string, dir: string): string[] {
	mkdirSync(dir, { recursive: true });
	const periodStart = `${period}-01`;
	const plans = new Map<string, string[]>();
	const subscriptions: (string | number)[][] = [];
	for (const a of data.accounts) {
		if (!a.plan) continue;
		const code = `${a.plan.code}-${a.currency.toLowerCase()}`;
		plans.set(code, [code, a.plan.description, a.currency, formatMajorUnits(a.plan.unitAmount, a.currency)]);
		subscriptions.push([`${a.accountId}-${a.plan.code}`, a.accountId, code, a.plan.quantity, periodStart]);
	}
	const currencyOf = new Map(data.accounts.map((a) => [a.accountId, a.currency]));
	const files: Record<string, (string | number)[][]> = {
		"accounts.csv": [
			["account_id", "name", "currency", "email", "delivery", "address", "tax_rate", "payment_terms", "status", "closed_on"],
			...data.accounts.map((a) => [
				a.accountId,
				a.name,
				a.currency,
				a.email,
				a.delivery,
				a.addressLines.join("|"),
				formatTaxRate(a.taxRatePpm).replace("%", ""),
				TERMS[a.paymentTermsDays] ?? "net_30",
				a.status === "closed" ? "closed" : "active",
				// Closed before the period: nothing to bill, no statement unless it owes.
				a.status === "closed" ? (a.closedOn ?? addDays(periodStart, -1)) : "",
			]),
		],
		"plans.csv": [["plan_code", "description", "currency", "unit_price"], ...plans.values()],
		"subscriptions.csv": [["subscription_id", "account_id", "plan_code", "quantity", "start_date"], ...subscriptions],
		"charges.csv": [
			["charge_id", "account_id", "date", "description", "quantity", "unit_price", "kind"],
			...data.charges.map((c) => [
				`${c.accountId}-${c.chargeId}`,
				c.accountId,
				c.date ?? `${c.period}-01`,
				c.description,
				c.quantity,
				formatMajorUnits(c.unitAmount, currencyOf.get(c.accountId) ?? "USD"),
				c.kind ?? "usage",
			]),
		],
	};
	return Object.entries(files).map(([name, rows]) => {
		const path = join(dir, name);
		writeFileSync(path, toCsvText(rows));
		return path;
	});
}

/** The demo accounts written as files into `dir` and imported through `billing import`'s code. */
export async function seedDemoData(
	deps: TableDeps,
	data: SeedResult,
	period: string,
	dir: string,
	onProgress?: (p: ImportProgress) => void,
): Promise<ImportResult> {
	const importDeps: ImportDeps = { ...deps, actor: "demo:seed" };
	return importFiles(
		importDeps,
		writeSeedFiles(data, period, dir).map((path) => fileSource(path)),
		onProgress ? { onProgress } : {},
	);
}

/** The pricing showcase (tiers, coupons, lines stored on the account), stored as built: no import file has those. */
export async function putShowcaseData(deps: TableDeps, data: SeedResult): Promise<void> {
	for (const account of data.accounts) await putAccount(deps, account);
	for (const charge of data.charges) await putCharge(deps, charge);
}
