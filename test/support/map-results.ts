import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";

/**
 * Writes a map run's results as AWS's ResultWriter does (the format the combining steps
 * read): `<prefix>/<run>/SUCCEEDED_0.json` and `FAILED_0.json`, each child with its Input
 * and Output as JSON text, and `manifest.json`. Returns what the Map state yields as
 * `ResultWriterDetails`.
 */
export async function putMapResults(
	s3: S3Client,
	bucket: string,
	prefix: string,
	children: { readonly succeeded?: readonly unknown[]; readonly failed?: readonly { input: unknown; error: string; cause: string }[] },
): Promise<{ Bucket: string; Key: string }> {
	const run = crypto.randomUUID();
	const folder = `${prefix}/${run}`;
	const put = (key: string, body: unknown) =>
		s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(body), ContentType: "application/json" }));
	const files: Record<"SUCCEEDED" | "FAILED" | "PENDING", { Key: string; Size: number }[]> = { SUCCEEDED: [], FAILED: [], PENDING: [] };
	const succeeded = (children.succeeded ?? []).map((output, i) => ({
		ExecutionArn: `arn:aws:states:us-east-1:000000000000:execution:billing-cycle/map:${run}-${i}`,
		Input: JSON.stringify({ Items: [] }),
		Output: JSON.stringify(output),
		Status: "SUCCEEDED",
	}));
	const failed = (children.failed ?? []).map((child, i) => ({
		ExecutionArn: `arn:aws:states:us-east-1:000000000000:execution:billing-cycle/map:${run}-f${i}`,
		Input: JSON.stringify(child.input),
		Error: child.error,
		Cause: child.cause,
		Status: "FAILED",
	}));
	for (const [status, records] of [
		["SUCCEEDED", succeeded],
		["FAILED", failed],
	] as const) {
		if (records.length === 0) continue;
		const key = `${folder}/${status}_0.json`;
		await put(key, records);
		files[status].push({ Key: key, Size: JSON.stringify(records).length });
	}
	const manifest = `${folder}/manifest.json`;
	await put(manifest, {
		DestinationBucket: bucket,
		MapRunArn: `arn:aws:states:us-east-1:000000000000:mapRun:billing-cycle/map:${run}`,
		ResultFiles: files,
	});
	return { Bucket: bucket, Key: manifest };
}
