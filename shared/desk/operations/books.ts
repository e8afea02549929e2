import * as z from "zod";
import { closePeriod } from "../../reporting/close.js";
import { chartOfAccounts } from "../../reporting/journal.js";
import { defineOperation } from "../operation.js";
import { optionalReason, period, today } from "./fields.js";

export const closeBooks = defineOperation({
	name: "books.close",
	title: "Close period",
	role: "admin",
	input: z.object({ period, force: z.boolean().default(false), reason: optionalReason }),
	run: (deps, input) =>
		closePeriod(deps, input.period, {
			actor: deps.actor,
			today: today(deps.now),
			chart: chartOfAccounts(),
			force: input.force,
			...(input.reason ? { reason: input.reason } : {}),
		}),
});
