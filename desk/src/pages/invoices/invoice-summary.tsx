import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import type { Invoice } from "../../api/invoices.js";
import { formatMoney } from "../../components/money.js";
import { RouterLink, recordPath } from "../../components/router-link.js";
import { StatusBadge } from "../../components/status-badge.js";

export function InvoiceSummary({ invoice }: { readonly invoice: Invoice }) {
	const money = (minor: number) => formatMoney(minor, invoice.currency);
	return (
		<Container header={<Header variant="h2">Summary</Header>}>
			<KeyValuePairs
				columns={4}
				items={[
					{ label: "Account", value: <RouterLink to={recordPath("accounts", invoice.accountId)}>{invoice.accountId}</RouterLink> },
					{ label: "Period", value: invoice.period },
					{
						label: "Status",
						value: (
							<SpaceBetween direction="horizontal" size="xs">
								<StatusBadge status={invoice.status} />
								{invoice.onHold ? <StatusBadge status="on_hold" /> : null}
							</SpaceBetween>
						),
					},
					{ label: "Currency", value: invoice.currency },
					{ label: "Issued", value: invoice.issueDate },
					{ label: "Due", value: invoice.dueDate },
					{ label: "Total", value: money(invoice.total) },
					{ label: "Paid", value: money(invoice.amountPaid) },
					{ label: "Amount due", value: money(invoice.amountDue) },
				]}
			/>
		</Container>
	);
}
