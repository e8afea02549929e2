import * as z from "zod";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { stepHandler } from "../../shared/platform/lambda.js";

const inputSchema = z.object({
	requested: z.object({ period: z.unknown().optional(), asOf: z.unknown().optional() }).loose(),
	startedAt: z.string(),
});

export const handler = stepHandler("Resolve Billing Period", inputSchema, async ({ requested, startedAt }) =>
	resolveBillingPeriod(requested, new Date(startedAt)),
);
