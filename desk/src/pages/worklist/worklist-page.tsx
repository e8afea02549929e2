import Box from "@cloudscape-design/components/box";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { type WorkItem, worklistQuery } from "../../api/worklist.js";
import { useUrlFilters } from "../../app/url-state.js";
import { useCan } from "../../auth/me.js";
import { hasOperationDialog, operationTitle } from "../../components/operation-modal.js";
import { QueryProblem } from "../../components/query-problem.js";
import { AssignModal } from "./assign-modal.js";
import { worklistColumns } from "./columns.js";
import { KIND_LABELS, worklistFilters } from "./filters.js";
import { ResolveItem } from "./resolve-item.js";

const ALL_KINDS = { value: "", label: "All kinds" };
const KIND_OPTIONS = [ALL_KINDS, ...Object.entries(KIND_LABELS).map(([value, label]) => ({ value, label }))];

/** Every open exception, oldest first as the API lists them: filter by kind and assignee, assign, resolve in place. */
export function WorklistPage() {
	const [filters, setFilters] = useUrlFilters(worklistFilters);
	const query = useQuery(worklistQuery(filters));
	const can = useCan();
	const [assignee, setAssignee] = useState(filters.assignee ?? "");
	const [assigning, setAssigning] = useState<WorkItem>();
	const [resolving, setResolving] = useState<WorkItem>();

	const columns = worklistColumns({
		canAssign: can("worklist.assign"),
		resolveLabel: (item) => {
			const operation = item.action?.operation;
			if (!operation || !can(operation)) return undefined;
			if (operation === "payments.apply") return "Apply payment";
			return hasOperationDialog(operation) ? operationTitle(operation) : undefined;
		},
		onAssign: setAssigning,
		onResolve: setResolving,
	});

	return (
		<>
			<Table
				variant="full-page"
				header={
					<Header
						variant="awsui-h1-sticky"
						counter={query.data ? `(${query.data.total})` : undefined}
						description="Open exceptions, each with the command or action that resolves it."
					>
						Worklist
					</Header>
				}
				filter={
					<SpaceBetween direction="horizontal" size="s">
						<FormField label="Kind">
							<Select
								selectedOption={KIND_OPTIONS.find((o) => o.value === (filters.kind ?? "")) ?? ALL_KINDS}
								options={KIND_OPTIONS}
								onChange={({ detail }) => setFilters({ kind: detail.selectedOption.value || undefined })}
							/>
						</FormField>
						<FormField label="Assignee">
							<TextFilter
								filteringText={assignee}
								filteringPlaceholder="Anyone"
								filteringAriaLabel="Filter by assignee"
								onChange={({ detail }) => setAssignee(detail.filteringText)}
								onDelayedChange={({ detail }) => setFilters({ assignee: detail.filteringText.trim() || undefined })}
							/>
						</FormField>
					</SpaceBetween>
				}
				items={query.data?.items ?? []}
				columnDefinitions={columns}
				trackBy="id"
				loading={query.isPending}
				loadingText="Loading the worklist"
				wrapLines
				empty={
					query.isError ? (
						<QueryProblem error={query.error} retry={() => void query.refetch()} what="worklist" />
					) : (
						<Box textAlign="center">Nothing open{filters.kind || filters.assignee ? " for these filters" : ""}.</Box>
					)
				}
			/>
			{assigning ? <AssignModal item={assigning} onClose={() => setAssigning(undefined)} /> : null}
			{resolving ? <ResolveItem item={resolving} onClose={() => setResolving(undefined)} /> : null}
		</>
	);
}
