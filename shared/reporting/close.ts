import type { S3Client } from "@aws-sdk/client-s3";
import { BillingError, ValidationError } from "../core/errors.js";
import { resolveBillingPeriod } from "../core/period.js";
import { periodClosed } from "../store/books.js";
import type { TableDeps } from "../store/records.js";
import { closedThrough, isCancelled, transactWrite } from "../store/transact.js";
import { publishBooks } from "./book-files.js";
import { periodBooks } from "./books.js";
import type { ChartOfAccounts } from "./journal.js";
import { buildWorklist } from "./worklist.js";

export interface CloseResult {
	readonly period: string;
	readonly previouslyClosedThrough?: string;
	readonly openItems: number;
	readonly ties: boolean;
	readonly files: Readonly<Record<string, string>>;
}

/**
 * Closes the books through a period (DESIGN.md section 10): its books are written one last
 * time, then the lock moves to it, so nothing is dated into it afterwards. Refused for a
 * period not yet over, one closed already, books that do not tie out, and while exceptions
 * from the period are open, unless forced with a reason.
 */
export async function closePeriod(
	deps: TableDeps & { readonly s3: S3Client; readonly bucketName: string },
	period: string,
	options: {
		readonly actor: string;
		readonly today: string;
		readonly chart: ChartOfAccounts;
		readonly force?: boolean;
		readonly reason?: string;
	},
): Promise<CloseResult> {
	const { periodEnd } = resolveBillingPeriod({ period }, new Date(`${options.today}T00:00:00Z`));
	if (periodEnd >= options.today) throw new ValidationError(`${period} is not over yet (it ends ${periodEnd})`);
	if (options.force && !options.reason?.trim())
		throw new ValidationError("--force needs --reason: why the period closes with exceptions open");
	const read = await closedThrough(deps);
	if (read && read >= period) throw new BillingError(`the books are closed through ${read} already`, 409);
	const open = (await buildWorklist(deps, options.today)).filter((i) => i.since <= periodEnd);
	if (open.length > 0 && !options.force) {
		throw new BillingError(
			`${open.length} exception(s) from ${period} or before are open (billing worklist): ${open
				.slice(0, 5)
				.map((i) => i.id)
				.join(", ")}${open.length > 5 ? ", ..." : ""}; resolve them, or close with --force --reason`,
			409,
		);
	}
	const books = await periodBooks(deps, period, options.chart);
	if (!books.trialBalance.ties) {
		throw new BillingError(
			`the trial balance of ${period} does not tie out: ${books.trialBalance.tieOut.flatMap((t) => t.differences).join("; ")}`,
			409,
		);
	}
	const files = await publishBooks(deps, books, options.chart);
	try {
		await transactWrite(
			deps,
			periodClosed(deps.tableName, read, {
				period,
				closedAt: new Date().toISOString(),
				actor: options.actor,
				...(options.force ? { reason: options.reason } : {}),
				openItems: open.length,
				files,
			}),
		);
	} catch (err) {
		if (isCancelled(err)) throw new BillingError(`the books' lock changed while closing ${period}; look again`, 409);
		throw err;
	}
	return { period, ...(read ? { previouslyClosedThrough: read } : {}), openItems: open.length, ties: books.trialBalance.ties, files };
}
