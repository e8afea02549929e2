import { z } from "zod";

/** The month before the current one: the period usually being closed. */
export function previousPeriod(now = new Date()): string {
	const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
	return d.toISOString().slice(0, 7);
}

export const booksFilters = z.object({
	period: z
		.string()
		.regex(/^\d{4}-(0[1-9]|1[0-2])$/)
		.catch(() => previousPeriod()),
});
