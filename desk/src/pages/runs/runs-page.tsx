import { useCollection } from "@cloudscape-design/collection-hooks";
import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import Pagination from "@cloudscape-design/components/pagination";
import Table from "@cloudscape-design/components/table";
import { useQuery } from "@tanstack/react-query";
import { type Execution, executionsQuery } from "../../api/executions.js";
import { QueryProblem } from "../../components/query-problem.js";
import { RouterLink, recordPath } from "../../components/router-link.js";
import { PAGINATION_LABELS } from "../../components/server-table.js";
import { StatusBadge } from "../../components/status-badge.js";
import { formatInstant } from "../../components/time.js";

const COLUMNS = [
	{
		id: "name",
		header: "Run",
		cell: (e: Execution) => <RouterLink to={recordPath("runs", e.name)}>{e.name}</RouterLink>,
		sortingField: "name",
	},
	{ id: "status", header: "Status", cell: (e: Execution) => <StatusBadge status={e.status} />, sortingField: "status" },
	{ id: "start", header: "Started", cell: (e: Execution) => formatInstant(e.startDate), sortingField: "startDate" },
	{ id: "stop", header: "Stopped", cell: (e: Execution) => formatInstant(e.stopDate) },
];

/** The billing cycle's runs (the state machine's executions), newest first. */
export function RunsPage() {
	const query = useQuery(executionsQuery);
	const { items, collectionProps, paginationProps } = useCollection(query.data?.items ?? [], {
		sorting: { defaultState: { sortingColumn: COLUMNS[2] as (typeof COLUMNS)[number], isDescending: true } },
		pagination: { pageSize: 25 },
	});
	return (
		<Table
			{...collectionProps}
			variant="full-page"
			header={
				<Header
					variant="awsui-h1-sticky"
					counter={query.data ? `(${query.data.items.length})` : undefined}
					description="Each run of the billing cycle's state machine."
				>
					Runs
				</Header>
			}
			items={items}
			trackBy="name"
			columnDefinitions={COLUMNS}
			loading={query.isPending}
			loadingText="Loading runs"
			pagination={<Pagination {...paginationProps} ariaLabels={PAGINATION_LABELS} />}
			empty={
				query.isError ? (
					<QueryProblem error={query.error} retry={() => void query.refetch()} what="runs" />
				) : (
					<Box textAlign="center">No runs yet: billing run --period YYYY-MM starts one.</Box>
				)
			}
		/>
	);
}
