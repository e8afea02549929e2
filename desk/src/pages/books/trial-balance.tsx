import Box from "@cloudscape-design/components/box";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import type { TrialBalanceRow } from "../../api/books.js";
import { formatMoney } from "../../components/money.js";

const AMOUNTS = ["opening", "debits", "credits", "closing"] as const;
const TITLES: Readonly<Record<(typeof AMOUNTS)[number], string>> = {
	opening: "Opening",
	debits: "Debits",
	credits: "Credits",
	closing: "Closing",
};

function CurrencyBalance({
	currency,
	rows,
	period,
}: {
	readonly currency: string;
	readonly rows: readonly TrialBalanceRow[];
	readonly period: string;
}) {
	const money = (minor: number) => formatMoney(minor, currency);
	const totals = Object.fromEntries(AMOUNTS.map((a) => [a, rows.reduce((sum, r) => sum + r[a], 0)])) as Record<
		(typeof AMOUNTS)[number],
		number
	>;
	return (
		<Table
			header={
				<Header variant="h2" description={`Every account of the chart in ${currency}, ${period}.`}>
					Trial balance, {currency}
				</Header>
			}
			items={[...rows]}
			trackBy="code"
			ariaLabels={{ tableLabel: `Trial balance in ${currency}` }}
			columnDefinitions={[
				{ id: "code", header: "Code", cell: (r) => r.code },
				{ id: "name", header: "Account", cell: (r) => r.name },
				...AMOUNTS.map((a) => ({ id: a, header: TITLES[a], cell: (r: TrialBalanceRow) => money(r[a]) })),
			]}
			empty={<Box textAlign="center">No postings.</Box>}
			footer={
				<SpaceBetween size="s">
					<KeyValuePairs
						columns={4}
						items={AMOUNTS.map((a) => ({ label: `Total ${TITLES[a].toLowerCase()}`, value: <strong>{money(totals[a])}</strong> }))}
					/>
					{totals.debits === totals.credits ? (
						<StatusIndicator type="success">Debits equal credits</StatusIndicator>
					) : (
						<StatusIndicator type="error">Debits and credits differ by {money(totals.debits - totals.credits)}</StatusIndicator>
					)}
				</SpaceBetween>
			}
		/>
	);
}

/** The trial balance, one table per currency (amounts of different currencies are never added). */
export function TrialBalanceTables({ rows, period }: { readonly rows: readonly TrialBalanceRow[]; readonly period: string }) {
	const currencies = [...new Set(rows.map((r) => r.currency))].sort();
	if (currencies.length === 0) return <Box>No postings in {period}.</Box>;
	return (
		<SpaceBetween size="l">
			{currencies.map((currency) => (
				<CurrencyBalance key={currency} currency={currency} period={period} rows={rows.filter((r) => r.currency === currency)} />
			))}
		</SpaceBetween>
	);
}
