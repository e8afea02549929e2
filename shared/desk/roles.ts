/**
 * Who may do what at the desk (DESIGN.md section 12): a viewer reads everything, billing
 * performs every desk action, admin also closes periods and manages users. Each role has
 * every right of the ones before it.
 */
export const ROLES = ["viewer", "billing", "admin"] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
	return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` may do what needs `needed`. */
export function roleAllows(role: Role, needed: Role): boolean {
	return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** The person or process behind a desk action: its role, and the name its audit entries carry. */
export interface Caller {
	readonly role: Role;
	/** What the audit trail names: `alice@example.com (sub 3f2a…)`, `cli:alice`, `aws:arn:…`. */
	readonly actor: string;
	/** A signed-in user's email and subject; absent for the CLI. */
	readonly email?: string;
	readonly subject?: string;
}

/** A signed-in user as the audit trail names them: the email, and the subject that stays when the email changes. */
export function userActor(email: string, subject: string): string {
	return `${email} (sub ${subject})`;
}
