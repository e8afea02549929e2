import TextFilter from "@cloudscape-design/components/text-filter";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { type AccountSummary, accountsQuery } from "../../api/accounts.js";
import { useCursorPages, useUrlFilters } from "../../app/url-state.js";
import { formatMoney } from "../../components/money.js";
import { RouterLink, recordPath } from "../../components/router-link.js";
import { ServerTable } from "../../components/server-table.js";
import { StatusBadge } from "../../components/status-badge.js";
import { accountFilters } from "./filters.js";

const COLUMNS = [
	{
		id: "accountId",
		header: "Account",
		cell: (a: AccountSummary) => <RouterLink to={recordPath("accounts", a.accountId)}>{a.accountId}</RouterLink>,
	},
	{ id: "name", header: "Name", cell: (a: AccountSummary) => a.name },
	{ id: "email", header: "Email", cell: (a: AccountSummary) => a.email },
	{ id: "status", header: "Status", cell: (a: AccountSummary) => <StatusBadge status={a.status} /> },
	{ id: "balance", header: "Balance", cell: (a: AccountSummary) => formatMoney(a.balance, a.currency) },
];

/** Search the accounts by id, name or email; the search and the page are in the URL. */
export function AccountsPage() {
	const [filters, setFilters] = useUrlFilters(accountFilters);
	const { cursor } = useCursorPages();
	const query = useQuery(accountsQuery({ ...filters, cursor }));
	const [text, setText] = useState(filters.query ?? "");
	return (
		<ServerTable
			title="Accounts"
			what="accounts"
			query={query}
			columns={COLUMNS}
			trackBy="accountId"
			empty={filters.query ? `No account matches “${filters.query}”.` : "No accounts yet."}
			filter={
				<TextFilter
					filteringText={text}
					filteringPlaceholder="Search by account id, name or email"
					filteringAriaLabel="Search accounts"
					onChange={({ detail }) => setText(detail.filteringText)}
					onDelayedChange={({ detail }) => setFilters({ query: detail.filteringText.trim() || undefined })}
				/>
			}
		/>
	);
}
