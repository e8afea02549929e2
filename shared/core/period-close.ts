import * as z from "zod";

/** A period closed by a person (`billing books close`): the lock's history. */
export const periodCloseSchema = z.object({
	period: z.string(),
	closedAt: z.string(),
	actor: z.string(),
	/** Closed with exceptions still open: why. */
	reason: z.string().optional(),
	openItems: z.number().int().nonnegative(),
	/** The books' files as they were closed. */
	files: z.record(z.string(), z.string()),
});
export type PeriodClose = z.infer<typeof periodCloseSchema>;
