import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import type { AccountDetail } from "../../api/accounts.js";
import { formatMoney } from "../../components/money.js";
import { StatusBadge } from "../../components/status-badge.js";
import { EINVOICE_LABELS } from "../../components/update-account-modal.js";

export function AccountDetails({ detail }: { readonly detail: AccountDetail }) {
	const { account } = detail;
	return (
		<Container header={<Header variant="h2">Details</Header>}>
			<KeyValuePairs
				columns={3}
				items={[
					{ label: "Account", value: account.accountId },
					{ label: "Name", value: account.name },
					{ label: "Email", value: account.email },
					{ label: "Status", value: <StatusBadge status={account.status} /> },
					{ label: "Currency", value: account.currency },
					{
						label: "Balance",
						value: formatMoney(detail.balance, account.currency),
						info: detail.balance < 0 ? "A credit in the customer's favour" : undefined,
					},
					{ label: "Delivery", value: account.delivery ?? "—" },
					{ label: "Postal address", value: account.addressLines?.length ? account.addressLines.join(", ") : "—" },
					{
						label: "City, post code, country",
						value: [account.city, account.postalCode, account.country].filter(Boolean).join(", ") || "—",
					},
					...(account.closedOn ? [{ label: "Closed on", value: account.closedOn }] : []),
					{ label: "E-invoice", value: EINVOICE_LABELS[account.einvoice ?? "none"] },
					{ label: "VAT id", value: account.vatId ?? "—" },
					{ label: "Peppol id", value: account.peppolId ?? "—" },
					{ label: "Buyer reference", value: account.buyerReference ?? "—" },
				]}
			/>
		</Container>
	);
}
