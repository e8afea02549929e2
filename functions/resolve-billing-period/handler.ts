import { z } from "zod";
import { stepHandler } from "../../shared/lambda.js";
import { resolveBillingPeriod } from "../../shared/period.js";

const inputSchema = z.object({
	requested: z.object({ period: z.unknown().optional(), asOf: z.unknown().optional() }).loose(),
	startedAt: z.string(),
});

export const handler = stepHandler("Resolve Billing Period", inputSchema, async ({ requested, startedAt }) =>
	resolveBillingPeriod(requested, new Date(startedAt)),
);
