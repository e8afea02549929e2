import Box from "@cloudscape-design/components/box";
import SpaceBetween from "@cloudscape-design/components/space-between";
import type { TableProps } from "@cloudscape-design/components/table";
import type { WebhookEndpoint } from "../../api/webhooks.js";
import { RouterLink, recordPath } from "../../components/router-link.js";
import { StatusBadge } from "../../components/status-badge.js";
import { formatInstant } from "../../components/time.js";

/** Its status, and for a disabled one why (an admin's reason, or the deliveries' giving up). */
export function EndpointStatus({ endpoint }: { readonly endpoint: WebhookEndpoint }) {
	return (
		<SpaceBetween size="xxxs">
			<StatusBadge status={endpoint.status} />
			{endpoint.disabledReason ? <Box variant="small">{endpoint.disabledReason}</Box> : null}
		</SpaceBetween>
	);
}

export const deadLetteredText = (e: WebhookEndpoint) =>
	e.deadLettered ? `${e.deadLettered} since ${formatInstant(e.deadLetteredSince)}` : "None";

export const ENDPOINT_COLUMNS: TableProps.ColumnDefinition<WebhookEndpoint>[] = [
	{
		id: "url",
		header: "URL",
		cell: (e) => <RouterLink to={recordPath("webhooks", e.endpointId)}>{e.url}</RouterLink>,
		sortingField: "url",
	},
	{ id: "events", header: "Events", cell: (e) => e.events.join(", ") },
	{ id: "status", header: "Status", cell: (e) => <EndpointStatus endpoint={e} />, sortingField: "status" },
	{ id: "failingSince", header: "Failing since", cell: (e) => formatInstant(e.failingSince) || "—", sortingField: "failingSince" },
	{ id: "deadLettered", header: "Dead-lettered", cell: deadLetteredText, sortingField: "deadLettered" },
	{ id: "createdAt", header: "Added", cell: (e) => formatInstant(e.createdAt), sortingField: "createdAt" },
];
