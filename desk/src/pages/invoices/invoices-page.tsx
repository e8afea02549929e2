import Button from "@cloudscape-design/components/button";
import DatePicker from "@cloudscape-design/components/date-picker";
import FormField from "@cloudscape-design/components/form-field";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import TextFilter from "@cloudscape-design/components/text-filter";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { invoicesQuery } from "../../api/invoices.js";
import { useCursorPages, useUrlFilters } from "../../app/url-state.js";
import { useCan } from "../../auth/me.js";
import { invoiceColumns } from "../../components/invoice-columns.js";
import { IssueInvoiceModal } from "../../components/issue-invoice-modal.js";
import { ServerTable } from "../../components/server-table.js";
import { INVOICE_STATUSES, invoiceFilters } from "./filters.js";

const ANY_STATUS = { value: "", label: "Any status" };
const STATUS_OPTIONS = [ANY_STATUS, ...INVOICE_STATUSES.map((s) => ({ value: s, label: s.replaceAll("_", " ") }))];

/** Invoices filtered by status, period and account (all in the URL), a page at a time. */
export function InvoicesPage() {
	const [filters, setFilters] = useUrlFilters(invoiceFilters);
	const { cursor } = useCursorPages();
	const query = useQuery(invoicesQuery({ ...filters, cursor }));
	const can = useCan();
	const [account, setAccount] = useState(filters.account ?? "");
	// The picker's text is kept as typed; the URL changes once it is a whole month, or cleared.
	const [period, setPeriod] = useState(filters.period ?? "");
	const [issuing, setIssuing] = useState(false);
	const filtered = Boolean(filters.status || filters.period || filters.account);
	return (
		<>
			<ServerTable
				title="Invoices"
				what="invoices"
				query={query}
				columns={invoiceColumns({ account: true })}
				trackBy="number"
				empty={filtered ? "No invoice matches these filters." : "No invoices yet."}
				actions={can("invoices.issue") ? <Button onClick={() => setIssuing(true)}>Issue invoice</Button> : undefined}
				filter={
					<SpaceBetween direction="horizontal" size="s">
						<FormField label="Status">
							<Select
								selectedOption={STATUS_OPTIONS.find((o) => o.value === (filters.status ?? "")) ?? ANY_STATUS}
								options={STATUS_OPTIONS}
								onChange={({ detail }) =>
									setFilters({ status: (detail.selectedOption.value || undefined) as (typeof INVOICE_STATUSES)[number] | undefined })
								}
							/>
						</FormField>
						<FormField label="Period">
							<DatePicker
								granularity="month"
								value={period}
								placeholder="YYYY/MM"
								onChange={({ detail }) => {
									setPeriod(detail.value);
									if (detail.value === "" || /^\d{4}-\d{2}$/.test(detail.value)) setFilters({ period: detail.value || undefined });
								}}
							/>
						</FormField>
						<FormField label="Account">
							<TextFilter
								filteringText={account}
								filteringPlaceholder="Any account"
								filteringAriaLabel="Filter by account id"
								onChange={({ detail }) => setAccount(detail.filteringText)}
								onDelayedChange={({ detail }) => setFilters({ account: detail.filteringText.trim() || undefined })}
							/>
						</FormField>
					</SpaceBetween>
				}
			/>
			{issuing ? <IssueInvoiceModal onClose={() => setIssuing(false)} /> : null}
		</>
	);
}
