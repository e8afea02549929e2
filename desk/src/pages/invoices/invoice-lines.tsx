import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Table from "@cloudscape-design/components/table";
import type { Invoice, InvoiceLine } from "../../api/invoices.js";
import { formatMoney } from "../../components/money.js";

/** The invoice's lines, with its subtotal, tax and total below them. */
export function InvoiceLines({ invoice }: { readonly invoice: Invoice }) {
	const money = (minor: number) => formatMoney(minor, invoice.currency);
	return (
		<Table
			header={
				<Header variant="h2" counter={`(${invoice.lines.length})`}>
					Lines
				</Header>
			}
			items={[...invoice.lines]}
			ariaLabels={{ tableLabel: "Invoice lines" }}
			columnDefinitions={[
				{ id: "description", header: "Description", cell: (l: InvoiceLine) => l.description },
				{ id: "quantity", header: "Quantity", cell: (l: InvoiceLine) => l.quantity },
				{ id: "unit", header: "Unit price", cell: (l: InvoiceLine) => money(l.unitAmount) },
				{ id: "amount", header: "Amount", cell: (l: InvoiceLine) => money(l.amount) },
			]}
			empty={<Box textAlign="center">No lines.</Box>}
			footer={
				<KeyValuePairs
					columns={3}
					items={[
						{ label: "Subtotal", value: money(invoice.subtotal) },
						{ label: "Tax", value: money(invoice.tax) },
						{ label: "Total", value: <strong>{money(invoice.total)}</strong> },
					]}
				/>
			}
		/>
	);
}
