import * as z from "zod";
import { isoDateSchema, periodSchema } from "../core/model.js";
import { mapResultsSchema } from "./map-results.js";

/** Payloads between the billing cycle's states (statemachines/billing-cycle.asl.json). */
export const billingPeriodSchema = z.object({
	period: periodSchema,
	periodStart: isoDateSchema,
	periodEnd: isoDateSchema,
	asOf: isoDateSchema,
});

export const withBillingSchema = z.object({ billing: billingPeriodSchema });

/**
 * Assemble Print Batch's input: the period, and Summarize Invoicing's output, whose
 * `postalInvoices` the print queue must list; without it (another caller), nothing is checked.
 */
export const printBatchInputSchema = withBillingSchema.extend({
	invoicing: z.object({ postalInvoices: z.number().int().nonnegative() }).optional(),
});

export const invoiceBatchSchema = z.object({
	billing: billingPeriodSchema,
	items: z.array(z.object({ accountId: z.string().min(1) })).max(1000),
});

export const deliveryBatchSchema = z.object({
	billing: billingPeriodSchema,
	invoiceNumbers: z.array(z.string().min(1)),
	/** The batch's accounts, whose statements go out after the invoices. */
	items: z
		.array(z.object({ accountId: z.string().min(1) }))
		.max(1000)
		.default([]),
});

/** A combining step's input: the period, and where its Distributed Map's ResultWriter left the batches' results. */
export const mapResultsInputSchema = z.object({ billing: billingPeriodSchema, results: mapResultsSchema });

/** A batch of the Review Accounts map. */
export const accountBatchSchema = z.object({
	billing: billingPeriodSchema,
	items: z.array(z.object({ accountId: z.string().min(1) })).max(1000),
});

/** A batch of the Review Accounts map with `items`; the whole book without. */
export const escalationSchema = z.object({
	asOf: isoDateSchema,
	items: z
		.array(z.object({ accountId: z.string().min(1) }))
		.max(1000)
		.optional(),
});

export const publishReportsSchema = z.object({
	billing: billingPeriodSchema,
	quarter: z
		.string()
		.regex(/^\d{4}-Q[1-4]$/, { message: "quarter must look like 2026-Q4" })
		.optional(),
	/** Where the Review Accounts map left its batches' results, with their tallies. */
	results: mapResultsSchema,
});

export const runFailureInputSchema = z.discriminatedUnion("scope", [
	z.object({
		scope: z.literal("batch"),
		billing: billingPeriodSchema,
		items: z.array(z.object({ accountId: z.string() })),
		failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }),
	}),
	z.object({
		scope: z.literal("run"),
		execution: z.string(),
		/** $$.Execution.StartTime: the run's start, for its billing_run.failed event. */
		startedAt: z.string(),
		state: z
			.object({
				billing: billingPeriodSchema.optional(),
				failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional(),
			})
			.loose(),
	}),
]);

/** Record Run Outcome's input: the execution that got to the end, when it started, and the period it billed. */
export const runOutcomeInputSchema = z.object({
	execution: z.string(),
	/** $$.Execution.StartTime. */
	startedAt: z.string(),
	billing: billingPeriodSchema,
});
