import * as z from "zod";
import { BillingError } from "../../core/errors.js";
import { buildWorklist } from "../../reporting/worklist.js";
import { putAssignment } from "../../store/worklist.js";
import { defineOperation } from "../operation.js";
import { today } from "./fields.js";

export const assignItem = defineOperation({
	name: "worklist.assign",
	title: "Assign item",
	role: "billing",
	input: z.object({
		itemId: z.string().trim().min(1),
		to: z.string().trim().min(1, { message: "who works it" }).max(200),
	}),
	run: async (deps, input) => {
		const open = await buildWorklist(deps, today(deps.now));
		if (!open.some((i) => i.id === input.itemId)) {
			throw new BillingError(`no open worklist item ${input.itemId}; billing worklist lists them`, 404);
		}
		await putAssignment(deps, { itemId: input.itemId, assignee: input.to, assignedBy: deps.actor, at: deps.now().toISOString() });
		return { id: input.itemId, assignee: input.to };
	},
});
