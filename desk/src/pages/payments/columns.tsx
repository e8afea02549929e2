import Button from "@cloudscape-design/components/button";
import type { TableProps } from "@cloudscape-design/components/table";
import type { UnappliedPayment } from "../../api/payments.js";
import { formatMoney } from "../../components/money.js";
import { RouterLink, recordPath } from "../../components/router-link.js";

export function paymentColumns(onApply: (payment: UnappliedPayment) => void): TableProps.ColumnDefinition<UnappliedPayment>[] {
	return [
		{ id: "id", header: "Payment", cell: (p) => p.id },
		{
			id: "account",
			header: "Account",
			cell: (p) => (p.accountId ? <RouterLink to={recordPath("accounts", p.accountId)}>{p.accountId}</RouterLink> : "Unknown"),
		},
		{ id: "received", header: "Received", cell: (p) => p.receivedAt.slice(0, 10) },
		{ id: "amount", header: "Amount", cell: (p) => formatMoney(p.amount, p.currency) },
		{ id: "unapplied", header: "Unapplied", cell: (p) => formatMoney(p.unappliedAmount, p.currency) },
		{ id: "reference", header: "Reference", cell: (p) => p.reference ?? "" },
		{ id: "candidates", header: "Candidate invoices", cell: (p) => p.candidates?.length ?? 0 },
		{
			id: "actions",
			header: "Actions",
			cell: (p) =>
				p.allowedActions.includes("payments.apply") ? (
					<Button ariaLabel={`Apply ${p.id}`} onClick={() => onApply(p)}>
						Apply
					</Button>
				) : null,
		},
	];
}
