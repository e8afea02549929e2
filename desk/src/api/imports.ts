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
	readonly counts: Readonly<Record<string, number>>;
	readonly errors: readonly ImportProblem[];
}

function isImportResult(body: unknown): body is ImportResult {
	return typeof body === "object" && body !== null && Array.isArray((body as ImportResult).errors);
}

/**
 * Sends the CSV files' text. A refused import answers 400 with the same shape as a
 * successful one (its line errors), so that is a result to show, not an error.
 */
export async function runImport(files: Partial<Record<ImportFile, string>>, dryRun: boolean): Promise<ImportResult> {
	try {
		return await apiSend<ImportResult>("POST", "imports", { files, dryRun });
	} catch (err) {
		if (err instanceof ApiError && err.status === 400 && isImportResult(err.body)) return err.body;
		throw err;
	}
}

export const importQuery = (importId: string) =>
	queryOptions({
		queryKey: ["import", importId],
		queryFn: ({ signal }) => apiGet<ImportResult>(apiPath`imports/${importId}`, { signal }),
	});
