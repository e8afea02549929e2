import { buildWorklist, type WorklistItem } from "../../reporting/worklist.js";
import type { TableDeps } from "../../store/records.js";
import { findOperation } from "../catalog.js";
import { type Role, roleAllows } from "../roles.js";

/** The operation that resolves an item in place, with what the item already says of its input (the rest is asked for). */
export interface ResolvingAction {
	readonly operation: string;
	readonly input: Readonly<Record<string, string>>;
}

/** An item's id says what it is about (reporting/worklist.ts): `payment:stripe:pi_1`, `hold:INV-…`, `undeliverable:ACC-1`, `unknown:INVOICE#…:…`. */
function resolvingAction(item: WorklistItem): ResolvingAction | undefined {
	const [prefix, ...rest] = item.id.split(":");
	if (prefix === "payment" && rest.length >= 2) {
		return { operation: "payments.apply", input: { provider: rest[0] as string, paymentId: rest.slice(1).join(":") } };
	}
	if (prefix === "hold" && rest.length >= 1) return { operation: "invoices.release", input: { number: rest.join(":") } };
	if (prefix === "undeliverable" && item.accountId) return { operation: "accounts.update", input: { accountId: item.accountId } };
	if (prefix === "unknown" && rest[0]?.startsWith("INVOICE#")) {
		return { operation: "invoices.resend", input: { number: rest[0].slice("INVOICE#".length) } };
	}
	return undefined;
}

/** The worklist as the desk shows it: each item with the action that resolves it, where the caller's role may take it. */
export async function worklistView(
	deps: TableDeps,
	request: { readonly asOf: string; readonly kind?: string; readonly assignee?: string },
	role: Role,
) {
	const items = (await buildWorklist(deps, request.asOf)).filter(
		(i) => (request.kind === undefined || i.kind === request.kind) && (request.assignee === undefined || i.assignee === request.assignee),
	);
	return {
		items: items.map((item) => {
			const action = resolvingAction(item);
			const operation = action ? findOperation(action.operation) : undefined;
			return { ...item, ...(action && operation && roleAllows(role, operation.role) ? { action } : {}) };
		}),
		total: items.length,
	};
}
