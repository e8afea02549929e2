import type { S3Client } from "@aws-sdk/client-s3";
import type { SESClient } from "@aws-sdk/client-ses";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { AwsClients } from "../platform/clients.js";
import {
	type DocumentLinkConfig,
	type DocumentRetention,
	documentLinkConfig,
	documentRetention,
	type SellerConfig,
	sellerConfig,
} from "../platform/config.js";
import { type UserPoolServices, userPoolServices } from "./users.js";

/**
 * What every desk operation may use, built once per process by its adapter (the CLI's
 * session, the desk API's handler): the clients, the table and bucket, the seller and
 * document settings, the user pool. The caller's name and the clock are added per operation.
 */
export interface DeskServices {
	readonly ddb: DynamoDBDocumentClient;
	readonly s3: S3Client;
	readonly ses: SESClient;
	readonly tableName: string;
	readonly bucketName: string;
	readonly seller: SellerConfig;
	readonly documentRetention?: DocumentRetention;
	readonly documentLinks: DocumentLinkConfig;
	/** The desk's user pool, where users are added and disabled; absent where DESK_USER_POOL_* are not set. */
	readonly userPool?: UserPoolServices;
}

export function deskServices(clients: AwsClients, names: { readonly tableName: string; readonly bucketName: string }): DeskServices {
	const retention = documentRetention();
	const userPool = userPoolServices();
	return {
		...clients,
		...names,
		seller: sellerConfig(),
		...(retention ? { documentRetention: retention } : {}),
		documentLinks: documentLinkConfig(),
		...(userPool ? { userPool } : {}),
	};
}
