import { publishMonthlyReport, publishQuarterlyReport } from "../../shared/cycle/month-tally.js";
import { publishReportsSchema } from "../../shared/cycle/payloads.js";
import { createDocumentClient, createS3Client } from "../../shared/platform/clients.js";
import { sellerName as configuredSellerName, storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const config = perStack(() => ({ ...storageConfig(), sellerName: configuredSellerName() }));

/** One function, two states: the monthly report, and with `quarter` set, the quarterly one; both from the Review Accounts tallies. */
export const handler = stepHandler("Publish Reports", publishReportsSchema, ({ billing, quarter, results }) => {
	const deps = { ddb, s3, ...config() };
	return quarter ? publishQuarterlyReport(deps, billing, quarter, results) : publishMonthlyReport(deps, billing, results);
});
