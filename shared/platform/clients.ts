import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SESClient } from "@aws-sdk/client-ses";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * SDK clients built from the standard SDK settings only (region, credentials,
 * AWS_ENDPOINT_URL_*), so the same code reaches AWS or the embedded servers.
 */
export interface AwsClients {
	readonly ddb: DynamoDBDocumentClient;
	readonly s3: S3Client;
	readonly ses: SESClient;
}

export function createClients(): AwsClients {
	const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
		marshallOptions: { removeUndefinedValues: true },
	});
	// Path-style keeps bucket names out of DNS, which local S3 servers need and AWS accepts.
	const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
	return { ddb, s3, ses: new SESClient({}) };
}
