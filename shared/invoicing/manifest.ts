import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { BillingPeriod } from "../core/period.js";
import { listAccounts, type TableDeps } from "../store/records.js";

export interface ManifestDeps extends TableDeps {
	readonly s3: S3Client;
	readonly bucketName: string;
}

export interface OutstandingAccounts {
	readonly manifest: { readonly bucket: string; readonly key: string };
	readonly accountCount: number;
	/** Closed accounts closed before the period that owe nothing and hold no credit: nothing to bill or state. */
	readonly skippedClosedAccounts: number;
}

/**
 * The period's manifest: every account that is not closed; a closed one in the period it
 * closed in (its final invoice, prorated to its closing day) and while it still owes or
 * holds credit (its statement). The invoicing step decides whether an account has anything
 * billable. Written to S3 so the
 * Distributed Map reads it there and the state's output carries only its location and counts.
 */
export async function identifyOutstandingAccounts(deps: ManifestDeps, period: BillingPeriod): Promise<OutstandingAccounts> {
	const accounts = await listAccounts(deps);
	const inRun = accounts.filter(
		(a) => a.status !== "closed" || a.balance !== 0 || a.creditBalance !== 0 || (a.closedOn ?? "") >= period.periodStart,
	);
	const key = `manifests/${period.period}/outstanding-accounts.json`;
	await deps.s3.send(
		new PutObjectCommand({
			Bucket: deps.bucketName,
			Key: key,
			Body: JSON.stringify(inRun.map((a) => ({ accountId: a.accountId }))),
			ContentType: "application/json",
		}),
	);
	return {
		manifest: { bucket: deps.bucketName, key },
		accountCount: inRun.length,
		skippedClosedAccounts: accounts.length - inRun.length,
	};
}
