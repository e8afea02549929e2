import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Table, { type TableProps } from "@cloudscape-design/components/table";
import type { AuditEntry, CreditMemo, Delivery, InvoiceDetail, InvoicePayment } from "../../api/invoices.js";
import { formatMoney } from "../../components/money.js";
import { StatusBadge } from "../../components/status-badge.js";
import { formatInstant } from "../../components/time.js";

function Section<Item>(props: {
	readonly title: string;
	readonly items: readonly Item[];
	readonly columns: TableProps.ColumnDefinition<Item>[];
	readonly empty: string;
}) {
	return (
		<Table
			header={
				<Header variant="h2" counter={`(${props.items.length})`}>
					{props.title}
				</Header>
			}
			items={[...props.items]}
			columnDefinitions={props.columns}
			ariaLabels={{ tableLabel: props.title }}
			wrapLines
			empty={<Box textAlign="center">{props.empty}</Box>}
		/>
	);
}

/** What happened to the invoice since it was issued: payments applied, deliveries, credit memos, and the audit trail. */
export function InvoiceActivity(props: {
	readonly detail: InvoiceDetail;
	readonly onUnapply?: ((payment: InvoicePayment) => void) | undefined;
}) {
	const { detail, onUnapply } = props;
	return (
		<>
			<Section<InvoicePayment>
				title="Payments"
				items={detail.payments}
				empty="No payment applied."
				columns={[
					{ id: "id", header: "Payment", cell: (p) => p.id },
					{ id: "amount", header: "Applied", cell: (p) => formatMoney(p.amount, p.currency) },
					{ id: "at", header: "When", cell: (p) => formatInstant(p.appliedAt) },
					{ id: "reference", header: "Reference", cell: (p) => p.reference ?? "" },
					...(onUnapply
						? [
								{
									id: "actions",
									header: "Actions",
									cell: (p: InvoicePayment) => (
										<Button variant="inline-link" ariaLabel={`Unapply ${p.id}`} onClick={() => onUnapply(p)}>
											Unapply
										</Button>
									),
								},
							]
						: []),
				]}
			/>
			<Section<Delivery>
				title="Deliveries"
				items={detail.deliveries}
				empty="Not delivered yet."
				columns={[
					{ id: "channel", header: "Channel", cell: (d) => d.channel },
					{ id: "to", header: "To", cell: (d) => d.to ?? "" },
					{ id: "status", header: "Status", cell: (d) => <StatusBadge status={d.status} /> },
					{ id: "at", header: "When", cell: (d) => formatInstant(d.at) },
					{ id: "detail", header: "Detail", cell: (d) => d.detail ?? "" },
				]}
			/>
			<Section<CreditMemo>
				title="Credit memos"
				items={detail.creditMemos}
				empty="No credit memo."
				columns={[
					{ id: "number", header: "Credit memo", cell: (m) => m.number },
					{ id: "amount", header: "Amount", cell: (m) => formatMoney(m.amount, m.currency) },
					{ id: "date", header: "Issued", cell: (m) => m.issueDate ?? "" },
					{ id: "reason", header: "Reason", cell: (m) => m.reason ?? "" },
				]}
			/>
			<Section<AuditEntry>
				title="Audit trail"
				items={detail.audit}
				empty="No entries."
				columns={[
					{ id: "at", header: "When", cell: (a) => formatInstant(a.at) },
					{ id: "action", header: "Action", cell: (a) => a.action },
					{ id: "actor", header: "By", cell: (a) => a.actor },
					{ id: "reason", header: "Reason", cell: (a) => a.reason ?? "" },
				]}
			/>
		</>
	);
}
