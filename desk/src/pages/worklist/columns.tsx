import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import SpaceBetween from "@cloudscape-design/components/space-between";
import type { TableProps } from "@cloudscape-design/components/table";
import type { WorkItem } from "../../api/worklist.js";
import { formatMoney } from "../../components/money.js";
import { RouterLink, recordPath } from "../../components/router-link.js";
import { kindLabel } from "./filters.js";

export interface WorklistActions {
	/** The resolving action's button text, when the item has one the user may take. */
	readonly resolveLabel: (item: WorkItem) => string | undefined;
	readonly canAssign: boolean;
	readonly onResolve: (item: WorkItem) => void;
	readonly onAssign: (item: WorkItem) => void;
}

export function worklistColumns(actions: WorklistActions): TableProps.ColumnDefinition<WorkItem>[] {
	return [
		{ id: "kind", header: "Kind", cell: (i) => kindLabel(i.kind) },
		{
			id: "account",
			header: "Account",
			cell: (i) => (i.accountId ? <RouterLink to={recordPath("accounts", i.accountId)}>{i.accountId}</RouterLink> : ""),
		},
		{
			id: "reference",
			header: "Invoice or payment",
			cell: (i) =>
				i.invoiceNumber ? <RouterLink to={recordPath("invoices", i.invoiceNumber)}>{i.invoiceNumber}</RouterLink> : (i.paymentId ?? ""),
		},
		{ id: "amount", header: "Amount", cell: (i) => (i.amount !== undefined && i.currency ? formatMoney(i.amount, i.currency) : "") },
		{ id: "age", header: "Age (days)", cell: (i) => i.ageDays },
		{
			id: "detail",
			header: "Detail",
			cell: (i) => (
				<SpaceBetween size="xxs">
					<span>{i.detail}</span>
					<Box variant="code" fontSize="body-s">
						{i.resolve}
					</Box>
				</SpaceBetween>
			),
		},
		{ id: "assignee", header: "Assignee", cell: (i) => i.assignee ?? <Box color="text-status-inactive">Unassigned</Box> },
		{
			id: "actions",
			header: "Actions",
			cell: (i) => {
				const label = actions.resolveLabel(i);
				return (
					<SpaceBetween direction="horizontal" size="xs">
						{label ? (
							<Button ariaLabel={`${label}: ${i.id}`} onClick={() => actions.onResolve(i)}>
								{label}
							</Button>
						) : null}
						{actions.canAssign ? (
							<Button variant="inline-link" ariaLabel={`Assign ${i.id}`} onClick={() => actions.onAssign(i)}>
								Assign
							</Button>
						) : null}
					</SpaceBetween>
				);
			},
		},
	];
}
