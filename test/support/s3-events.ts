import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { LOCAL_ACCOUNT, LOCAL_REGION } from "../../local/emulator/lambda-runtime.js";

/** A file put in the stack's bucket as S3 tells of it: the object, its event, and the result read back. */

/** What S3 sends EventBridge for a PutObject, the key URL-encoded as S3 writes it. */
export function objectCreated(bucket: string, key: string, object: { readonly size?: number; readonly versionId?: string } = {}) {
	const encoded = encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+");
	return {
		version: "0",
		id: crypto.randomUUID(),
		"detail-type": "Object Created",
		source: "aws.s3",
		account: LOCAL_ACCOUNT,
		time: new Date().toISOString(),
		region: LOCAL_REGION,
		resources: [`arn:aws:s3:::${bucket}`],
		detail: {
			version: "0",
			bucket: { name: bucket },
			object: {
				key: encoded,
				size: object.size ?? 100,
				etag: "b1946ac92492d2347c6235b4d2611184",
				"version-id": object.versionId ?? "v1",
				sequencer: "617f08299329d189",
			},
			"request-id": "N4N7GDK58NMKJ12R",
			requester: LOCAL_ACCOUNT,
			"source-ip-address": "10.0.0.1",
			reason: "PutObject",
		},
	};
}

export async function putFile(s3: S3Client, bucket: string, key: string, text: string): Promise<void> {
	await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text }));
}

export async function readJson(s3: S3Client, bucket: string, key: string): Promise<Record<string, unknown>> {
	const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
	return JSON.parse((await out.Body?.transformToString()) ?? "null") as Record<string, unknown>;
}
