import { createClients } from "../../shared/clients.js";
import { storageConfig } from "../../shared/config.js";
import { stepHandler } from "../../shared/lambda.js";
import { publishMonthlyReport } from "../../shared/reports.js";
import { withBillingSchema } from "../../shared/steps.js";

const { ddb, s3 } = createClients();
const { tableName, bucketName } = storageConfig();

export const handler = stepHandler("Publish Monthly Report", withBillingSchema, ({ billing }) =>
	publishMonthlyReport({ ddb, s3, tableName, bucketName }, billing),
);
