import { z } from "zod";

export const accountFilters = z.object({
	query: z.string().trim().min(1).max(200).optional().catch(undefined),
});
