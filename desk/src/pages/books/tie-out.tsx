import Alert from "@cloudscape-design/components/alert";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import type { TieOut } from "../../api/books.js";
import { formatMoney } from "../../components/money.js";

/** Whether the ledger's receivable and customer credit agree with the customers' balances, per currency. */
export function TieOutSection({ tieOut }: { readonly tieOut: readonly TieOut[] }) {
	return (
		<Container
			header={
				<Header variant="h2" description="The ledger against the sum of the customers' balances.">
					Tie-out
				</Header>
			}
		>
			<SpaceBetween size="l">
				{tieOut.map((t) => (
					<SpaceBetween key={t.currency} size="s">
						<KeyValuePairs
							columns={3}
							items={[
								{ label: `Receivable (${t.currency})`, value: formatMoney(t.receivable, t.currency) },
								{ label: "Customer credit", value: formatMoney(t.customerCredit, t.currency) },
								{ label: "Customers' balances", value: formatMoney(t.customerBalances, t.currency) },
							]}
						/>
						{t.differences.length === 0 ? (
							<StatusIndicator type="success">Ties out</StatusIndicator>
						) : (
							<Alert type="warning" header={`${t.differences.length} difference${t.differences.length === 1 ? "" : "s"}`}>
								<SpaceBetween size="xxs">
									{t.differences.map((d) => (
										<span key={d}>{d}</span>
									))}
								</SpaceBetween>
							</Alert>
						)}
					</SpaceBetween>
				))}
			</SpaceBetween>
		</Container>
	);
}
