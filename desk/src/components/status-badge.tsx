import StatusIndicator, { type StatusIndicatorProps } from "@cloudscape-design/components/status-indicator";

/** How a record's status word looks: one table for invoices, payments, deliveries, users, runs and webhook endpoints. */
const TYPES: Readonly<Record<string, StatusIndicatorProps.Type>> = {
	paid: "success",
	succeeded: "success",
	applied: "success",
	delivered: "success",
	sent: "success",
	confirmed: "success",
	active: "success",
	enabled: "success",
	won: "success",
	failed: "error",
	overdue: "error",
	bounced: "error",
	timed_out: "error",
	returned: "error",
	lost: "error",
	dead_lettered: "error",
	in_collections: "error",
	open: "pending",
	issued: "pending",
	pending: "pending",
	running: "in-progress",
	in_progress: "in-progress",
	sending: "in-progress",
	unapplied: "warning",
	partially_paid: "warning",
	partially_applied: "warning",
	past_due: "warning",
	uncollectible: "warning",
	on_hold: "warning",
	written_off: "warning",
	disputed: "warning",
	force_change_password: "warning",
	void: "stopped",
	closed: "stopped",
	disabled: "stopped",
	aborted: "stopped",
	superseded: "stopped",
	cancelled: "stopped",
};

export function StatusBadge({ status }: { readonly status: string }) {
	const key = status.toLowerCase();
	return <StatusIndicator type={TYPES[key] ?? "info"}>{key.replaceAll("_", " ")}</StatusIndicator>;
}
