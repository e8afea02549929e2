import { withBillingSchema } from "../../shared/cycle/payloads.js";
import { identifyOutstandingAccounts } from "../../shared/invoicing/manifest.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const storage = perStack(storageConfig);

export const handler = stepHandler("Identify Outstanding Accounts", withBillingSchema, ({ billing }) =>
	identifyOutstandingAccounts({ ddb, s3, ...storage() }, billing),
);
