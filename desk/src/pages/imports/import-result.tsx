import { useCollection } from "@cloudscape-design/collection-hooks";
import Box from "@cloudscape-design/components/box";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Pagination from "@cloudscape-design/components/pagination";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import type { ImportProblem, ImportResult } from "../../api/imports.js";
import { PAGINATION_LABELS } from "../../components/server-table.js";
import { StatusBadge } from "../../components/status-badge.js";

const COLUMNS = [
	{ id: "file", header: "File", cell: (e: ImportProblem) => e.file, sortingField: "file" },
	{ id: "line", header: "Line", cell: (e: ImportProblem) => e.line, sortingField: "line" },
	{ id: "field", header: "Field", cell: (e: ImportProblem) => e.field },
	{ id: "message", header: "Problem", cell: (e: ImportProblem) => e.message },
];

/** What an import counted per file, and every line it refused, with the field and why. */
export function ImportResultView({ title, result }: { readonly title: string; readonly result: ImportResult }) {
	const { items, collectionProps, paginationProps } = useCollection([...result.errors], {
		sorting: {},
		pagination: { pageSize: 25 },
	});
	return (
		<SpaceBetween size="l">
			<Container header={<Header variant="h2">{title}</Header>}>
				<KeyValuePairs
					columns={4}
					items={[
						...(result.status ? [{ label: "Status", value: <StatusBadge status={result.status} /> }] : []),
						...(result.importId ? [{ label: "Import", value: result.importId }] : []),
						...Object.entries(result.counts).map(([name, count]) => ({ label: name, value: String(count) })),
						{ label: "Line errors", value: String(result.errors.length) },
					]}
				/>
			</Container>
			{result.errors.length > 0 ? (
				<Table
					{...collectionProps}
					header={
						<Header variant="h2" counter={`(${result.errors.length})`} description="Correct these lines and run the dry run again.">
							Line errors
						</Header>
					}
					items={items}
					columnDefinitions={COLUMNS}
					ariaLabels={{ tableLabel: "Line errors" }}
					pagination={<Pagination {...paginationProps} ariaLabels={PAGINATION_LABELS} />}
					wrapLines
					empty={<Box textAlign="center">No errors.</Box>}
				/>
			) : null}
		</SpaceBetween>
	);
}
