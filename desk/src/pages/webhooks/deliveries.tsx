import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Table, { type TableProps } from "@cloudscape-design/components/table";
import { useQuery } from "@tanstack/react-query";
import { deliveriesQuery, type WebhookDelivery } from "../../api/webhooks.js";
import { QueryProblem } from "../../components/query-problem.js";
import { StatusBadge } from "../../components/status-badge.js";
import { formatInstant } from "../../components/time.js";

/** What the receiver answered last: its HTTP status, or why there was no answer. */
function lastAttempt(d: WebhookDelivery): string {
	const last = d.attempts.at(-1);
	if (!last) return "—";
	return `${last.error ?? `HTTP ${last.status}`} · ${formatInstant(last.at)}`;
}

const COLUMNS: TableProps.ColumnDefinition<WebhookDelivery>[] = [
	{ id: "event", header: "Event", cell: (d) => d.eventId },
	{ id: "type", header: "Type", cell: (d) => d.eventType },
	{ id: "object", header: "Object", cell: (d) => d.objectId },
	{ id: "status", header: "Status", cell: (d) => <StatusBadge status={d.status} />, minWidth: 140 },
	{ id: "attempts", header: "Attempts", cell: (d) => d.attemptCount },
	{ id: "last", header: "Last attempt", cell: lastAttempt },
	{
		id: "next",
		header: "Next attempt",
		cell: (d) => (d.status === "pending" ? formatInstant(d.nextAttemptAt) : "—"),
	},
];

/** The endpoint's latest deliveries, newest event first, each with its latest attempt. */
export function Deliveries({ endpointId }: { readonly endpointId: string }) {
	const query = useQuery(deliveriesQuery(endpointId));
	const items = query.data?.items ?? [];
	return (
		<Table
			header={
				<Header
					variant="h2"
					counter={query.data ? `(${items.length})` : undefined}
					description="The latest 50, newest event first."
					actions={
						<Button iconName="refresh" ariaLabel="Refresh deliveries" loading={query.isFetching} onClick={() => void query.refetch()} />
					}
				>
					Deliveries
				</Header>
			}
			items={[...items]}
			trackBy="eventId"
			wrapLines
			columnDefinitions={COLUMNS}
			loading={query.isPending}
			loadingText="Loading deliveries"
			ariaLabels={{ tableLabel: "Deliveries to the endpoint" }}
			empty={
				query.isError ? (
					<QueryProblem error={query.error} retry={() => void query.refetch()} what="deliveries" />
				) : (
					<Box textAlign="center">No deliveries yet.</Box>
				)
			}
		/>
	);
}
