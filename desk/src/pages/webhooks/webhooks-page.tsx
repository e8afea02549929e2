import { useCollection } from "@cloudscape-design/collection-hooks";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { webhooksQuery } from "../../api/webhooks.js";
import { QueryProblem } from "../../components/query-problem.js";
import { AddEndpointModal } from "./add-endpoint-modal.js";
import { ENDPOINT_COLUMNS } from "./columns.js";
import { EndpointActions } from "./endpoint-actions.js";

/** The webhook endpoints (admins only): where billing events go, whether they arrive, and an endpoint's actions. */
export function WebhooksPage() {
	const query = useQuery(webhooksQuery);
	const [adding, setAdding] = useState(false);
	// By id: the list is read again after every action, and the choice should follow the fresh record.
	const [chosenId, setChosenId] = useState<string>();
	const { items, collectionProps } = useCollection(query.data?.items ?? [], {
		sorting: { defaultState: { sortingColumn: ENDPOINT_COLUMNS[5] as (typeof ENDPOINT_COLUMNS)[number], isDescending: true } },
	});
	const chosen = query.data?.items.find((e) => e.endpointId === chosenId);
	return (
		<>
			<Table
				{...collectionProps}
				variant="full-page"
				header={
					<Header
						variant="awsui-h1-sticky"
						counter={query.data ? `(${query.data.items.length})` : undefined}
						description="Systems that receive billing events, signed, as they happen."
						actions={
							<SpaceBetween direction="horizontal" size="xs">
								<EndpointActions endpoint={chosen} />
								<Button variant="primary" onClick={() => setAdding(true)}>
									Add endpoint
								</Button>
							</SpaceBetween>
						}
					>
						Webhooks
					</Header>
				}
				items={items}
				trackBy="endpointId"
				selectionType="single"
				selectedItems={chosen ? [chosen] : []}
				onSelectionChange={({ detail }) => setChosenId(detail.selectedItems[0]?.endpointId)}
				ariaLabels={{
					selectionGroupLabel: "Choose an endpoint",
					itemSelectionLabel: (_s, e) => `Choose ${e.url}`,
					allItemsSelectionLabel: () => "Choose all",
					tableLabel: "Webhook endpoints",
				}}
				loading={query.isPending}
				loadingText="Loading webhook endpoints"
				columnDefinitions={ENDPOINT_COLUMNS}
				empty={
					query.isError ? (
						<QueryProblem error={query.error} retry={() => void query.refetch()} what="webhook endpoints" />
					) : (
						<Box textAlign="center">No endpoints yet: Add endpoint sends billing events to another system.</Box>
					)
				}
			/>
			{adding ? <AddEndpointModal onClose={() => setAdding(false)} /> : null}
		</>
	);
}
