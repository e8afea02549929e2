import Box from "@cloudscape-design/components/box";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { executionQuery } from "../../api/executions.js";
import { QueryProblem } from "../../components/query-problem.js";
import { StatusBadge } from "../../components/status-badge.js";
import { RunStates } from "./run-states.js";

/**
 * One run: the console's graph of the state machine coloured by each state's status, and its
 * states. The SVG is shown as an image, so nothing in it runs in the desk's page.
 */
export function RunPage() {
	const name = useParams().name ?? "";
	const query = useQuery(executionQuery(name));
	if (query.isPending) return <Spinner size="large" />;
	if (query.isError) return <QueryProblem error={query.error} retry={() => void query.refetch()} what="run" />;
	const run = query.data;
	return (
		<ContentLayout
			header={
				<Header variant="h1" description={<StatusBadge status={run.status} />}>
					{run.name}
				</Header>
			}
		>
			<SpaceBetween size="l">
				<Container header={<Header variant="h2">Graph</Header>}>
					{run.graphSvg ? (
						<img
							src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(run.graphSvg)}`}
							alt={`The billing cycle's states for ${run.name}, coloured by status; the table below lists them.`}
						/>
					) : (
						<Box>No graph for this run.</Box>
					)}
				</Container>
				<RunStates states={run.states} />
			</SpaceBetween>
		</ContentLayout>
	);
}
