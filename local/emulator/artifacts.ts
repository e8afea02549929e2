import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { readObjectBytes } from "../../shared/platform/s3-objects.js";

/**
 * The S3 server stores objects under its own file names; the period's PDFs and reports
 * are copied out as plain files so a person can open them.
 */
export async function exportArtifacts(
	s3: S3Client,
	bucket: string,
	dataDir: string,
	period: string,
): Promise<{ invoicesDir: string; report: string }> {
	const outDir = join(dataDir, "artifacts", period);
	const invoicesDir = join(outDir, "invoices");
	mkdirSync(invoicesDir, { recursive: true });
	let report = "";
	for (const prefix of [`invoices/${period}/`, `reports/${period}/`]) {
		let token: string | undefined;
		do {
			const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
			for (const object of page.Contents ?? []) {
				if (!object.Key) continue;
				const target = prefix.startsWith("invoices") ? join(invoicesDir, basename(object.Key)) : join(outDir, basename(object.Key));
				writeFileSync(target, await readObjectBytes(s3, bucket, object.Key));
				// The monthly HTML report is the one a person opens; the reconciliation files sit beside it.
				if (prefix.startsWith("reports") && basename(object.Key).startsWith("monthly") && (report === "" || object.Key.endsWith(".html")))
					report = target;
			}
			token = page.NextContinuationToken;
		} while (token);
	}
	return { invoicesDir, report };
}
