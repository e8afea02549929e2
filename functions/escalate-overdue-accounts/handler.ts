import { createClients } from "../../shared/clients.js";
import { collectionsEmail, dunningConfig, sellerConfig, storageConfig } from "../../shared/config.js";
import { escalateOverdueAccounts } from "../../shared/dunning.js";
import { stepHandler } from "../../shared/lambda.js";
import { escalationSchema } from "../../shared/steps.js";

const { ddb, s3, ses } = createClients();
const { tableName, bucketName } = storageConfig();
const seller = sellerConfig();
const stages = dunningConfig();
const collectionsTeam = collectionsEmail();

export const handler = stepHandler("Escalate Overdue Accounts", escalationSchema, ({ asOf }) =>
	escalateOverdueAccounts({ ddb, s3, ses, tableName, bucketName, seller, stages, collectionsEmail: collectionsTeam }, asOf),
);
