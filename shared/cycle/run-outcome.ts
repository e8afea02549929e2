import type { z } from "zod";
import { periodSchema } from "../core/model.js";
import type { TableDeps } from "../store/records.js";
import { type RunOutcomeResult, recordRunOutcome } from "../store/run-outcomes.js";
import type { runFailureInputSchema, runOutcomeInputSchema } from "./payloads.js";

/**
 * The billing cycle's last states record how the run ended, with its billing_run event
 * (DESIGN.md section 14): once per execution, however often a state is retried.
 */

/** Step Functions gives $$.Execution.StartTime with microseconds; events carry ISO 8601 as Date writes it. */
const isoTime = (time: string) => new Date(time).toISOString();

/** The run got to its end: billing_run.succeeded. */
export function recordRunSucceeded(
	deps: TableDeps,
	input: z.infer<typeof runOutcomeInputSchema>,
	now: Date = new Date(),
): Promise<RunOutcomeResult> {
	return recordRunOutcome(deps, {
		name: input.execution,
		period: input.billing.period,
		status: "SUCCEEDED",
		startDate: isoTime(input.startedAt),
		stopDate: now.toISOString(),
	});
}

type RunFailureInput = Extract<z.infer<typeof runFailureInputSchema>, { scope: "run" }>;

/**
 * The run stopped (`reason` says why): billing_run.failed for the period it was billing, as
 * resolved, or as requested. A run that failed before it had a valid period (one asked for
 * in the wrong form) billed nothing and has no event ("no_period").
 */
export async function recordRunFailed(
	deps: TableDeps,
	input: RunFailureInput,
	reason: string,
	now: Date = new Date(),
): Promise<RunOutcomeResult | "no_period"> {
	const requested = periodSchema.safeParse(input.state.period);
	const period = input.state.billing?.period ?? (requested.success ? requested.data : undefined);
	if (!period) return "no_period";
	return recordRunOutcome(deps, {
		name: input.execution,
		period,
		status: "FAILED",
		startDate: isoTime(input.startedAt),
		stopDate: now.toISOString(),
		error: reason,
	});
}
