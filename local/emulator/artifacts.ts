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
): Promise<{ invoicesDir: string; report: string; booksDir: string }> {
	const outDir = join(dataDir, "artifacts", period);
	const invoicesDir = join(outDir, "invoices");
	const booksDir = join(outDir, "books");
	mkdirSync(invoicesDir, { recursive: true });
	mkdirSync(booksDir, { recursive: true });
	let report = "";
	for (const prefix of [`invoices/${period}/`, `reports/${period}/`, `books/${period}/`]) {
		let token: string | undefined;
		do {
			const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
			for (const object of page.Contents ?? []) {
				if (!object.Key) continue;
				const folder = prefix.startsWith("invoices") ? invoicesDir : prefix.startsWith("books") ? booksDir : outDir;
				const target = join(folder, basename(object.Key));
				const bytes = await readObjectBytes(s3, bucket, object.Key);
				// The report links the books where the bucket keeps them (../../books/<period>/); here they sit in books/ beside it.
				writeFileSync(
					target,
					target.endsWith(".html") ? Buffer.from(bytes).toString("utf8").replaceAll(`../../books/${period}/`, "books/") : bytes,
				);
				// The monthly HTML report is the one a person opens; the reconciliation files sit beside it.
				if (prefix.startsWith("reports") && basename(object.Key).startsWith("monthly") && (report === "" || object.Key.endsWith(".html")))
					report = target;
			}
			token = page.NextContinuationToken;
		} while (token);
	}
	return { invoicesDir, report, booksDir };
}
