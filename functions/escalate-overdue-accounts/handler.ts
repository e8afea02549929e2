import {
	type BatchEscalation,
	type EscalationResult,
	escalateAccounts,
	escalateOverdueAccounts,
} from "../../shared/collections/dunning.js";
import { escalationSchema } from "../../shared/cycle/payloads.js";
import { createDocumentClient, createS3Client, createSesClient } from "../../shared/platform/clients.js";
import { collectionsEmail, dunningConfig, sellerConfig, storageConfig } from "../../shared/platform/config.js";
import { stepHandler } from "../../shared/platform/lambda.js";
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

/**
 * With `items`, one batch of the Review Accounts map (the month's case files and the
 * collections notice follow in Summarize Account Review); without, the whole book at once,
 * as `billing escalate --as-of` walks the ladder by hand.
 */
export const handler = stepHandler(
	"Escalate Overdue Accounts",
	escalationSchema,
	({ asOf, items }): Promise<EscalationResult | BatchEscalation> => {
		const deps = { ddb, s3, ses, ...config() };
		return items
			? escalateAccounts(
					deps,
					items.map((i) => i.accountId),
					asOf,
				)
			: escalateOverdueAccounts(deps, asOf);
	},
);
