import type { z } from "zod";
import { type Rebooked, rebookedNote } from "../core/period.js";
import { InputRefusedError, RoleRequiredError } from "./errors.js";
import { type Caller, type Role, roleAllows } from "./roles.js";
import type { DeskServices } from "./services.js";

/** What an operation runs with: the services, the caller's name for the audit trail, and where back-dated changes went. */
export interface OperationDeps extends DeskServices {
	readonly actor: string;
	readonly onRebooked: (rebooked: Rebooked) => void;
	readonly now: () => Date;
}

/**
 * One thing a person does at the desk (DESIGN.md section 12), written once: the CLI and
 * the desk API are adapters over it. `name` is what the desk asks `can()` about and the
 * API's 403 names; `role` the least role that may do it.
 */
export interface DeskOperation<Schema extends z.ZodType = z.ZodType, Result = unknown> {
	readonly name: string;
	/** What the desk's button and the audit trail's reader call it: "Void invoice". */
	readonly title: string;
	readonly role: Role;
	readonly input: Schema;
	run(deps: OperationDeps, input: z.output<Schema>): Promise<Result>;
	/** What happened, for the note when a closed period moved it: "INV-1 written off". */
	describe?(result: Result, input: z.output<Schema>): string;
}

export function defineOperation<Schema extends z.ZodType, Result>(operation: DeskOperation<Schema, Result>): DeskOperation<Schema, Result> {
	return operation;
}

export interface Performed<Result> {
	readonly result: Result;
	/** Where back-dated changes were booked instead, e.g. "INV-1 written off on 2026-12-01 (asked for 2026-11-20; November 2026 is closed)". */
	readonly notes: readonly string[];
}

/**
 * Performs an operation for a caller: the role first (403, nothing read or written), then
 * the input against its schema (400 with every field's problem), then the operation itself,
 * whose audit entries name `caller.actor`.
 */
export async function perform<Schema extends z.ZodType, Result>(
	operation: DeskOperation<Schema, Result>,
	services: DeskServices,
	caller: Caller,
	rawInput: unknown,
	now: () => Date = () => new Date(),
): Promise<Performed<Result>> {
	if (!roleAllows(caller.role, operation.role)) throw new RoleRequiredError(operation.name, operation.role, caller.role);
	const parsed = operation.input.safeParse(rawInput);
	if (!parsed.success) throw new InputRefusedError(operation.name, parsed.error.issues);
	const rebooked: Rebooked[] = [];
	const result = await operation.run({ ...services, actor: caller.actor, onRebooked: (r) => rebooked.push(r), now }, parsed.data);
	const done = operation.describe?.(result, parsed.data) ?? operation.title;
	return { result, notes: [...new Set(rebooked.map((r) => rebookedNote(done, r)))] };
}
