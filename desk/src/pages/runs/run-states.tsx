import Box from "@cloudscape-design/components/box";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import type { StateRun } from "../../api/executions.js";
import { StatusBadge } from "../../components/status-badge.js";
import { formatInstant } from "../../components/time.js";

const json = (value: unknown) => (value === undefined ? "(none)" : JSON.stringify(value, null, 2));

/** Each state the run entered, in order, with its error and, folded, its input and output. */
export function RunStates({ states }: { readonly states: readonly StateRun[] }) {
	return (
		<Table
			header={
				<Header variant="h2" counter={`(${states.length})`}>
					States
				</Header>
			}
			items={[...states]}
			ariaLabels={{ tableLabel: "States of the run" }}
			wrapLines
			columnDefinitions={[
				{ id: "name", header: "State", cell: (s) => s.name },
				{ id: "status", header: "Status", cell: (s) => <StatusBadge status={s.status} /> },
				{ id: "entered", header: "Entered", cell: (s) => formatInstant(s.enteredAt) },
				{ id: "exited", header: "Exited", cell: (s) => formatInstant(s.exitedAt) },
				{ id: "error", header: "Error", cell: (s) => (s.error ? `${s.error}${s.cause ? `: ${s.cause}` : ""}` : "") },
				{
					id: "data",
					header: "Data",
					cell: (s) => (
						<ExpandableSection headerText="Input and output" headerAriaLabel={`Input and output of ${s.name}`}>
							<SpaceBetween size="xs">
								<Box variant="h5">Input</Box>
								<Box variant="pre" fontSize="body-s">
									{json(s.input)}
								</Box>
								<Box variant="h5">Output</Box>
								<Box variant="pre" fontSize="body-s">
									{json(s.output)}
								</Box>
							</SpaceBetween>
						</ExpandableSection>
					),
				},
			]}
			empty={<Box textAlign="center">No state entered.</Box>}
		/>
	);
}
