import { queryOptions } from "@tanstack/react-query";
import { ApiError, apiGet, apiPath, apiSend } from "./client.js";

export const IMPORT_FILES = ["accounts", "plans", "subscriptions", "charges"] as const;
export type ImportFile = (typeof IMPORT_FILES)[number];

export interface ImportProblem {
	readonly file: string;
	readonly line: number;
	readonly field: string;
	readonly message: string;
}

export interface ImportResult {
	readonly importId?: string;
	readonly status?: string;
	/** Per kind and outcome: "accounts created" → 3. */
	readonly counts: Readonly<Record<string, number>>;
	readonly errors: readonly ImportProblem[];
}

/** The import's counts as the API gives them, per kind: `{ accounts: { created, updated, unchanged } }`. */
type KindCounts = Readonly<Record<string, Readonly<Record<string, number>>>>;

function flatCounts(counts: KindCounts | undefined): Record<string, number> {
	return Object.fromEntries(
		Object.entries(counts ?? {}).flatMap(([kind, byOutcome]) => Object.entries(byOutcome).map(([outcome, n]) => [`${kind} ${outcome}`, n])),
	);
}

/**
 * Sends the CSV files' text, each named by its kind. A refused import answers 400 with its
 * line errors (`details.rows`): that is a result to show, not an error.
 */
export async function runImport(files: Partial<Record<ImportFile, string>>, dryRun: boolean): Promise<ImportResult> {
	const uploads = Object.entries(files).map(([kind, content]) => ({ name: `${kind}.csv`, kind, content }));
	try {
		const result = await apiSend<{ importId: string; counts: KindCounts }>("POST", "imports", { files: uploads, dryRun });
		return { ...(dryRun ? {} : { importId: result.importId }), counts: flatCounts(result.counts), errors: [] };
	} catch (err) {
		const rows = err instanceof ApiError && err.status === 400 ? (err.details as { rows?: ImportProblem[] } | undefined)?.rows : undefined;
		if (rows) return { counts: {}, errors: rows };
		throw err;
	}
}

export const importQuery = (importId: string) =>
	queryOptions({
		queryKey: ["import", importId],
		queryFn: async ({ signal }): Promise<ImportResult> => {
			const run = await apiGet<{ importId: string; counts: KindCounts }>(apiPath`imports/${importId}`, { signal });
			return { importId: run.importId, status: "imported", counts: flatCounts(run.counts), errors: [] };
		},
	});
