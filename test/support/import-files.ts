import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The accounts and charges files of a test, written under `dir` as a billing team's would
 * be: `count` USD accounts `accountId(i)` with an email each, and the charge rows given
 * (`charge_id,account_id,date,description,quantity,unit_price`). Answers both paths.
 */
export function writeImportFiles(
	dir: string,
	accounts: { readonly count: number; readonly accountId: (i: number) => string },
	chargeRows: readonly string[],
): { readonly accounts: string; readonly charges: string } {
	const paths = { accounts: join(dir, "accounts.csv"), charges: join(dir, "charges.csv") };
	const accountRows = Array.from(
		{ length: accounts.count },
		(_, i) => `${accounts.accountId(i)},Customer ${i},USD,ap+${i}@customer.example.com`,
	);
	writeFileSync(paths.accounts, ["account_id,name,currency,email", ...accountRows].join("\n"));
	writeFileSync(paths.charges, ["charge_id,account_id,date,description,quantity,unit_price", ...chargeRows].join("\n"));
	return paths;
}
