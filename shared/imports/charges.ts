import pMap from "p-map";
import { readChargeBook } from "../store/charges.js";
import type { ImportAudit } from "../store/imports.js";
import type { TableDeps } from "../store/records.js";
import { chargeOf, chargeProblem, type KindCounts, type StoredCharge, type StoredState, storedChargesOf } from "./plan.js";
import type { Problems } from "./problems.js";
import type { ChargePartitions, SpilledCharge } from "./spill.js";
import { ChargeWriter } from "./write.js";

/**
 * The charge files of an import, once every row passed its own checks and was spilled by
 * account (spill.ts): checked against the store, then written, a partition at a time, each
 * with only its accounts' stored charges in memory.
 */

const CONCURRENCY = 8;

/** The import's stored state with the charges of the partition's accounts, read now. */
export async function withChargesOf(deps: TableDeps, state: StoredState, rows: readonly SpilledCharge[]): Promise<StoredState> {
	const charges = new Map<string, Map<string, StoredCharge>>();
	const chargeBooks = new Map<string, number>();
	const stored = [...new Set(rows.map((r) => r.accountId))].filter((id) => state.accounts.has(id));
	await pMap(
		stored,
		async (accountId) => {
			const book = await readChargeBook(deps, accountId);
			chargeBooks.set(accountId, book.version);
			charges.set(accountId, storedChargesOf(book.pages));
		},
		{ concurrency: CONCURRENCY },
	);
	return { ...state, charges, chargeBooks };
}

/** Each charge against its account (in the store or the import), its invoiced months and the charge stored under its id. */
export async function checkCharges(
	deps: TableDeps,
	spill: ChargePartitions,
	state: StoredState,
	currencyOfAccount: (accountId: string) => string | undefined,
	problems: Problems,
): Promise<void> {
	for await (const rows of spill.each()) {
		const partition = await withChargesOf(deps, state, rows);
		const firstLines = new Map<string, number>();
		for (const row of rows) {
			const id = `${row.accountId}#${row.chargeId}`;
			const first = firstLines.get(id);
			if (first !== undefined) {
				problems.add(row.file, {
					line: row.line,
					field: "charge_id",
					reason: `${row.chargeId} appears twice for ${row.accountId} (also on line ${first})`,
				});
				continue;
			}
			firstLines.set(id, row.line);
			const problem = chargeProblem(row, currencyOfAccount(row.accountId), partition);
			if (problem) problems.add(row.file, problem);
		}
	}
}

/** Each checked charge created (in pages), changed or left as it is; nothing written on a dry run. */
export async function writeCharges(
	deps: TableDeps,
	spill: ChargePartitions,
	state: StoredState,
	currencyOfAccount: (accountId: string) => string | undefined,
	options: {
		readonly importId: string;
		readonly dryRun: boolean;
		readonly audit: (file: string) => ImportAudit;
		readonly onProgress?: (rows: number, done: boolean) => void;
	},
): Promise<KindCounts> {
	const counts: KindCounts = { created: 0, updated: 0, unchanged: 0 };
	let rowsWritten = 0;
	for await (const rows of spill.each()) {
		const writer = new ChargeWriter(deps, await withChargesOf(deps, state, rows), options);
		for (const row of rows) {
			await writer.add(chargeOf(row, currencyOfAccount(row.accountId) as string), row.file);
			if (++rowsWritten % 10_000 === 0) options.onProgress?.(rowsWritten, false);
		}
		await writer.finishNew();
		await writer.writeChanged();
		for (const kind of ["created", "updated", "unchanged"] as const) counts[kind] += writer.counts[kind];
	}
	options.onProgress?.(rowsWritten, true);
	return counts;
}
