import Alert from "@cloudscape-design/components/alert";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { webhooksQuery } from "../../api/webhooks.js";
import { QueryProblem } from "../../components/query-problem.js";
import { formatInstant } from "../../components/time.js";
import { deadLetteredText, EndpointStatus } from "./columns.js";
import { Deliveries } from "./deliveries.js";
import { EndpointActions } from "./endpoint-actions.js";

/** One webhook endpoint: its settings and state, its actions, and its deliveries. */
export function EndpointPage() {
	const endpointId = useParams().endpointId ?? "";
	// The list is short and already cached from the Webhooks page; the API has no read of one endpoint.
	const query = useQuery(webhooksQuery);
	if (query.isPending) return <Spinner size="large" />;
	if (query.isError) return <QueryProblem error={query.error} retry={() => void query.refetch()} what="webhook endpoint" />;
	const endpoint = query.data.items.find((e) => e.endpointId === endpointId);
	if (!endpoint) {
		return (
			<ContentLayout header={<Header variant="h1">{endpointId}</Header>}>
				<Alert type="info" header="No such webhook endpoint" />
			</ContentLayout>
		);
	}
	return (
		<ContentLayout
			header={
				<Header variant="h1" description={endpoint.endpointId} actions={<EndpointActions endpoint={endpoint} />}>
					{endpoint.url}
				</Header>
			}
		>
			<SpaceBetween size="l">
				<Container header={<Header variant="h2">Details</Header>}>
					<KeyValuePairs
						columns={3}
						items={[
							{ label: "Status", value: <EndpointStatus endpoint={endpoint} /> },
							{ label: "Events", value: endpoint.events.join(", ") },
							{
								label: "Signing secrets",
								value:
									endpoint.secretsSigning > 1 ? `${endpoint.secretsSigning}: the new one, and a rotated-out one until it expires` : "1",
							},
							{ label: "Failing since", value: formatInstant(endpoint.failingSince) || "—" },
							{ label: "Dead-lettered", value: deadLetteredText(endpoint) },
							{ label: "Added", value: `${formatInstant(endpoint.createdAt)} by ${endpoint.createdBy}` },
						]}
					/>
				</Container>
				<Deliveries endpointId={endpoint.endpointId} />
			</SpaceBetween>
		</ContentLayout>
	);
}
