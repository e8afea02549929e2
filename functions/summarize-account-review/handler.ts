import { summarizeAccountReview } from "../../shared/cycle/account-review.js";
import { mapResultsInputSchema } from "../../shared/cycle/payloads.js";
import { createDocumentClient, createS3Client, createSesClient } from "../../shared/platform/clients.js";
import { collectionsEmail, dunningConfig, sellerConfig, storageConfig } from "../../shared/platform/config.js";
import { logger, stepHandler } from "../../shared/platform/lambda.js";
import { publishRunMetrics } from "../../shared/platform/metrics.js";
import { perStack } from "../../shared/platform/per-stack.js";

const ddb = createDocumentClient();
const s3 = createS3Client();
const ses = createSesClient();
const config = perStack(() => ({
	...storageConfig(),
	seller: sellerConfig(),
	stages: dunningConfig(),
	collectionsEmail: collectionsEmail(),
}));

export const handler = stepHandler("Summarize Account Review", mapResultsInputSchema, async ({ billing, results }) => {
	const deps = { ddb, s3, ses, ...config() };
	const review = await summarizeAccountReview(deps, billing, results);
	if (!review.invariants.invariantsHold) logger.error("ledger invariants violated", { violations: review.invariants.violations });
	// The run succeeds with broken ledgers or accounts not reviewed: the metrics make them alarm.
	publishRunMetrics({ ledgerInvariantViolations: review.invariants.violationCount, failedAccounts: review.accountsNotReviewed });
	return review;
});
