import type { z } from "zod";
import { BillingError, ValidationError } from "../core/errors.js";
import type { Role } from "./roles.js";

/** A caller whose role may not perform an operation: 403, naming the role it needs; nothing changed. */
export class RoleRequiredError extends BillingError {
	readonly details: { readonly operation: string; readonly roleNeeded: Role; readonly role: Role };
	constructor(operation: string, roleNeeded: Role, role: Role) {
		super(`${operation} needs the ${roleNeeded} role; you are ${role}`, 403);
		this.name = "RoleRequiredError";
		this.details = { operation, roleNeeded, role };
	}
}

/** An operation's input that does not match its schema: 400 with one entry per field; nothing changed. */
export class InputRefusedError extends ValidationError {
	readonly details: readonly { readonly field: string; readonly message: string }[];
	constructor(operation: string, issues: readonly z.core.$ZodIssue[]) {
		const details = issues.map((i) => ({ field: i.path.map(String).join(".") || "(input)", message: i.message }));
		super(`${operation}: ${details.map((d) => `${d.field}: ${d.message}`).join("; ")}`);
		this.name = "InputRefusedError";
		this.details = details;
	}
}

/** No token, or one that is not a valid access token of the desk's user pool: 401, sign in (again). */
export class UnauthenticatedError extends BillingError {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, 401, options);
		this.name = "UnauthenticatedError";
	}
}

/** A valid token of someone in no desk group (admin, billing, viewer): 403, whatever they ask. */
export class NotADeskUserError extends BillingError {
	constructor(who: string) {
		super(`${who} is not a desk user: an admin adds them with a role (billing users add EMAIL --role viewer|billing|admin)`, 403);
		this.name = "NotADeskUserError";
	}
}
