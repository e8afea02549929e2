import { useCollection } from "@cloudscape-design/collection-hooks";
import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import Pagination from "@cloudscape-design/components/pagination";
import Table from "@cloudscape-design/components/table";
import type { TimelineEntry } from "../../api/accounts.js";
import { formatMoney } from "../../components/money.js";
import { PAGINATION_LABELS } from "../../components/server-table.js";
import { formatInstant } from "../../components/time.js";

const KIND_WORDS: Readonly<Record<TimelineEntry["kind"], string>> = {
	invoice: "Invoice",
	payment: "Payment",
	credit_memo: "Credit memo",
	statement: "Statement",
	dunning: "Dunning",
	audit: "Audit",
	ledger: "Ledger",
};

const COLUMNS = [
	{ id: "at", header: "When", cell: (e: TimelineEntry) => formatInstant(e.at), sortingField: "at" },
	{ id: "kind", header: "Kind", cell: (e: TimelineEntry) => KIND_WORDS[e.kind] ?? e.kind, sortingField: "kind" },
	{ id: "title", header: "What", cell: (e: TimelineEntry) => e.title },
	{
		id: "amount",
		header: "Amount",
		cell: (e: TimelineEntry) => (e.amount !== undefined && e.currency ? formatMoney(e.amount, e.currency) : ""),
	},
	{ id: "reference", header: "Reference", cell: (e: TimelineEntry) => e.reference ?? "" },
	{ id: "actor", header: "By", cell: (e: TimelineEntry) => e.actor ?? "" },
	{ id: "reason", header: "Reason", cell: (e: TimelineEntry) => e.reason ?? "" },
];

/** Everything that happened to the account, newest first: invoices, payments, memos, statements, dunning, audit, ledger. */
export function AccountTimeline({ entries }: { readonly entries: readonly TimelineEntry[] }) {
	const { items, collectionProps, paginationProps } = useCollection([...entries], {
		sorting: { defaultState: { sortingColumn: COLUMNS[0] as (typeof COLUMNS)[number], isDescending: true } },
		pagination: { pageSize: 20 },
	});
	return (
		<Table
			{...collectionProps}
			header={
				<Header variant="h2" counter={`(${entries.length})`}>
					Timeline
				</Header>
			}
			items={items}
			columnDefinitions={COLUMNS}
			ariaLabels={{ tableLabel: "Account timeline" }}
			pagination={<Pagination {...paginationProps} ariaLabels={PAGINATION_LABELS} />}
			wrapLines
			empty={<Box textAlign="center">Nothing yet.</Box>}
		/>
	);
}
