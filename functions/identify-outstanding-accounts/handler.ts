import { createClients } from "../../shared/clients.js";
import { storageConfig } from "../../shared/config.js";
import { stepHandler } from "../../shared/lambda.js";
import { identifyOutstandingAccounts } from "../../shared/manifest.js";
import { withBillingSchema } from "../../shared/steps.js";

const { ddb, s3 } = createClients();
const { tableName, bucketName } = storageConfig();

export const handler = stepHandler("Identify Outstanding Accounts", withBillingSchema, ({ billing }) =>
	identifyOutstandingAccounts({ ddb, s3, tableName, bucketName }, billing),
);
