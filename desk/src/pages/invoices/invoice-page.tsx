import ButtonDropdown from "@cloudscape-design/components/button-dropdown";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";
import { invoiceQuery } from "../../api/invoices.js";
import { type OperationInput, paymentInput } from "../../api/operations.js";
import { useCan } from "../../auth/me.js";
import { hasOperationDialog, OperationModal, operationTitle } from "../../components/operation-modal.js";
import { QueryProblem } from "../../components/query-problem.js";
import { InvoiceActivity } from "./invoice-activity.js";
import { InvoiceLines } from "./invoice-lines.js";
import { InvoicePdf } from "./invoice-pdf.js";
import { InvoiceSummary } from "./invoice-summary.js";

/** One invoice: its actions (exactly the API's allowedActions), lines, PDF, payments, deliveries, memos and audit trail. */
export function InvoicePage() {
	const number = useParams().number ?? "";
	const query = useQuery(invoiceQuery(number));
	const can = useCan();
	const [open, setOpen] = useState<{ operation: string; input: OperationInput }>();
	if (query.isPending) return <Spinner size="large" />;
	if (query.isError) return <QueryProblem error={query.error} retry={() => void query.refetch()} what="invoice" />;
	const detail = query.data;
	const actions = detail.allowedActions.filter((a) => a.startsWith("invoices.") && hasOperationDialog(a));
	return (
		<ContentLayout
			header={
				<Header
					variant="h1"
					description={`${detail.invoice.accountId} · ${detail.invoice.period}`}
					actions={
						actions.length > 0 ? (
							<ButtonDropdown
								items={actions.map((a) => ({ id: a, text: operationTitle(a) }))}
								onItemClick={({ detail: item }) => setOpen({ operation: item.id, input: { number } })}
								ariaLabel={`Actions on ${number}`}
							>
								Actions
							</ButtonDropdown>
						) : undefined
					}
				>
					{number}
				</Header>
			}
		>
			<SpaceBetween size="l">
				<InvoiceSummary invoice={detail.invoice} />
				<InvoiceLines invoice={detail.invoice} />
				<InvoicePdf number={number} />
				<InvoiceActivity
					detail={detail}
					onUnapply={
						can("payments.unapply")
							? (p) => setOpen({ operation: "payments.unapply", input: { ...paymentInput(p.id), invoiceNumber: number } })
							: undefined
					}
				/>
			</SpaceBetween>
			{open ? (
				<OperationModal
					operation={open.operation}
					input={open.input}
					currency={detail.invoice.currency}
					onClose={() => setOpen(undefined)}
				/>
			) : null}
		</ContentLayout>
	);
}
