import { publishReportsSchema } from "../../shared/cycle/payloads.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerName as configuredSellerName, storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { parseReportPeriod, publishMonthlyReport, publishReportFiles } from "../../shared/reporting/reports.js";

const { ddb, s3 } = createClients();
const { tableName, bucketName } = storageConfig();
const sellerName = configuredSellerName();

/** One function, two states: the monthly report, and with `quarter` set, the quarterly one. */
export const handler = stepHandler("Publish Reports", publishReportsSchema, ({ billing, quarter }) => {
	const deps = { ddb, s3, tableName, bucketName, sellerName };
	return quarter ? publishReportFiles(deps, parseReportPeriod(quarter), billing.asOf) : publishMonthlyReport(deps, billing);
});
