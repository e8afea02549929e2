import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { BillingPeriod } from "../core/period.js";
import { refuseWhileImportWriting } from "../imports/writing.js";
import { listAccounts, type TableDeps } from "../store/records.js";

export interface ManifestDeps extends TableDeps {
	readonly s3: S3Client;
	readonly bucketName: string;
}

export interface OutstandingAccounts {
	readonly manifest: { readonly bucket: string; readonly key: string };
	/** Every account, closed ones included: Review Accounts verifies and tallies each ledger for the month's books. */
	readonly reviewManifest: { readonly bucket: string; readonly key: string };
	readonly accountCount: number;
	/** Closed accounts closed before the period that owe nothing and hold no credit: nothing to bill or state. */
	readonly skippedClosedAccounts: number;
}

/**
 * The period's manifests. To invoice: every account that is not closed; a closed one in the period it
 * closed in (its final invoice, prorated to its closing day) and while it still owes or
 * holds credit (its statement). The invoicing step decides whether an account has anything
 * billable. To review: every account, for its ledger
 * belongs in the month's books whether or not it is billed. Written to S3 so the
 * Distributed Maps read them there and the state's output carries only its location and counts.
 */
export async function identifyOutstandingAccounts(deps: ManifestDeps, period: BillingPeriod): Promise<OutstandingAccounts> {
	// A month is never billed from half an import: the state's Retry waits for it.
	await refuseWhileImportWriting(deps);
	const accounts = await listAccounts(deps);
	const inRun = accounts.filter(
		(a) => a.status !== "closed" || a.balance !== 0 || a.creditBalance !== 0 || (a.closedOn ?? "") >= period.periodStart,
	);
	const put = async (file: string, listed: readonly { accountId: string }[]) => {
		const key = `manifests/${period.period}/${file}`;
		const Body = JSON.stringify(listed.map((a) => ({ accountId: a.accountId })));
		await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucketName, Key: key, Body, ContentType: "application/json" }));
		return { bucket: deps.bucketName, key };
	};
	return {
		manifest: await put("outstanding-accounts.json", inRun),
		reviewManifest: await put("accounts-to-review.json", accounts),
		accountCount: inRun.length,
		skippedClosedAccounts: accounts.length - inRun.length,
	};
}
