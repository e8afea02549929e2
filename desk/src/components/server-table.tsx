import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import Pagination from "@cloudscape-design/components/pagination";
import Table, { type TableProps } from "@cloudscape-design/components/table";
import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useCursorPages } from "../app/url-state.js";
import { QueryProblem } from "./query-problem.js";

export const PAGINATION_LABELS = {
	nextPageLabel: "Next page",
	previousPageLabel: "Previous page",
	pageLabel: (n: number) => `Page ${n}`,
	paginationLabel: "Pages",
};

/**
 * A list the server pages with a cursor (accounts, invoices, unapplied payments): the
 * filters are the page's, the page's cursor is in the URL (useCursorPages), and a failed
 * read shows in the table with Retry.
 */
export function ServerTable<Item>(props: {
	readonly title: string;
	readonly description?: string;
	readonly what: string;
	readonly query: UseQueryResult<{ items: Item[]; nextCursor?: string }>;
	readonly columns: TableProps.ColumnDefinition<Item>[];
	readonly trackBy: keyof Item & string;
	readonly filter?: ReactNode;
	readonly actions?: ReactNode;
	readonly empty: string;
}) {
	const { page, goTo } = useCursorPages();
	const { query } = props;
	const nextCursor = query.data?.nextCursor;
	return (
		<Table
			variant="full-page"
			header={
				<Header variant="awsui-h1-sticky" description={props.description} actions={props.actions}>
					{props.title}
				</Header>
			}
			items={query.data?.items ?? []}
			columnDefinitions={props.columns}
			trackBy={props.trackBy}
			loading={query.isPending}
			loadingText={`Loading ${props.what}`}
			filter={props.filter}
			pagination={
				<Pagination
					currentPageIndex={page}
					pagesCount={page + (nextCursor ? 1 : 0)}
					openEnd={Boolean(nextCursor)}
					onChange={({ detail }) => goTo(detail.currentPageIndex, nextCursor)}
					ariaLabels={PAGINATION_LABELS}
				/>
			}
			empty={
				query.isError ? (
					<QueryProblem error={query.error} retry={() => void query.refetch()} what={props.what} />
				) : (
					<Box textAlign="center" color="inherit">
						{props.empty}
					</Box>
				)
			}
		/>
	);
}
