import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import * as z from "zod";
import { executionNameFor, resolveBillingPeriod } from "../../shared/core/period.js";
import { getRequiredEnv } from "../../shared/platform/config.js";
import { logger, stepHandler } from "../../shared/platform/lambda.js";
import { perStack } from "../../shared/platform/per-stack.js";

const sfn = new SFNClient({});
const stateMachineArn = perStack(() => getRequiredEnv("STATE_MACHINE_ARN"));

/**
 * The schedule sends its scheduled time (bill the month before it, also when Scheduler retries
 * later); an operator may send {"period": "YYYY-MM"} instead.
 */
const inputSchema = z
	.object({ period: z.string().optional(), asOf: z.string().optional(), scheduledTime: z.iso.datetime().optional() })
	.loose();

export const handler = stepHandler("Start Billing Cycle", inputSchema, async (input) => {
	const billing = resolveBillingPeriod(input, input.scheduledTime ? new Date(input.scheduledTime) : new Date());
	const name = executionNameFor(billing.period);
	try {
		const out = await sfn.send(
			new StartExecutionCommand({
				stateMachineArn: stateMachineArn(),
				name,
				input: JSON.stringify({ period: billing.period, ...(input.asOf ? { asOf: billing.asOf } : {}) }),
			}),
		);
		return { started: true, executionArn: out.executionArn, period: billing.period };
	} catch (err) {
		if (err instanceof ExecutionAlreadyExists) {
			logger.warn("period already billed; not starting again", { period: billing.period, name });
			return { started: false, period: billing.period, reason: `execution ${name} already exists` };
		}
		throw err;
	}
});
