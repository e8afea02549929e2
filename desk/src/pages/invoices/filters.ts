import { z } from "zod";

/** An invoice's statuses (shared/core/model.ts), as the status filter offers them. */
export const INVOICE_STATUSES = ["open", "partially_paid", "paid", "void", "uncollectible"] as const;

export const invoiceFilters = z.object({
	status: z.enum(INVOICE_STATUSES).optional().catch(undefined),
	period: z
		.string()
		.regex(/^\d{4}-(0[1-9]|1[0-2])$/)
		.optional()
		.catch(undefined),
	account: z.string().trim().min(1).max(100).optional().catch(undefined),
});
