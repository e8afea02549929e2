import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";

/**
 * What a billing run counts for its alarms (DESIGN.md section 11): a run that succeeds may
 * still have failed accounts, deliveries whose outcome is unknown or broken ledger
 * invariants. The steps that know each count publish it as a CloudWatch metric in the
 * embedded metric format (a log line Lambda's log group turns into a metric), every run,
 * zero included; infra/constructs/monitoring.ts alarms on each at one or more. Embedded,
 * POWERTOOLS_METRICS_DISABLED keeps the lines out of the CLI's output.
 */
export const runMetrics = {
	namespace: "Billing",
	/** The one dimension of every run metric (Powertools' `service`). */
	dimensions: { service: "billing" },
	names: {
		failedAccounts: "FailedAccounts",
		deliveriesOutcomeUnknown: "DeliveriesOutcomeUnknown",
		ledgerInvariantViolations: "LedgerInvariantViolations",
	},
} as const;

export type RunMetric = keyof typeof runMetrics.names;

let metrics: Metrics | undefined;

/** Publishes the counts at once, one EMF line. */
export function publishRunMetrics(counts: Partial<Record<RunMetric, number>>): void {
	metrics ??= new Metrics({ namespace: runMetrics.namespace, serviceName: runMetrics.dimensions.service });
	for (const [metric, value] of Object.entries(counts) as [RunMetric, number][]) {
		metrics.addMetric(runMetrics.names[metric], MetricUnit.Count, value);
	}
	metrics.publishStoredMetrics();
}
