import * as z from "zod";
import { isDeliverableEmailAddress } from "../../documents/email-address.js";
import { putAuditEntry } from "../../store/audit.js";
import { defineOperation } from "../operation.js";
import { ROLES } from "../roles.js";
import { addUser, disableUser, requireUserPool } from "../users.js";

/** A user's email, which is their username: compared in lower case, as Cognito is told to. */
export const userEmail = z
	.string()
	.trim()
	.toLowerCase()
	.refine(isDeliverableEmailAddress, { message: "an email address, e.g. alice@example.com" });
export const role = z.enum(ROLES, { message: `one of ${ROLES.join(", ")}` });

/** Managing the desk's users is an admin's (DESIGN.md section 12). */
export const addUserOperation = defineOperation({
	name: "users.add",
	title: "Add user",
	role: "admin",
	input: z.object({ email: userEmail, role }),
	run: async (deps, input) => {
		const added = await addUser(requireUserPool(deps), input);
		await putAuditEntry(deps, {
			subject: "user",
			subjectId: added.email,
			action: "user_added",
			actor: deps.actor,
			at: deps.now().toISOString(),
			before: null,
			after: { email: added.email, role: added.role, enabled: true },
		});
		return added;
	},
});

export const disableUserOperation = defineOperation({
	name: "users.disable",
	title: "Disable user",
	role: "admin",
	input: z.object({ email: userEmail }),
	run: async (deps, input) => {
		const disabled = await disableUser(requireUserPool(deps), input.email);
		await putAuditEntry(deps, {
			subject: "user",
			subjectId: disabled.email,
			action: "user_disabled",
			actor: deps.actor,
			at: deps.now().toISOString(),
			before: { email: disabled.email, role: disabled.role },
			after: { email: disabled.email, role: disabled.role, enabled: false },
		});
		return disabled;
	},
});
