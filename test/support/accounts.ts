import type { Account } from "../../shared/core/model.js";

/** A USD customer on net 30 with nothing owed, for tests to adjust with `overrides`. */
export function testAccount(accountId: string, overrides: Partial<Account> = {}): Account {
	return {
		accountId,
		name: `${accountId} Ltd`,
		email: `ap+${accountId.toLowerCase()}@example.com`,
		currency: "USD",
		status: "active",
		taxRatePpm: 0,
		paymentTermsDays: 30,
		delivery: "email",
		addressLines: ["1 Test Road"],
		balance: 0,
		creditBalance: 0,
		createdAt: "2026-09-01T00:00:00.000Z",
		...overrides,
	};
}
