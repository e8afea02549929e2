import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SESClient } from "@aws-sdk/client-ses";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * SDK clients built from the standard SDK settings only (region, credentials,
 * AWS_ENDPOINT_URL_*), so the same code reaches AWS or the embedded servers. A function
 * builds only the clients it uses, so its bundle carries no other client (each is 25–100 kB).
 */
export interface AwsClients {
	readonly ddb: DynamoDBDocumentClient;
	readonly s3: S3Client;
	readonly ses: SESClient;
}

export function createDocumentClient(): DynamoDBDocumentClient {
	return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
		marshallOptions: { removeUndefinedValues: true },
	});
}

export function createS3Client(): S3Client {
	// Path-style keeps bucket names out of DNS, which local S3 servers need and AWS accepts.
	return new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
}

export function createSesClient(): SESClient {
	return new SESClient({});
}

export function createClients(): AwsClients {
	return { ddb: createDocumentClient(), s3: createS3Client(), ses: createSesClient() };
}
