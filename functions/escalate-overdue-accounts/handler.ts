import { escalateOverdueAccounts } from "../../shared/collections/dunning.js";
import { escalationSchema } from "../../shared/cycle/payloads.js";
import { createClients } from "../../shared/platform/clients.js";
import { collectionsEmail, dunningConfig, sellerConfig, storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";

const { ddb, s3, ses } = createClients();
const { tableName, bucketName } = storageConfig();
const seller = sellerConfig();
const stages = dunningConfig();
const collectionsTeam = collectionsEmail();

export const handler = stepHandler("Escalate Overdue Accounts", escalationSchema, ({ asOf }) =>
	escalateOverdueAccounts({ ddb, s3, ses, tableName, bucketName, seller, stages, collectionsEmail: collectionsTeam }, asOf),
);
