import SpaceBetween from "@cloudscape-design/components/space-between";
import type { TableProps } from "@cloudscape-design/components/table";
import type { InvoiceSummary } from "../api/invoices.js";
import { formatMoney } from "./money.js";
import { RouterLink, recordPath } from "./router-link.js";
import { StatusBadge } from "./status-badge.js";

/** An invoice in a list: the invoices page and an account's invoices. */
export function invoiceColumns(options: { readonly account: boolean }): TableProps.ColumnDefinition<InvoiceSummary>[] {
	return [
		{ id: "number", header: "Invoice", cell: (i) => <RouterLink to={recordPath("invoices", i.number)}>{i.number}</RouterLink> },
		...(options.account
			? [
					{
						id: "account",
						header: "Account",
						cell: (i: InvoiceSummary) => <RouterLink to={recordPath("accounts", i.accountId)}>{i.accountId}</RouterLink>,
					},
				]
			: []),
		{ id: "period", header: "Period", cell: (i) => i.period },
		{
			id: "status",
			header: "Status",
			cell: (i) => (
				<SpaceBetween direction="horizontal" size="xs">
					<StatusBadge status={i.status} />
					{i.onHold ? <StatusBadge status="on_hold" /> : null}
				</SpaceBetween>
			),
		},
		{ id: "total", header: "Total", cell: (i) => formatMoney(i.total, i.currency) },
		{ id: "due", header: "Amount due", cell: (i) => formatMoney(i.amountDue, i.currency) },
		{ id: "issueDate", header: "Issued", cell: (i) => i.issueDate },
		{ id: "dueDate", header: "Due", cell: (i) => i.dueDate },
	];
}
